using Ha.Net.HealthChecks.Probes;
using Ha.Net.Testing.HealthChecks;

namespace Ha.Net.HealthChecks.Tests.Probes;

public class TcpCheckProbeTests
{
    private static async Task<CheckResult> Probe(System.Net.EndPoint endPoint, int timeoutMs, params TcpCheckStep[] steps)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        return await HealthProbes.TcpCheck(new TcpCheckProbeOptions { EndPoint = endPoint, Steps = steps }).ProbeAsync(cts.Token);
    }

    /// <summary>A Redis-like server: PING → +PONG, QUIT → +OK and close.</summary>
    private static async Task Redis(ScriptedConnection c)
    {
        while (await c.ReadLineAsync() is { } line)
        {
            if (line == "PING")
            {
                await c.SendAsync("+PONG\r\n");
            }
            else if (line == "QUIT")
            {
                await c.SendAsync("+OK\r\n");
                return;
            }
            else
            {
                await c.SendAsync("-ERR unknown command\r\n");
                return;
            }
        }
    }

    [Fact]
    public async Task SendAndExpect_InOrder_IsL7Ok()
    {
        await using var server = new ScriptedServer(Redis);

        var result = await Probe(server.EndPoint, 10_000,
            TcpCheckStep.Send("PING\r\n"), TcpCheckStep.ExpectString("+PONG"), TcpCheckStep.Send("QUIT\r\n"), TcpCheckStep.ExpectString("+OK"));

        Assert.Equal((CheckStatus.L7Ok, "(tcp-check)"), (result.Status, result.Description));
        Assert.Equal("PING\r\nQUIT\r\n", (await server.WaitForConnectionsAsync()).Single().Received);
    }

    [Fact]
    public async Task NoMatchBeforeTheServerCloses_IsL7Rsp_NamingTheStepAndWhatCame()
    {
        await using var server = new ScriptedServer(Redis);

        var result = await Probe(server.EndPoint, 10_000, TcpCheckStep.Send("INFO\r\n"), TcpCheckStep.ExpectString("+PONG"));

        Assert.Equal(CheckStatus.L7Response, result.Status);
        Assert.StartsWith("TCPCHK did not match content '+PONG' at step 3 (the server closed the connection; received '-ERR unknown command", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegexAndBinary_MatchWhatArrivesInPieces_EachExpectAfterThePreviousMatch()
    {
        await using var server = new ScriptedServer(async c =>
        {
            await c.SendAsync("SSH-2.0-Open");
            await Task.Delay(100);
            await c.SendAsync("SSH_9.2\r\n");
            await c.WaitForClientCloseAsync(TimeSpan.FromSeconds(10));
        });

        var result = await Probe(server.EndPoint, 10_000,
            TcpCheckStep.ExpectRegex(@"^SSH-2\.0-OpenSSH_\d"), TcpCheckStep.ExpectBinary([0x0d, 0x0a]));

        Assert.Equal(CheckStatus.L7Ok, result.Status);
    }

    [Fact]
    public async Task AnExpectConsumesItsMatch_SoTheSameTextTwiceNeedsTwoArrivals()
    {
        await using var server = new ScriptedServer(async c =>
        {
            await c.SendAsync("+OK\r\n");
            await c.WaitForClientCloseAsync(TimeSpan.FromSeconds(10));
        });

        var result = await Probe(server.EndPoint, 500, TcpCheckStep.ExpectString("+OK"), TcpCheckStep.ExpectString("+OK"));

        Assert.Equal(CheckStatus.L7Timeout, result.Status);
        Assert.Equal("Layer7 timeout at step 3 of tcp-check ('+OK')", result.Description);
    }

    [Fact]
    public async Task Refused_IsL4Con()
    {
        using var held = SparePort.Refusing(out var ep);

        var result = await Probe(ep, 10_000, TcpCheckStep.Send("PING\r\n"));

        Assert.Equal(CheckStatus.L4ConnectionError, result.Status);
    }

    [Fact]
    public void Options_AreValidated_EachProblemNamed()
    {
        var ex = Assert.Throws<ArgumentException>(() => HealthProbes.TcpCheck(new TcpCheckProbeOptions
        {
            EndPoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 6379),
            Steps = [TcpCheckStep.Send("")],
            ReceiveBufferSize = 10,
        }));

        Assert.Contains("Steps[0] (send '') has no bytes.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ReceiveBufferSize must be between 64 and 1048576, was 10.", ex.Message, StringComparison.Ordinal);
    }
}
