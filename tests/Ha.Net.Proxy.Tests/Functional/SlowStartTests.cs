using System.Net;
using System.Net.Sockets;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Hosting;
using Ha.Net.Testing.Proxy;
using Microsoft.Extensions.Time.Testing;

namespace Ha.Net.Proxy.Tests.Functional;

/// <summary><c>slowstart</c> on a manual clock: weight and maxconn ramp after the server comes back.</summary>
public class SlowStartTests
{
    [Fact]
    public async Task ServerBackFromDown_RampsWeightAndMaxconnOverTheSlowStart_NotAtStart()
    {
        var clock = new FakeTimeProvider();
        await using var a = TestServer.Named("a");
        await using var b = TestServer.Named("b");
        var options = new ProxyOptions
        {
            Frontends = [new FrontendOptions { Name = "fe", Bind = new IPEndPoint(IPAddress.Loopback, 0), Backend = "be" }],
            Backends =
            [
                new BackendOptions
                {
                    Name = "be",
                    ConnectTimeout = TimeSpan.FromHours(1), // the manual clock jumps: no timeout may fire
                    QueueTimeout = TimeSpan.FromHours(1),
                    Servers =
                    [
                        new ServerOptions { Name = "a", Address = a.EndPoint, Weight = 10 },
                        new ServerOptions { Name = "b", Address = b.EndPoint, Weight = 10, MaxConnections = 20, SlowStart = TimeSpan.FromSeconds(20) },
                    ],
                },
            ],
            HardStopAfter = TimeSpan.FromSeconds(5),
        };
        await using var proxy = new TcpProxy(options, timeProvider: clock);
        await proxy.StartAsync();
        int Weight(string server) => proxy.GetStats().Single(r => r.ProxyName == "be" && r.ServiceName == server).Weight!.Value;

        Assert.Equal(10, Weight("b")); // never at start

        proxy.SetServerHealth("be", "b", up: false);
        proxy.SetServerHealth("be", "b", up: true);
        Assert.Equal(1, Weight("b"));
        Assert.Equal(11, proxy.GetStats().Single(r => r.ServiceName == "BACKEND").Weight);

        // Weights 10:1, smooth round-robin: b takes exactly one of eleven connections.
        Assert.Equal(1, (await Spread(proxy, 11)).GetValueOrDefault("b"));

        clock.Advance(TimeSpan.FromSeconds(10)); // steps of max(1 s, 20 s / 20)
        Assert.Equal(5, Weight("b"));

        // maxconn is at half too: 10 of 20. With a out of the way, twelve held connections find ten slots on b.
        var held = new List<Socket>();
        try
        {
            proxy.SetServerWeight("be", "a", 0);
            int before = b.Accepted;
            for (int i = 0; i < 12; i++)
            {
                held.Add(await ProxyTestClient.ConnectAsync(proxy.GetFrontendEndPoint("fe")));
            }

            await ProxyTestClient.WaitUntilAsync(() => b.Accepted - before == 10 && QueuedOnBackend(proxy) == 2, "ten on b, two queued");

            clock.Advance(TimeSpan.FromSeconds(1)); // 55%: eleven slots, and the step hands one queued connection over
            await ProxyTestClient.WaitUntilAsync(() => b.Accepted - before == 11 && QueuedOnBackend(proxy) == 1, "a queued connection took the new slot");

            clock.Advance(TimeSpan.FromSeconds(10)); // past the slow start: full weight and maxconn
            await ProxyTestClient.WaitUntilAsync(() => b.Accepted - before == 12 && QueuedOnBackend(proxy) == 0, "the last queued connection went through");
            Assert.Equal(10, Weight("b"));

            proxy.SetServerState("be", "b", ServerAdminState.Maintenance);
            proxy.SetServerState("be", "b", ServerAdminState.Ready);
            Assert.Equal(1, Weight("b")); // out of maintenance: a slow start again
        }
        finally
        {
            foreach (var s in held)
            {
                s.Dispose();
            }
        }
    }

    [Fact]
    public void NegativeSlowStart_IsRefusedByName()
    {
        var options = new ProxyOptions
        {
            Frontends = [new FrontendOptions { Name = "fe", Bind = new IPEndPoint(IPAddress.Loopback, 0), Backend = "be" }],
            Backends = [new BackendOptions { Name = "be", Servers = [new ServerOptions { Name = "s", Address = IPEndPoint.Parse("127.0.0.1:1"), SlowStart = TimeSpan.FromSeconds(-1) }] }],
        };
        var error = Assert.Single(ProxyOptionsValidator.Validate(options));
        Assert.StartsWith("Backends[be].Servers[s].SlowStart", error, StringComparison.Ordinal);
    }

    /// <summary>Connections waiting in backend "be": its own queue and its servers' queues.</summary>
    private static long QueuedOnBackend(TcpProxy proxy) =>
        proxy.GetStats().Where(r => r.ProxyName == "be").Sum(r => r.QueueCurrent ?? 0);

    private static async Task<Dictionary<string, int>> Spread(TcpProxy proxy, int connections)
    {
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < connections; i++)
        {
            using var s = await ProxyTestClient.ConnectAsync(proxy.GetFrontendEndPoint("fe"));
            var name = (await ProxyTestClient.ReadLineAsync(s))!;
            names[name] = names.GetValueOrDefault(name) + 1;
        }

        return names;
    }
}
