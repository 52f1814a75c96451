using Ha.Net.HealthChecks.Probes;
using Ha.Net.Testing.Environment;
using Ha.Net.Testing.HealthChecks;

namespace Ha.Net.HealthChecks.Tests.Probes;

/// <summary>One private Postfix for the class (started as root on 127.0.0.1 spare ports).</summary>
public sealed class PostfixFixture : IDisposable
{
    private readonly Lazy<PostfixInstance> _instance = new(PostfixInstance.Start);

    public PostfixInstance Instance => _instance.Value;

    public void Dispose()
    {
        if (_instance.IsValueCreated)
        {
            _instance.Value.Dispose();
        }
    }
}

/// <summary>
/// The SMTP check against a real MTA (Postfix 3.7 from Debian), asserting from the MTA's own log
/// that the dialogue was clean: no pregreet, no pipelining complaint, no lost connection, ended by QUIT.
/// </summary>
public class PostfixTests(PostfixFixture fixture) : IClassFixture<PostfixFixture>
{
    private static async Task<CheckResult> Probe(SmtpProbeOptions options, int timeoutMs = 20_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        return await HealthProbes.Smtp(options).ProbeAsync(cts.Token);
    }


    [RequiresFact("root", "cmd:postfix")]
    public async Task SmtpCheck_PassesAgainstPostfix_AndTheLogShowsACleanDialogueEndingInQuit()
    {
        var pf = fixture.Instance;
        var before = pf.CountInLog("clean", "disconnect from");
        var result = await Probe(new SmtpProbeOptions { EndPoint = pf.Smtpd });
        Assert.Equal(CheckStatus.L7Ok, result.Status);
        Assert.Equal(221, result.Code); // QUIT's reply, the last one checked, as HAProxy reports it
        Assert.Equal("221 2.0.0 Bye", result.Description);

        var log = await pf.WaitForLogAsync("clean", "disconnect from", before + 1);
        var line = log.Split('\n').Last(l => l.Contains("disconnect from", StringComparison.Ordinal));
        Assert.EndsWith("disconnect from localhost[127.0.0.1] helo=1 quit=1 commands=2", line.TrimEnd());
        Assert.DoesNotContain("lost connection", log);
        Assert.DoesNotContain("improper command pipelining", log);
        Assert.DoesNotContain("PREGREET", log);
    }

    [RequiresFact("root", "cmd:postfix")]
    public async Task SpeakingFirst_IsWhatPostfixLogs_SoTheCleanLogAboveMeansSomething()
    {
        // Negative control: a client that sends HELO before the banner is flagged by smtpd.
        var pf = fixture.Instance;
        using (var client = new System.Net.Sockets.TcpClient())
        {
            await client.ConnectAsync(pf.Control);
            var stream = client.GetStream();
            await stream.WriteAsync("HELO early\r\nQUIT\r\n"u8.ToArray());
            var buffer = new byte[1024];
            using var cts = new CancellationTokenSource(20_000);
            var text = "";
            while (!text.Contains("221", StringComparison.Ordinal))
            {
                var n = await stream.ReadAsync(buffer, cts.Token);
                if (n == 0) { break; }
                text += System.Text.Encoding.ASCII.GetString(buffer, 0, n);
            }
        }

        await pf.WaitForLogAsync("control", "improper command pipelining");
    }

    [RequiresFact("root", "cmd:postfix")]
    public async Task Ehlo_WithItsMultiLineReply_PassesAgainstPostfix()
    {
        var pf = fixture.Instance;
        var result = await Probe(new SmtpProbeOptions { EndPoint = pf.Smtpd, Greeting = SmtpGreeting.Ehlo, Domain = "haproxy.example" });
        Assert.Equal(CheckStatus.L7Ok, result.Status);
        var log = await pf.WaitForLogAsync("clean", "ehlo=1 quit=1 commands=2");
        Assert.DoesNotContain("lost connection", log);
    }

    [RequiresFact("root", "cmd:postfix")]
    public async Task Postscreen_PregreetTest_PassesWithItsMultiLineGreeting()
    {
        // postscreen sends "220-..." and waits postscreen_greet_wait for the client to talk out of
        // turn; then smtpd sends "220 ...". HAProxy would refuse the "220-"; we accept it and pass.
        var pf = fixture.Instance;
        var result = await Probe(new SmtpProbeOptions { EndPoint = pf.Postscreen });
        Assert.Equal(CheckStatus.L7Ok, result.Status);
        Assert.Equal("221 2.0.0 Bye", result.Description);
        var log = await pf.WaitForLogAsync("screen", "PASS ");
        Assert.Matches(@"PASS (NEW|OLD) \[127\.0\.0\.1\]", log);
        Assert.DoesNotContain("PREGREET", log);
    }

    [RequiresTheory("root", "cmd:postfix")]
    [InlineData(ProxyProtocolVersion.V1)]
    [InlineData(ProxyProtocolVersion.V2)]
    public async Task ProxyHeader_IsAcceptedByPostfixUpstreamProxyProtocol(ProxyProtocolVersion version)
    {
        var pf = fixture.Instance;
        var result = await Probe(new SmtpProbeOptions { EndPoint = pf.ProxySmtpd, SendProxy = version });
        Assert.Equal(CheckStatus.L7Ok, result.Status);
        Assert.Contains("connect from localhost[127.0.0.1]", await pf.WaitForLogAsync("proxy", "quit=1 commands=2"));
    }

    [RequiresFact("root", "cmd:postfix")]
    public async Task WithoutTheProxyHeader_APostfixExpectingOneNeverGreets_L7Timeout()
    {
        var pf = fixture.Instance;
        // Under Postfix's smtpd_upstream_proxy_timeout (5 s), past which it answers 421 itself.
        var result = await Probe(new SmtpProbeOptions { EndPoint = pf.ProxySmtpd }, timeoutMs: 2000);
        Assert.Equal(CheckStatus.L7Timeout, result.Status);
        Assert.Equal("Timeout waiting for SMTP greeting", result.Description);
    }

    [RequiresFact("root", "cmd:postfix")]
    public async Task PostfixRejectingHelo_IsL7Sts554_WithPostfixsText()
    {
        var pf = fixture.Instance;
        var result = await Probe(new SmtpProbeOptions { EndPoint = pf.RejectingHelo });
        Assert.Equal(CheckStatus.L7Status, result.Status);
        Assert.Equal(554, result.Code);
        Assert.Equal("554 5.7.1 <localhost>: Helo command rejected: Access denied", result.Description);
    }

    [RequiresFact("root", "cmd:postfix")]
    public async Task Monitor_OnTheRealClock_KeepsPostfixUp_AndEveryCheckIsClean()
    {
        var pf = fixture.Instance;
        await using var scheduler = HealthCheckScheduler.Create();
        var before = pf.CountInLog("clean", "helo=1 quit=1 commands=2");
        var monitor = scheduler.Add("emailservice/postfix", HealthProbes.Smtp(new SmtpProbeOptions { EndPoint = pf.Smtpd, Domain = "haproxy" }),
            new HealthMonitorOptions { Interval = TimeSpan.FromMilliseconds(100), Jitter = TimeSpan.Zero, InitialState = HealthInitialState.Down });
        for (var i = 0; i < 3000 && monitor.Snapshot.ChecksCompleted < 3; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(HealthState.Up, monitor.State);
        Assert.Equal(CheckStatus.L7Ok, monitor.Snapshot.LastResult.Status);
        await scheduler.DisposeAsync();
        var log = await pf.WaitForLogAsync("clean", "helo=1 quit=1 commands=2", before + 3);
        Assert.DoesNotContain("lost connection", log);
    }

}
