using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ha.Net.HealthChecks.Probes;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Hosting;
using Ha.Net.Proxy.ProxyProtocol;
using Ha.Net.Testing.Logging;
using Ha.Net.Testing.Proxy;

namespace Ha.Net.Proxy.Tests.Functional;

/// <summary><c>bind ... accept-proxy</c>: the PROXY header a client sends first, on real sockets.</summary>
public class AcceptProxyTests
{
    /// <summary>The engine these tests drive; a subclass runs them all again on the other one.</summary>
    protected virtual ProxyIoEngine Engine => ProxyIoEngine.Auto;

    /// <summary>Every frontend's and backend's splice modes; null = the library's default (splice-auto).</summary>
    protected virtual SpliceModes? Splice => null;

    private async Task<TcpProxy> StartAsync(TestServer server, ListLoggerProvider logs, ProxyProtocolVersion sendProxy = ProxyProtocolVersion.None, TimeSpan? clientTimeout = null, bool dontLogNull = false)
    {
        var proxy = new TcpProxy(
            ProxyHarness.WithSplice(new ProxyOptions
            {
                Frontends = [new FrontendOptions { Name = "fe", Bind = new IPEndPoint(IPAddress.Loopback, 0), Backend = "be", AcceptProxy = true, ClientTimeout = clientTimeout, DontLogNull = dontLogNull }],
                Backends = [new BackendOptions { Name = "be", Servers = [new ServerOptions { Name = "s1", Address = server.EndPoint, SendProxy = sendProxy }] }],
                HardStopAfter = TimeSpan.FromSeconds(5),
                IoEngine = Engine,
            }, Splice),
            logs);
        await proxy.StartAsync();
        return proxy;
    }

    /// <summary>Sends <paramref name="pieces"/> (with a pause between them), then FIN; returns what came back.</summary>
    private static async Task<string> ExchangeAsync(IPEndPoint endPoint, params byte[][] pieces)
    {
        using var client = await ProxyTestClient.ConnectAsync(endPoint);
        for (int i = 0; i < pieces.Length; i++)
        {
            if (i > 0)
            {
                await Task.Delay(50);
            }

            await client.SendAsync(pieces[i]);
        }

        client.Shutdown(SocketShutdown.Send);
        return Encoding.ASCII.GetString(await ProxyTestClient.ReadToEndAsync(client));
    }

    [Fact]
    public async Task V1Header_WithDataInTheSameSegment_TheHeadersAddressesGoToTheServerAndTheLog()
    {
        var received = new ConcurrentQueue<string>();
        await using var server = TestServer.Recorder(received);
        var logs = new ListLoggerProvider();
        await using var proxy = await StartAsync(server, logs, sendProxy: ProxyProtocolVersion.V1);

        string answer = await ExchangeAsync(proxy.GetFrontendEndPoint("fe"), "PROXY TCP4 198.18.0.7 198.18.0.1 40000 25\r\nEHLO client\r\n"u8.ToArray());

        Assert.Equal("ok\n", answer);
        // The server sees our own send-proxy header with the original client, then the client's bytes, nothing of its header.
        Assert.Equal("PROXY TCP4 198.18.0.7 198.18.0.1 40000 25\r\nEHLO client\r\n", Assert.Single(received));
        await ProxyTestClient.WaitUntilAsync(() => logs.Entries.Any(e => e.Id.Id == 3001), "tcplog line");
        var line = Assert.Single(logs.Entries, e => e.Id.Id == 3001);
        Assert.StartsWith("198.18.0.7:40000 [", line.Message, StringComparison.Ordinal);
        Assert.Contains(" fe be/s1 ", line.Message, StringComparison.Ordinal);
        Assert.Equal(13L, line.State.Single(kv => kv.Key == "BytesUploaded").Value); // "EHLO client\r\n", not the header
        Assert.Equal((1L, 1L), (Row(proxy, "FRONTEND").TotalConnections, Row(proxy, "FRONTEND").TotalSessions)); // a connection that became a session
    }

    [Fact]
    public async Task V2Header_ArrivingInPieces_IsAssembled_AndOnlyTheClientsDataReachesTheServer()
    {
        var received = new ConcurrentQueue<string>();
        await using var server = TestServer.Recorder(received);
        var logs = new ListLoggerProvider();
        await using var proxy = await StartAsync(server, logs);
        var header = new byte[ProxyProtocolHeader.MaxV2Length];
        int n = ProxyProtocolHeader.WriteV2(IPEndPoint.Parse("[2001:db8::9]:5000"), IPEndPoint.Parse("[2001:db8::1]:25"), header);

        string answer = await ExchangeAsync(proxy.GetFrontendEndPoint("fe"), header[..5], header[5..20], header[20..n], "QUIT\r\n"u8.ToArray());

        Assert.Equal("ok\n", answer);
        Assert.Equal("QUIT\r\n", Assert.Single(received));
        await ProxyTestClient.WaitUntilAsync(() => logs.Entries.Any(e => e.Id.Id == 3001), "tcplog line");
        Assert.StartsWith("2001:db8::9:5000 [", Assert.Single(logs.Entries, e => e.Id.Id == 3001).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task V2Local_KeepsTheConnectionsOwnAddress()
    {
        var received = new ConcurrentQueue<string>();
        await using var server = TestServer.Recorder(received);
        var logs = new ListLoggerProvider();
        await using var proxy = await StartAsync(server, logs);
        byte[] local = [.. ProxyProtocolHeader.V2Signature, 0x20, 0x00, 0x00, 0x00, .. "PING\n"u8];

        Assert.Equal("ok\n", await ExchangeAsync(proxy.GetFrontendEndPoint("fe"), local));

        Assert.Equal("PING\n", Assert.Single(received));
        await ProxyTestClient.WaitUntilAsync(() => logs.Entries.Any(e => e.Id.Id == 3001), "tcplog line");
        Assert.StartsWith("127.0.0.1:", Assert.Single(logs.Entries, e => e.Id.Id == 3001).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET / HTTP/1.0\r\n\r\n", "Received something which does not look like a PROXY protocol header")]
    [InlineData("PROXY TCP4 198.18.0.300 198.18.0.1 1 2\r\nx", "Received an invalid PROXY protocol header: v1 header: source address '198.18.0.300' is not an IPv4 address")]
    // A v2 header, PROXY command, with family/transport 0x51 (no such family) and 12 address bytes
    // (10.0.0.1:80 to 10.0.0.2:25): HAProxy 2.6 resets it with the same "invalid PROXY protocol header".
    [InlineData("\r\n\r\n\0\r\nQUIT\n\u0021\u0051\0\u000c\u000a\0\0\u0001\u000a\0\0\u0002\0\u0050\0\u0019x", "Received an invalid PROXY protocol header: v2 header: family/transport 0x51 (byte 14) is neither TCP over IPv4 (0x11) nor TCP over IPv6 (0x21), which the PROXY command needs")]
    public async Task NoValidHeader_IsClosedBeforeAnyServer_AndLoggedWithTheReason(string sent, string reason)
    {
        var received = new ConcurrentQueue<string>();
        await using var server = TestServer.Recorder(received);
        var logs = new ListLoggerProvider();
        await using var proxy = await StartAsync(server, logs);

        using (var client = await ProxyTestClient.ConnectAsync(proxy.GetFrontendEndPoint("fe")))
        {
            await client.SendAsync(Encoding.ASCII.GetBytes(sent));
            await ReadUntilClosedAsync(client);
        }

        await ProxyTestClient.WaitUntilAsync(() => logs.Entries.Any(e => e.Id.Id == 3003), "header failure line");
        var line = Assert.Single(logs.Entries, e => e.Id.Id == 3003);
        Assert.Matches(@"^127\.0\.0\.1:\d+ \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] fe: ", line.Message);
        Assert.EndsWith(reason, line.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Entries, e => e.Id.Id == 3001);
        Assert.Equal(0, server.Accepted);
        await ProxyTestClient.WaitUntilAsync(() => Row(proxy, "FRONTEND").CurrentSessions == 0, "session closed");
        Assert.Equal(0, Row(proxy, "BACKEND").TotalSessions);
    }

    [Fact]
    public async Task HeaderNotCompleteWithinTimeoutClient_IsClosed_AsATimeout()
    {
        var received = new ConcurrentQueue<string>();
        await using var server = TestServer.Recorder(received);
        var logs = new ListLoggerProvider();
        await using var proxy = await StartAsync(server, logs, clientTimeout: TimeSpan.FromMilliseconds(300));

        using (var client = await ProxyTestClient.ConnectAsync(proxy.GetFrontendEndPoint("fe")))
        {
            await client.SendAsync("PROXY TCP4 198.18"u8.ToArray());
            await ReadUntilClosedAsync(client);
        }

        await ProxyTestClient.WaitUntilAsync(() => logs.Entries.Any(e => e.Id.Id == 3003), "header failure line");
        Assert.EndsWith("fe: Timeout while waiting for PROXY protocol header", Assert.Single(logs.Entries, e => e.Id.Id == 3003).Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Accepted);
    }

    [Fact]
    public async Task ClientClosingBeforeAnyByte_IsNotLoggedWithDontLogNull_ButATruncatedHeaderIs()
    {
        var received = new ConcurrentQueue<string>();
        await using var server = TestServer.Recorder(received);
        var logs = new ListLoggerProvider();
        await using var proxy = await StartAsync(server, logs, dontLogNull: true);
        var endPoint = proxy.GetFrontendEndPoint("fe");

        using (var probe = await ProxyTestClient.ConnectAsync(endPoint))
        {
            probe.Shutdown(SocketShutdown.Send);
            await ReadUntilClosedAsync(probe);
        }

        using (var cut = await ProxyTestClient.ConnectAsync(endPoint))
        {
            await cut.SendAsync("PROXY TCP4 "u8.ToArray());
            cut.Shutdown(SocketShutdown.Send);
            await ReadUntilClosedAsync(cut);
        }

        await ProxyTestClient.WaitUntilAsync(() => logs.Entries.Any(e => e.Id.Id == 3003), "header failure line");
        await ProxyTestClient.WaitUntilAsync(() => Row(proxy, "FRONTEND").CurrentSessions == 0, "sessions closed");
        Assert.EndsWith("fe: Truncated PROXY protocol header received", Assert.Single(logs.Entries, e => e.Id.Id == 3003).Message, StringComparison.Ordinal);
        // Two connections, neither of which became a session: HAProxy's conn_tot, not stot.
        Assert.Equal(2, Row(proxy, "FRONTEND").TotalConnections);
        Assert.Equal(0, Row(proxy, "FRONTEND").TotalSessions);
        Assert.Equal(0, server.Accepted);
    }

    private static Ha.Net.Proxy.Stats.StatsRow Row(TcpProxy proxy, string service) =>
        proxy.GetStats().Single(r => r.ServiceName == service && (r.ProxyName == "fe" || r.ProxyName == "be") && (service != "FRONTEND" || r.ProxyName == "fe"));

    /// <summary>Reads until the proxy closes (FIN or RST); it must not send anything.</summary>
    private static async Task ReadUntilClosedAsync(Socket client)
    {
        try
        {
            Assert.Empty(await ProxyTestClient.ReadToEndAsync(client));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Closed with unread data: a reset.
        }
    }
}

/// <summary>The same tests on .NET's socket engine (the portable path, the default off Linux).</summary>
public sealed class AcceptProxySocketsEngineTests : AcceptProxyTests
{
    protected override ProxyIoEngine Engine => ProxyIoEngine.Sockets;
}

/// <summary>The same tests on the epoll engine copying every byte (no splice).</summary>
public sealed class AcceptProxyEpollCopyTests : AcceptProxyTests
{
    protected override SpliceModes? Splice => SpliceModes.None;
}

/// <summary>The same tests on the epoll engine splicing both directions from the first byte
/// (<c>option splice-request</c> and <c>splice-response</c>).</summary>
public sealed class AcceptProxyEpollSpliceTests : AcceptProxyTests
{
    protected override SpliceModes? Splice => SpliceModes.Request | SpliceModes.Response;
}
