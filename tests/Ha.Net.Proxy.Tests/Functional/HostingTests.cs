using System.Net;
using System.Text;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Testing.Proxy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Ha.Net.Proxy.Tests.Functional;

public class HostingTests
{
    [Fact]
    public async Task AddHaNetProxy_HostedServiceStartsAndStopsTheProxy()
    {
        await using var echo = TestServer.Echo();
        var services = new ServiceCollection();
        services.AddHaNetProxy(new ProxyOptions
        {
            Frontends = [new FrontendOptions { Name = "fe", Bind = new IPEndPoint(IPAddress.Loopback, 0), Backend = "be" }],
            Backends = [new BackendOptions { Name = "be", Servers = [new ServerOptions { Name = "s", Address = echo.EndPoint }] }],
        });
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().Single();
        await hosted.StartAsync(CancellationToken.None);
        var proxy = provider.GetRequiredService<ITcpProxy>();
        using (var client = await ProxyTestClient.ConnectAsync(proxy.GetFrontendEndPoint("fe")))
        {
            await client.SendAsync(Encoding.ASCII.GetBytes("hi\n"));
            Assert.Equal("hi", await ProxyTestClient.ReadLineAsync(client));
        }

        await hosted.StopAsync(CancellationToken.None);
        Assert.Equal("STOP", proxy.GetStats().Single(r => r.ServiceName == "FRONTEND").Status);
    }

    [Fact]
    public void AddHaNetProxy_InvalidOptions_FailsAtRegistration()
    {
        var e = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddHaNetProxy(new ProxyOptions { BufferSize = 10 }));
        Assert.Contains("BufferSize", e.Message);
    }

    [Fact]
    public void IoEngine_UnknownValue_IsRefusedByName()
    {
        var e = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddHaNetProxy(new ProxyOptions { IoEngine = (ProxyIoEngine)7 }));
        Assert.Contains("IoEngine", e.Message);
    }

    [Fact]
    public async Task IoEngine_ChangedOnReload_IsRefusedAndTheProxyKeepsRunning()
    {
        await using var echo = TestServer.Echo();
        await using var harness = await ProxyHarness.StartAsync([ProxyHarness.Server("s", echo)]);
        var options = new ProxyOptions
        {
            IoEngine = ProxyIoEngine.Sockets,
            HardStopAfter = TimeSpan.FromSeconds(5),
            Frontends = [new FrontendOptions { Name = "fe", Bind = new IPEndPoint(IPAddress.Loopback, 0), Backend = "be" }],
            Backends = [new BackendOptions { Name = "be", Servers = [new ServerOptions { Name = "s", Address = echo.EndPoint }] }],
        };
        var e = await Assert.ThrowsAsync<ArgumentException>(() => harness.Proxy.ApplyAsync(options));
        Assert.Contains("IoEngine", e.Message);
        using var client = await ProxyTestClient.ConnectAsync(harness.EndPoint);
        await client.SendAsync(Encoding.ASCII.GetBytes("still\n"));
        Assert.Equal("still", await ProxyTestClient.ReadLineAsync(client));
    }
}
