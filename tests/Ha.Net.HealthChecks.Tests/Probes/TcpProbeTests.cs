using System.Net;
using System.Net.Sockets;
using Ha.Net.HealthChecks.Probes;
using Ha.Net.Testing.HealthChecks;

namespace Ha.Net.HealthChecks.Tests.Probes;

public class TcpProbeTests
{
    private static async Task<CheckResult> Probe(TcpProbeOptions options, int timeoutMs = 10_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        return await HealthProbes.Tcp(options).ProbeAsync(cts.Token);
    }

    [Fact]
    public async Task Accepted_IsL4Ok_AndClosedWithAReset()
    {
        await using var server = new ScriptedServer(async c => await c.WaitForClientCloseAsync(TimeSpan.FromSeconds(10)));
        var result = await Probe(new TcpProbeOptions { EndPoint = server.EndPoint });
        Assert.Equal(CheckStatus.L4Ok, result.Status);
        Assert.Null(result.Description); // HAProxy 2.6 leaves last_chk and the log's info empty on L4OK
        var c = (await server.WaitForConnectionsAsync()).Single();
        Assert.Equal("", c.Received);
        Assert.False(c.ClientClosed); // RST, not FIN: the read failed instead of returning 0
    }

    [Fact]
    public async Task Refused_IsL4Con()
    {
        using var held = SparePort.Refusing(out var ep);
        var result = await Probe(new TcpProbeOptions { EndPoint = ep });
        Assert.Equal(CheckStatus.L4ConnectionError, result.Status);
        Assert.Equal("Connection refused", result.Description);
    }

    [Fact]
    public async Task SynDropped_IsL4Timeout()
    {
        // A listener whose accept queue is full drops further SYNs: the connect hangs.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var ep = (IPEndPoint)listener.LocalEndPoint!;
        var fillers = new List<Socket>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(s);
                _ = s.ConnectAsync(ep);
            }

            await Task.Delay(200);
            var result = await Probe(new TcpProbeOptions { EndPoint = ep, ConnectTimeout = TimeSpan.FromMilliseconds(300) });
            Assert.Equal(CheckStatus.L4Timeout, result.Status);
            Assert.Equal("Connection timeout", result.Description);
            var byMonitor = await Probe(new TcpProbeOptions { EndPoint = ep }, timeoutMs: 300);
            Assert.Equal(CheckStatus.L4Timeout, byMonitor.Status);
        }
        finally
        {
            fillers.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task DnsEndPoint_Localhost_Works()
    {
        await using var server = new ScriptedServer(async c => await c.WaitForClientCloseAsync(TimeSpan.FromSeconds(10)));
        var result = await Probe(new TcpProbeOptions { EndPoint = new DnsEndPoint("localhost", server.EndPoint.Port) });
        Assert.Equal(CheckStatus.L4Ok, result.Status);
    }

    [Fact]
    public async Task ProxyV2Header_IsTheSpecsBinaryFormat()
    {
        await using var server = new ScriptedServer(async c => await c.WaitForClientCloseAsync(TimeSpan.FromSeconds(10)));
        var result = await Probe(new TcpProbeOptions { EndPoint = server.EndPoint, SendProxy = ProxyProtocolVersion.V2, CloseWithReset = false });
        Assert.Equal(CheckStatus.L4Ok, result.Status);
        var bytes = System.Text.Encoding.Latin1.GetBytes((await server.WaitForConnectionsAsync()).Single().Received);
        Assert.Equal(28, bytes.Length);
        Assert.Equal("\r\n\r\n\0\r\nQUIT\n"u8.ToArray(), bytes[..12]);
        Assert.Equal(0x21, bytes[12]); // v2, PROXY
        Assert.Equal(0x11, bytes[13]); // TCP over IPv4
        Assert.Equal(new byte[] { 0, 12 }, bytes[14..16]);
        Assert.Equal(new byte[] { 127, 0, 0, 1, 127, 0, 0, 1 }, bytes[16..24]);
        Assert.Equal(server.EndPoint.Port, (bytes[26] << 8) | bytes[27]);
    }

    [Fact]
    public void Options_AreValidated()
    {
        var ex = Assert.Throws<ArgumentException>(() => HealthProbes.Tcp(new TcpProbeOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0), ConnectTimeout = TimeSpan.Zero }));
        Assert.Contains("EndPoint must have a port", ex.Message);
        Assert.Contains("ConnectTimeout must be positive", ex.Message);
    }
}
