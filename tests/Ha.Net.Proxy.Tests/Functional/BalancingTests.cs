using System.Net.Sockets;
using System.Text;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Testing.Proxy;
using static Ha.Net.Proxy.Tests.Functional.ProxyHarness;

namespace Ha.Net.Proxy.Tests.Functional;

public class BalancingTests
{
    private static async Task<string?> WhoAsync(ProxyHarness proxy)
    {
        using var client = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
        return await ProxyTestClient.ReadLineAsync(client);
    }

    [Fact]
    public async Task RoundRobin_SpreadsByWeight()
    {
        await using var a = TestServer.Named("a");
        await using var b = TestServer.Named("b");
        await using var proxy = await StartAsync([Server("a", a, weight: 3), Server("b", b, weight: 1)]);
        var seen = new List<string?>();
        for (int i = 0; i < 40; i++)
        {
            seen.Add(await WhoAsync(proxy));
        }

        Assert.Equal(30, seen.Count(s => s == "a"));
        Assert.Equal(10, seen.Count(s => s == "b"));
    }

    [Fact]
    public async Task LeastConn_LongLivedConnections_GoToTheLeastBusyServer()
    {
        await using var a = TestServer.Named("a");
        await using var b = TestServer.Named("b");
        await using var proxy = await StartAsync([Server("a", a), Server("b", b)], be => be with { Balance = BalanceAlgorithm.LeastConnections });
        var held = new List<(Socket Socket, string Name)>();
        for (int i = 0; i < 4; i++)
        {
            var s = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
            held.Add((s, (await ProxyTestClient.ReadLineAsync(s))!));
        }

        Assert.Equal(2, held.Count(h => h.Name == "a"));

        // Close both of a's connections: the next two new ones go to a, not alternately.
        foreach (var h in held.Where(h => h.Name == "a").ToList())
        {
            h.Socket.Dispose();
            held.Remove(h);
        }

        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "a").CurrentSessions == 0, "a's sessions closed");
        for (int i = 0; i < 2; i++)
        {
            var s = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
            held.Add((s, (await ProxyTestClient.ReadLineAsync(s))!));
        }

        Assert.Equal(["a", "a"], held.Skip(2).Select(h => h.Name));
        foreach (var h in held)
        {
            h.Socket.Dispose();
        }
    }

    [Fact]
    public async Task ServerKilledMidStream_NewConnectionsAllSucceedOnTheOther()
    {
        await using var a = TestServer.Echo();
        await using var b = TestServer.Echo();
        await using var proxy = await StartAsync([Server("a", a), Server("b", b)],
            be => be with { Redispatch = true, Retries = 3, ConnectTimeout = TimeSpan.FromMilliseconds(200) });

        // Two long transfers in flight, one per server.
        var streams = new List<Socket>();
        for (int i = 0; i < 2; i++)
        {
            var s = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
            await s.SendAsync(Encoding.ASCII.GetBytes("x\n"));
            Assert.Equal("x", await ProxyTestClient.ReadLineAsync(s));
            streams.Add(s);
        }

        a.Kill();

        // The stream on a dies (reset passed on); new connections never fail while b is up.
        for (int i = 0; i < 10; i++)
        {
            using var s = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
            await s.SendAsync(Encoding.ASCII.GetBytes($"n{i}\n"));
            Assert.Equal($"n{i}", await ProxyTestClient.ReadLineAsync(s));
        }

        var aRow = proxy.Row("be", "a");
        Assert.True(aRow.ConnectErrors > 0);
        Assert.True(aRow.Redispatches > 0);
        Assert.True(proxy.Row("be", "BACKEND").Retries > 0);
        foreach (var s in streams)
        {
            s.Dispose();
        }
    }

    [Fact]
    public async Task AllServersDown_ClientIsClosed_ConnectErrorsCounted()
    {
        await using var a = TestServer.Echo();
        await using var proxy = await StartAsync([Server("a", a)],
            be => be with { Retries = 2, ConnectTimeout = TimeSpan.FromMilliseconds(100) });
        a.Kill();
        using var client = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
        Assert.Empty(await ProxyTestClient.ReadToEndAsync(client));
        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "BACKEND").CurrentSessions == 0, "session closed");
        var row = proxy.Row("be", "a");
        Assert.Equal(3, row.ConnectErrors);
        Assert.Equal(2, row.Retries);
    }

    [Fact]
    public async Task MaxConnAndQueue_QueueUpToMaxQueue_ThenRefuse_ThenServeInOrder()
    {
        await using var a = TestServer.Named("a");
        var server = new ServerOptions { Name = "a", Address = a.EndPoint, MaxConnections = 1, MaxQueue = 1 };
        await using var proxy = await StartAsync([server], be => be with { QueueTimeout = TimeSpan.FromSeconds(30) });

        using var first = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
        Assert.Equal("a", await ProxyTestClient.ReadLineAsync(first));

        using var queued = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "BACKEND").QueueCurrent == 1, "second connection queued");

        using var refused = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
        Assert.Empty(await ProxyTestClient.ReadToEndAsync(refused));
        Assert.Equal(1, proxy.Row("be", "BACKEND").DeniedRequests);
        Assert.Equal(1, a.Accepted);

        first.Dispose();
        Assert.Equal("a", await ProxyTestClient.ReadLineAsync(queued));
        Assert.Equal(1, proxy.Row("be", "BACKEND").QueueMax);
        Assert.Equal(0, proxy.Row("be", "BACKEND").QueueCurrent);
    }

    [Fact]
    public async Task QueueTimeout_ClosesTheWaitingConnection()
    {
        await using var a = TestServer.Named("a");
        var server = new ServerOptions { Name = "a", Address = a.EndPoint, MaxConnections = 1 };
        await using var proxy = await StartAsync([server], be => be with { QueueTimeout = TimeSpan.FromMilliseconds(300) });
        using var first = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
        Assert.Equal("a", await ProxyTestClient.ReadLineAsync(first));
        using var queued = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
        Assert.Empty(await ProxyTestClient.ReadToEndAsync(queued));
        Assert.Equal(1, a.Accepted);
        Assert.Equal(0, proxy.Row("be", "BACKEND").QueueCurrent);
    }

    [Theory]
    [InlineData(ServerAdminState.Drain)]
    [InlineData(ServerAdminState.Maintenance)]
    public async Task DrainAndMaint_KeepLiveConnections_SendNewOnesElsewhere(ServerAdminState state)
    {
        await using var a = TestServer.Echo();
        await using var b = TestServer.Echo();
        await using var proxy = await StartAsync([Server("a", a), Server("b", b)]);
        using var onA = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
        await onA.SendAsync(Encoding.ASCII.GetBytes("1\n"));
        Assert.Equal("1", await ProxyTestClient.ReadLineAsync(onA));
        Assert.Equal(1, a.Accepted);

        proxy.Proxy.SetServerState("be", "a", state);
        Assert.Equal(state == ServerAdminState.Drain ? "DRAIN" : "MAINT", proxy.Row("be", "a").Status);
        for (int i = 0; i < 6; i++)
        {
            using var s = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
            await s.SendAsync(Encoding.ASCII.GetBytes("n\n"));
            Assert.Equal("n", await ProxyTestClient.ReadLineAsync(s));
        }

        Assert.Equal(1, a.Accepted);
        Assert.Equal(6, b.Accepted);

        // The live connection on a still works.
        await onA.SendAsync(Encoding.ASCII.GetBytes("2\n"));
        Assert.Equal("2", await ProxyTestClient.ReadLineAsync(onA));
        Assert.Equal(1, proxy.Row("be", "a").CurrentSessions);

        proxy.Proxy.SetServerState("be", "a", ServerAdminState.Ready);
        for (int i = 0; i < 4; i++)
        {
            using var s = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
            await s.SendAsync(Encoding.ASCII.GetBytes("n\n"));
            Assert.Equal("n", await ProxyTestClient.ReadLineAsync(s));
        }

        Assert.True(a.Accepted > 1);
    }
}
