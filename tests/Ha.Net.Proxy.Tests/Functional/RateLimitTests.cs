using System.Net;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Hosting;
using Ha.Net.Testing.Proxy;
using Microsoft.Extensions.Time.Testing;

namespace Ha.Net.Proxy.Tests.Functional;

public class RateLimitTests
{
    [Theory]
    [InlineData(ProxyIoEngine.Epoll)]
    [InlineData(ProxyIoEngine.Sockets)]
    public async Task RateLimitSessions_TheConnectionOverTheLimitWaitsInTheBacklog_UntilTheRateAllowsIt(ProxyIoEngine engine)
    {
        var clock = new FakeTimeProvider();
        await using var a = TestServer.Named("a");
        var options = new ProxyOptions
        {
            IoEngine = engine,
            Frontends = [new FrontendOptions { Name = "fe", Bind = new IPEndPoint(IPAddress.Loopback, 0), Backend = "be", RateLimitSessions = 3 }],
            Backends = [new BackendOptions { Name = "be", Servers = [new ServerOptions { Name = "a", Address = a.EndPoint }] }],
            HardStopAfter = TimeSpan.FromSeconds(5),
        };
        await using var proxy = new TcpProxy(options, timeProvider: clock);
        await proxy.StartAsync();
        var endPoint = proxy.GetFrontendEndPoint("fe");
        var clients = new List<System.Net.Sockets.Socket>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                clients.Add(await ProxyTestClient.ConnectAsync(endPoint));
                Assert.Equal("a", await ProxyTestClient.ReadLineAsync(clients[^1]));
            }

            // The fourth connects (the kernel's backlog completes the handshake) but is not accepted.
            var fourth = await ProxyTestClient.ConnectAsync(endPoint);
            clients.Add(fourth);
            var greeting = ProxyTestClient.ReadLineAsync(fourth);
            await Task.Delay(500);
            Assert.False(greeting.IsCompleted, "the fourth session came before the rate allowed it");
            var frontend = proxy.GetStats().Single(r => r.ServiceName == "FRONTEND");
            Assert.Equal((3L, 3L, 3L), (frontend.TotalSessions, frontend.SessionRateLimit!.Value, frontend.SessionRate));

            // 3 sessions in the first second: the rate is under 3 again 1 ms into the next one.
            clock.Advance(TimeSpan.FromMilliseconds(1000));
            await Task.Delay(200);
            Assert.False(greeting.IsCompleted, "accepted while the previous second still counted 3");
            clock.Advance(TimeSpan.FromMilliseconds(1));
            Assert.Equal("a", await greeting.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(4, proxy.GetStats().Single(r => r.ServiceName == "FRONTEND").TotalSessions);
        }
        finally
        {
            foreach (var c in clients)
            {
                c.Dispose();
            }
        }
    }
}
