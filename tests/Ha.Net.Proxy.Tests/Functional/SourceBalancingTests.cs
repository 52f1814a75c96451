using System.Net;
using System.Net.Sockets;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Testing.Proxy;
using static Ha.Net.Proxy.Tests.Functional.ProxyHarness;

namespace Ha.Net.Proxy.Tests.Functional;

public class SourceBalancingTests
{
    [Theory]
    [InlineData(ProxyIoEngine.Epoll)]
    [InlineData(ProxyIoEngine.Sockets)]
    public async Task Source_EachClientAddressKeepsItsServer(ProxyIoEngine engine)
    {
        await using var a = TestServer.Named("a");
        await using var b = TestServer.Named("b");
        await using var proxy = await StartAsync([Server("a", a), Server("b", b)], be => be with { Balance = BalanceAlgorithm.Source }, proxy: o => o with { IoEngine = engine });

        // Two weight-1 servers: 127.0.0.2 hashes to 0x7F000002 % 2 = 0 (a), 127.0.0.3 to 1 (b).
        foreach (var (client, expected) in new[] { ("127.0.0.2", "a"), ("127.0.0.3", "b"), ("127.0.0.2", "a"), ("127.0.0.3", "b"), ("127.0.0.2", "a") })
        {
            Assert.Equal(expected, await ServerSeenFromAsync(proxy, client));
        }

        Assert.Equal("source", proxy.Row("be", "BACKEND").Algorithm);
    }

    [Theory]
    [InlineData(ProxyIoEngine.Epoll)]
    [InlineData(ProxyIoEngine.Sockets)]
    public async Task Consistent_AServerInMaint_MovesOnlyItsClients_AndTheyReturn(ProxyIoEngine engine)
    {
        await using var a = TestServer.Named("a");
        await using var b = TestServer.Named("b");
        await using var c = TestServer.Named("c");
        await using var proxy = await StartAsync(
            [Server("a", a), Server("b", b), Server("c", c)],
            be => be with { Balance = BalanceAlgorithm.Source, HashType = HashType.Consistent },
            proxy: o => o with { IoEngine = engine });
        string[] clients = [.. Enumerable.Range(2, 24).Select(i => $"127.0.0.{i}")];

        async Task<string[]> ServersOf()
        {
            var seen = new string[clients.Length];
            for (int i = 0; i < clients.Length; i++)
            {
                seen[i] = await ServerSeenFromAsync(proxy, clients[i]);
            }

            return seen;
        }

        var before = await ServersOf();
        Assert.Equal(before, await ServersOf()); // each client keeps its server
        var victim = before.GroupBy(s => s).OrderByDescending(g => g.Count()).First().Key;
        Assert.True(before.Distinct().Count() >= 2, "24 clients over 3 servers should reach at least two");

        proxy.Proxy.SetServerState("be", victim, ServerAdminState.Maintenance);
        var during = await ServersOf();
        for (int i = 0; i < clients.Length; i++)
        {
            if (before[i] == victim)
            {
                Assert.NotEqual(victim, during[i]); // its clients move...
            }
            else
            {
                Assert.Equal(before[i], during[i]); // ...and nobody else does
            }
        }

        proxy.Proxy.SetServerState("be", victim, ServerAdminState.Ready);
        Assert.Equal(before, await ServersOf()); // and they come back
    }

    /// <summary>Connects from <paramref name="client"/> (a 127/8 address) and returns the name the server greets with.</summary>
    private static async Task<string> ServerSeenFromAsync(ProxyHarness proxy, string client)
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Parse(client), 0));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await s.ConnectAsync(proxy.EndPoint, cts.Token);
        return await ProxyTestClient.ReadLineAsync(s) ?? "(closed)";
    }
}
