using System.Net;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Hosting;
using Ha.Net.Testing.Proxy;

namespace Ha.Net.Proxy.Tests.Functional;

/// <summary>A started proxy with frontend "fe" on 127.0.0.1:0 and backend "be".</summary>
internal sealed class ProxyHarness : IAsyncDisposable
{
    private ProxyHarness(TcpProxy proxy)
    {
        Proxy = proxy;
    }

    public TcpProxy Proxy { get; }

    public IPEndPoint EndPoint => Proxy.GetFrontendEndPoint("fe");

    public static async Task<ProxyHarness> StartAsync(
        IEnumerable<ServerOptions> servers,
        Func<BackendOptions, BackendOptions>? backend = null,
        Func<FrontendOptions, FrontendOptions>? frontend = null,
        Func<ProxyOptions, ProxyOptions>? proxy = null)
    {
        var be = new BackendOptions { Name = "be", Servers = [.. servers], ConnectTimeout = TimeSpan.FromSeconds(2) };
        var fe = new FrontendOptions { Name = "fe", Bind = new IPEndPoint(IPAddress.Loopback, 0), Backend = "be" };
        var options = new ProxyOptions
        {
            Frontends = [frontend?.Invoke(fe) ?? fe],
            Backends = [backend?.Invoke(be) ?? be],
            HardStopAfter = TimeSpan.FromSeconds(5),
        };
        var tcp = new TcpProxy(proxy?.Invoke(options) ?? options);
        await tcp.StartAsync();
        return new ProxyHarness(tcp);
    }

    /// <summary>Sets every frontend's and backend's splice modes (null: leave the defaults).</summary>
    public static ProxyOptions WithSplice(ProxyOptions options, SpliceModes? splice) => splice is not { } modes ? options : options with
    {
        Frontends = [.. options.Frontends.Select(f => f with { Splice = modes })],
        Backends = [.. options.Backends.Select(b => b with { Splice = modes })],
    };

    public static ServerOptions Server(string name, TestServer server, int weight = 1) =>
        new() { Name = name, Address = server.EndPoint, Weight = weight };

    public Ha.Net.Proxy.Stats.StatsRow Row(string proxyName, string serviceName) =>
        Proxy.GetStats().Single(r => r.ProxyName == proxyName && r.ServiceName == serviceName);

    public async ValueTask DisposeAsync() => await Proxy.DisposeAsync();
}
