using System.Net;
using Ha.Net.HealthChecks.Probes;
using Ha.Net.Testing.HealthChecks;

namespace Ha.Net.HealthChecks.Tests.Probes;

/// <summary>The SMTP check against scripted servers: the exact dialogue and every failure mode.</summary>
public class SmtpProbeTests
{
    private static async Task<CheckResult> Probe(IPEndPoint ep, SmtpProbeOptions? options = null, int timeoutMs = 10_000)
    {
        var probe = HealthProbes.Smtp((options ?? new SmtpProbeOptions { EndPoint = ep }) with { EndPoint = ep });
        using var cts = new CancellationTokenSource(timeoutMs);
        return await probe.ProbeAsync(cts.Token);
    }

    private static Func<ScriptedConnection, Task> Mta(string banner = "220 mx.example ESMTP\r\n", string hello = "250 mx.example\r\n", string quit = "221 2.0.0 Bye\r\n") => async c =>
    {
        await c.SendAsync(banner);
        if (await c.ReadLineAsync() is null) { return; }
        await c.SendAsync(hello);
        if (await c.ReadLineAsync() is null) { return; }
        await c.SendAsync(quit);
        await c.WaitForClientCloseAsync(TimeSpan.FromSeconds(10));
    };

    [Fact]
    public async Task CleanDialogue_WaitsForTheBanner_HeloLocalhost_Quit_ClosesWithFin()
    {
        await using var server = new ScriptedServer(async c =>
        {
            await Task.Delay(200); // a slow banner: the probe must not speak first
            await Mta()(c);
        });
        var result = await Probe(server.EndPoint);
        Assert.Equal(CheckStatus.L7Ok, result.Status);

        // HAProxy 2.6.12 reports the last reply it checked, QUIT's: check_code 221 (not the greeting's 220).
        Assert.Equal(221, result.Code);
        Assert.Equal("221 2.0.0 Bye", result.Description);
        var c = (await server.WaitForConnectionsAsync()).Single();
        Assert.False(c.ClientSpokeFirst);
        Assert.Equal("HELO localhost\r\nQUIT\r\n", c.Received);
        Assert.True(c.ClientClosed); // FIN after QUIT's reply
    }

    [Fact]
    public async Task EhloWithDomain_AndMultiLineReplies_Pass()
    {
        await using var server = new ScriptedServer(Mta(
            banner: "220-mx.example ESMTP\r\n220-second line\r\n220 last\r\n",
            hello: "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n",
            quit: "221-2.0.0 Bye\r\n221 2.0.0 really\r\n"));
        var result = await Probe(server.EndPoint, new SmtpProbeOptions { EndPoint = server.EndPoint, Greeting = SmtpGreeting.Ehlo, Domain = "haproxy" });
        Assert.Equal(CheckStatus.L7Ok, result.Status);
        Assert.Equal((221, "221-2.0.0 Bye"), (result.Code, result.Description));
        Assert.Equal("EHLO haproxy\r\nQUIT\r\n", (await server.WaitForConnectionsAsync()).Single().Received);
    }

    [Fact]
    public async Task RepliesSplitAcrossSegments_AreReassembled()
    {
        await using var server = new ScriptedServer(async c =>
        {
            foreach (var part in new[] { "2", "20 mx", ".example", "\r", "\n" })
            {
                await c.SendAsync(part);
                await Task.Delay(20);
            }

            await c.ReadLineAsync();
            await c.SendAsync("250-a\r\n");
            await Task.Delay(20);
            await c.SendAsync("250 b\r\n");
            await c.ReadLineAsync();
            await c.SendAsync("221 bye\r\n");
        });
        var result = await Probe(server.EndPoint);
        Assert.Equal(CheckStatus.L7Ok, result.Status);
    }

    [Fact]
    public async Task Banner554_IsL7Sts_WithCodeAndText_AndNothingIsSent()
    {
        await using var server = new ScriptedServer(async c =>
        {
            await c.SendAsync("554 5.3.2 mx.example no SMTP service here\r\n");
            await c.WaitForClientCloseAsync(TimeSpan.FromSeconds(10));
        });
        var result = await Probe(server.EndPoint);
        Assert.Equal(CheckStatus.L7Status, result.Status);
        Assert.Equal(554, result.Code);
        Assert.Equal("554 5.3.2 mx.example no SMTP service here", result.Description);
        Assert.Equal("", (await server.WaitForConnectionsAsync()).Single().Received);
    }

    [Fact]
    public async Task BannerThatNeverComes_IsL7Timeout()
    {
        await using var server = new ScriptedServer(c => c.HangAsync());
        var result = await Probe(server.EndPoint, timeoutMs: 3000);
        Assert.Equal(CheckStatus.L7Timeout, result.Status);
        Assert.Equal("Timeout waiting for SMTP greeting", result.Description);
        Assert.Null(result.Code);
    }

    [Fact]
    public async Task HeloRejected_IsL7Sts()
    {
        await using var server = new ScriptedServer(Mta(hello: "550-5.7.1 go away\r\n550 5.7.1 really\r\n"));
        var result = await Probe(server.EndPoint);
        Assert.Equal(CheckStatus.L7Status, result.Status);
        Assert.Equal(550, result.Code);
        Assert.Equal("550-5.7.1 go away", result.Description);
    }

    [Fact]
    public async Task QuitAnsweredWithError_IsL7Sts()
    {
        await using var server = new ScriptedServer(Mta(quit: "421 4.4.2 closing\r\n"));
        var result = await Probe(server.EndPoint);
        Assert.Equal(CheckStatus.L7Status, result.Status);
        Assert.Equal(421, result.Code);
        Assert.Equal("421 4.4.2 closing", result.Description);
    }

    [Theory]
    [InlineData("HTTP/1.1 400 Bad Request\r\n", "Invalid SMTP reply in SMTP greeting: 'HTTP/1.1 400 Bad Request'")]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n", "Invalid SMTP reply in SMTP greeting: 'SSH-2.0-OpenSSH_9.2'")]
    [InlineData("22x hello\r\n", "Invalid SMTP reply in SMTP greeting: '22x hello'")]
    [InlineData("220_mx\r\n", "Invalid SMTP reply in SMTP greeting: '220_mx'")]
    [InlineData("\u0000\u0001\u0002\u0003", "Invalid SMTP reply in SMTP greeting: '....'")]
    public async Task GarbageBanner_IsL7Rsp_AtOnce_WithoutWaitingForALineEnd(string garbage, string text)
    {
        await using var server = new ScriptedServer(async c =>
        {
            await c.SendAsync(garbage);
            await c.HangAsync();
        });
        var result = await Probe(server.EndPoint);
        Assert.Equal(CheckStatus.L7Response, result.Status);
        Assert.Equal(text, result.Description);
    }

    [Fact]
    public async Task MultiLineReplyWithChangingCode_IsL7Rsp()
    {
        await using var server = new ScriptedServer(Mta(hello: "250-mx\r\n251 other\r\n"));
        var result = await Probe(server.EndPoint);
        Assert.Equal(CheckStatus.L7Response, result.Status);
        Assert.StartsWith("Invalid SMTP reply in HELO reply: ", result.Description);
    }

    [Fact]
    public async Task ResetMidDialogue_IsL7Rsp_NamingTheStep()
    {
        await using var server = new ScriptedServer(async c =>
        {
            await c.SendAsync("220 mx ESMTP\r\n");
            await c.ReadLineAsync();
            c.Reset();
        });
        var result = await Probe(server.EndPoint);
        Assert.Equal(CheckStatus.L7Response, result.Status);
        Assert.Equal("Connection reset by peer while waiting for HELO reply", result.Description);
    }

    [Fact]
    public async Task CloseMidReply_IsL7Rsp_WithWhatArrived()
    {
        await using var server = new ScriptedServer(async c =>
        {
            await c.SendAsync("220 mx ESMTP\r\n");
            await c.ReadLineAsync();
            await c.SendAsync("250-mx\r\n");
        });
        var result = await Probe(server.EndPoint);
        Assert.Equal(CheckStatus.L7Response, result.Status);
        Assert.Equal("Connection closed by the server while waiting for HELO reply after '250-mx..'", result.Description);
    }

    [Fact]
    public async Task ServerThatNeverClosesAfterQuit_StillPasses()
    {
        await using var server = new ScriptedServer(async c =>
        {
            await c.SendAsync("220 mx ESMTP\r\n");
            await c.ReadLineAsync();
            await c.SendAsync("250 mx\r\n");
            await c.ReadLineAsync();
            await c.SendAsync("221 bye\r\n");
            await c.HangAsync();
        });
        var result = await Probe(server.EndPoint, timeoutMs: 10_000);
        Assert.Equal(CheckStatus.L7Ok, result.Status);
    }

    [Fact]
    public async Task ServerThatNeverAnswersHelo_IsL7Timeout()
    {
        await using var server = new ScriptedServer(async c =>
        {
            await c.SendAsync("220 mx ESMTP\r\n");
            await c.HangAsync();
        });
        var result = await Probe(server.EndPoint, timeoutMs: 3000);
        Assert.Equal(CheckStatus.L7Timeout, result.Status);
        Assert.Equal("Timeout waiting for HELO reply", result.Description);
    }

    [Fact]
    public async Task EndlessLine_IsL7Rsp_TooLong()
    {
        await using var server = new ScriptedServer(async c =>
        {
            await c.SendAsync("220 " + new string('x', 20_000));
            await c.HangAsync();
        });
        var result = await Probe(server.EndPoint);
        Assert.Equal(CheckStatus.L7Response, result.Status);
        Assert.Equal("SMTP reply longer than 16384 bytes in SMTP greeting", result.Description);
    }

    [Fact]
    public async Task ConnectionRefused_IsL4Con()
    {
        using var held = SparePort.Refusing(out var ep);
        var result = await Probe(ep);
        Assert.Equal(CheckStatus.L4ConnectionError, result.Status);
        Assert.Equal("Connection refused", result.Description);
    }

    [Fact]
    public async Task ProxyV1Header_ComesFirst_ThenTheNormalDialogue()
    {
        string? header = null;
        await using var server = new ScriptedServer(async c =>
        {
            header = await c.ReadLineAsync(); // a PROXY-expecting MTA sends nothing before the header
            await Mta()(c);
        });
        var result = await Probe(server.EndPoint, new SmtpProbeOptions { EndPoint = server.EndPoint, SendProxy = ProxyProtocolVersion.V1 });
        Assert.Equal(CheckStatus.L7Ok, result.Status);
        Assert.Matches(@"^PROXY TCP4 127\.0\.0\.1 127\.0\.0\.1 \d+ " + server.EndPoint.Port + "$", header);
    }

    [Fact]
    public void Options_AreValidated_AllErrorsNamed()
    {
        var ex = Assert.Throws<ArgumentException>(() => HealthProbes.Smtp(new SmtpProbeOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0), Domain = "bad domain" }));
        Assert.Contains("EndPoint must have a port", ex.Message);
        Assert.Contains("Domain must be", ex.Message);
    }
}
