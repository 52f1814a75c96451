using System.Diagnostics;
using Ha.Net.Testing.Environment;

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

    [RequiresFact("netns")]
    public void NetworkNamespaces_CanBeCreatedAndRemoved()
    {
        var name = "hnenv" + Random.Shared.Next(10000, 99999);
        Assert.Equal(0, Run($"netns add {name}"));
        try
        {
            Assert.Contains(name, File.Exists($"/run/netns/{name}") ? name : "");
        }
        finally
        {
            Assert.Equal(0, Run($"netns del {name}"));
        }
    }

    private static int Run(string args)
    {
        using var p = Process.Start("ip", args);
        Assert.True(p.WaitForExit(30_000));
        return p.ExitCode;
    }
}
