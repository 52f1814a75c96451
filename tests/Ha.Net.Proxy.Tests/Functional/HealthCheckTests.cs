using System.Text;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Testing.Proxy;
using static Ha.Net.Proxy.Tests.Functional.ProxyHarness;

namespace Ha.Net.Proxy.Tests.Functional;

public class HealthCheckTests
{
    private static readonly ServerCheckOptions FastCheck = new()
    {
        Interval = TimeSpan.FromMilliseconds(100),
        Timeout = TimeSpan.FromSeconds(2),
        Rise = 2,
        Fall = 2,
    };

    [Fact]
    public async Task ServerCheck_KilledServerGoesDown_TrafficAvoidsIt_ComesBackUpAfterRise()
    {
        await using var a = TestServer.Echo();
        await using var b = TestServer.Echo();
        await using var proxy = await StartAsync(
            [Server("a", a) with { Check = FastCheck }, Server("b", b) with { Check = FastCheck }],
            be => be with { Retries = 0 });
        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "a").CheckStatus == "L4OK", "first check of a passed");

        a.Kill();
        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "a").Status == "DOWN", "a marked down");
        var row = proxy.Row("be", "a");
        Assert.Equal("L4CON", row.CheckStatus);
        Assert.Equal(1, row.CheckDowns);
        Assert.True(row.CheckFailures >= 2);
        Assert.Equal(1, proxy.Row("be", "BACKEND").Active);

        // With no retries, a connection sent to a would fail: none is.
        long errorsBefore = proxy.Row("be", "a").ConnectErrors ?? 0;
        for (int i = 0; i < 6; i++)
        {
            using var s = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
            await s.SendAsync(Encoding.ASCII.GetBytes("x\n"));
            Assert.Equal("x", await ProxyTestClient.ReadLineAsync(s));
        }

        Assert.Equal(errorsBefore, proxy.Row("be", "a").ConnectErrors);

        a.Restart();
        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "a").Status == "UP", "a back up");
        Assert.Equal("L4OK", proxy.Row("be", "a").CheckStatus);
        Assert.Equal(3, proxy.Row("be", "a").CheckHealth); // rise + fall - 1: fully up
    }

    [Fact]
    public async Task Maintenance_PausesChecks_LeavingItIsUpAtOnce_AndOneFailedCheckTakesItDown()
    {
        await using var a = TestServer.Echo();
        await using var b = TestServer.Echo();
        var check = FastCheck with { DownInterval = TimeSpan.FromSeconds(10) };
        await using var proxy = await StartAsync([Server("a", a) with { Check = check }, Server("b", b)]);
        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "a").CheckStatus == "L4OK", "first check of a passed");

        proxy.Proxy.SetServerState("be", "a", ServerAdminState.Maintenance);
        await Task.Delay(500); // a check already under way may still land
        int accepted = a.Accepted;
        await Task.Delay(1000); // ten check intervals
        Assert.Equal(accepted, a.Accepted); // no check reached a in maintenance
        Assert.Equal("MAINT", proxy.Row("be", "a").Status);

        // a dies while in maintenance. Leaving it, a is up at once (health = rise), and the first check
        // that fails takes it down: fall counts from rise, not from full health (fall 2 would take two).
        a.Kill();
        long failures = proxy.Row("be", "a").CheckFailures!.Value;
        proxy.Proxy.SetServerState("be", "a", ServerAdminState.Ready);
        Assert.Equal("UP", proxy.Row("be", "a").Status);
        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "a").Status == "DOWN", "a marked down by its first failed check");
        Assert.Equal("L4CON", proxy.Row("be", "a").CheckStatus);
        Assert.Equal(failures + 1, proxy.Row("be", "a").CheckFailures); // the next check is downinter (10 s) away
    }

    [Fact]
    public async Task SetServerHealth_DrivesTheMonitor_ChecksBringItBack()
    {
        await using var a = TestServer.Echo();
        await using var proxy = await StartAsync([Server("a", a) with { Check = FastCheck with { Interval = TimeSpan.FromMilliseconds(200) } }]);
        proxy.Proxy.SetServerHealth("be", "a", up: false);
        Assert.Equal("DOWN", proxy.Row("be", "a").Status);

        // The server answers checks: rise passes bring it back.
        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "a").Status == "UP", "checks bring a back");
    }

    [Theory]
    [InlineData(ProxyIoEngine.Epoll)]
    [InlineData(ProxyIoEngine.Sockets)]
    public async Task ObserveLayer4_ConnectErrorsOnLiveTraffic_MarkTheServerDown_ChecksBringItBack(ProxyIoEngine engine)
    {
        await using var a = TestServer.Echo();
        await using var b = TestServer.Echo();
        await using var checkPort = TestServer.Echo(); // a's checks go here and keep passing
        var check = new ServerCheckOptions
        {
            Interval = TimeSpan.FromMilliseconds(200),
            Timeout = TimeSpan.FromSeconds(2),
            Port = checkPort.EndPoint.Port,
            ObserveLayer4 = true,
            ErrorLimit = 3,
            OnError = Ha.Net.HealthChecks.ObservedErrorAction.MarkDown,
        };
        await using var proxy = await StartAsync(
            [Server("a", a) with { Check = check }, Server("b", b)],
            be => be with { Retries = 1, Redispatch = true },
            proxy: o => o with { IoEngine = engine });
        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "a").CheckStatus == "L4OK", "first check of a passed");
        Assert.Equal(0, proxy.Row("be", "a").ObservedErrorReports);

        // a's port refuses now, its check port does not: only live traffic can tell.
        a.Kill();
        for (int i = 0; i < 8 && proxy.Row("be", "a").ObservedErrorReports == 0; i++)
        {
            // Every connection is served: one that lands on a fails over to b (redispatch).
            using var s = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
            await s.SendAsync(Encoding.ASCII.GetBytes("x\n"));
            Assert.Equal("x", await ProxyTestClient.ReadLineAsync(s));
        }

        var row = proxy.Row("be", "a");
        Assert.Equal(1, row.ObservedErrorReports); // hanafail
        Assert.Equal(3, row.ConnectErrors); // three in a row reached error-limit
        Assert.Equal(1, row.CheckDowns);
        Assert.Null(proxy.Row("be", "b").ObservedErrorReports); // b does not observe: empty column

        // Its checks keep passing: after rise (2) of them it is up again.
        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "a").Status == "UP", "a back up after its checks passed");
        Assert.Equal("L4OK", proxy.Row("be", "a").CheckStatus);
    }
}
