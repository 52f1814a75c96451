namespace Ha.Net.IntegrationTests;

public class EnvironmentTests
{
    [Fact]
    public void Loopback_IsUsable()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        Assert.NotEqual(0, ((System.Net.IPEndPoint)listener.LocalEndpoint).Port);
    }
}
