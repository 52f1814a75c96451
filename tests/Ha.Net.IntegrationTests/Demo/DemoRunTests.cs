using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Ha.Net.Testing.Environment;
using Ha.Net.Testing.Files;
using Xunit.Abstractions;

namespace Ha.Net.IntegrationTests.Demo;

/// <summary>
/// Runs the README's main command end to end (the built hanet-demo, as ./demo.sh does after building) and checks
/// its outcome lines: mail delivered through the VIP before and after the master was killed, the failover seen,
/// nothing left behind (namespaces, processes, run directory). The namespace story runs the real hanet-vrrpd and
/// hanet-proxyd with seed 000's configs and real Postfix backends.
/// </summary>
[Collection(nameof(DemoRunTests))]
public sealed partial class DemoRunTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task InMemoryStory_DeliversMailBeforeAndAfterTheMasterIsKilled()
    {
        var run = await RunDemo("--in-memory");

        Assert.Contains("DEMO mode=in-memory", run.Output, StringComparison.Ordinal);
        Assert.Contains("network namespaces are not available here (--in-memory given)", run.Output, StringComparison.Ordinal);
        AssertStory(run);
    }

    [RequiresFact("netns", "cmd:postfix")]
    public async Task NamespaceStory_SeedConfigsUnderTheDaemons_DeliverMailBeforeAndAfterTheMasterIsKilled()
    {
        var run = await RunDemo("--netns");

        Assert.Contains("DEMO mode=netns", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"dc1: started hanet-proxyd -f dc1\.haproxy\.cfg \(pid \d+\) and hanet-vrrpd -f dc1\.keepalived\.conf", run.Output);
        Assert.Matches(@"dc2: started hanet-proxyd -f dc2\.haproxy\.cfg \(pid \d+\) and hanet-vrrpd -f dc2\.keepalived\.conf", run.Output);
        Assert.Matches(@"\*\*\* killing the master dc\d: kill -9 hanet-vrrpd", run.Output);
        Assert.Matches(@"hanet-vrrpd: \(dc\dserver\) Entering MASTER STATE", run.Output);
        AssertStory(run);

        // The seed's stats page (TLS, basic auth) answers through the VIP, before and after the failover.
        Assert.Matches(@"stats page https://198\.18\.0\.3:9000/;csv on dc\d .*: emailservice/dc\dserver01=UP emailservice/dc\dserver02=UP", run.Output);

        // Real MTAs delivered the mail: both Postfix Maildirs received some.
        var delivered = PostfixLine().Match(run.Output);
        Assert.True(delivered.Success, "no Postfix delivery line");
        Assert.True(int.Parse(delivered.Groups[1].Value, CultureInfo.InvariantCulture) > 0, delivered.Value);
        Assert.True(int.Parse(delivered.Groups[2].Value, CultureInfo.InvariantCulture) > 0, delivered.Value);

        // Nothing left behind, checked here too: no namespace of that run, no process naming its run directory.
        var runDir = RunDirLine().Match(run.Output);
        Assert.True(runDir.Success, "no run directory line");
        Assert.False(Directory.Exists(runDir.Groups[1].Value), $"{runDir.Groups[1].Value} still exists");
        var prefix = $"hnd{run.Pid}";
        Assert.Empty(NetnsLab.ExistingNamespaces(prefix));
        Assert.Empty(NetnsLab.ProcessesMentioning(runDir.Groups[1].Value));
    }

    private static void AssertStory(DemoRun run)
    {
        Assert.True(run.ExitCode == 0, $"hanet-demo exited {run.ExitCode}");
        Assert.Contains("RESULT story=ok", run.Output, StringComparison.Ordinal);
        var result = ResultLine().Match(run.Output);
        Assert.True(result.Success, "no RESULT line");
        Assert.True(int.Parse(result.Groups["before"].Value, CultureInfo.InvariantCulture) > 0, result.Value);
        Assert.True(int.Parse(result.Groups["after"].Value, CultureInfo.InvariantCulture) > 0, result.Value);
        Assert.Matches(@"\*\*\* FAILOVER: dc\d holds VIP 198\.18\.0\.3 \d+ ms after the kill", run.Output);
        Assert.Contains("CLEANUP namespaces_left=0 processes_left=0 run_dir_left=0", run.Output, StringComparison.Ordinal);
    }

    private async Task<DemoRun> RunDemo(string mode)
    {
        var (demo, vrrpd, proxyd) = Binaries();
        var logs = Directory.CreateTempSubdirectory("hanet-demo-test-logs-").FullName;
        try
        {
            var info = new ProcessStartInfo(demo) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { mode, "--logs", logs, "--vrrpd", vrrpd, "--proxyd", proxyd })
            {
                info.ArgumentList.Add(a);
            }

            using var process = new Process { StartInfo = info };
            var text = new StringBuilder();
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using var cts = new CancellationTokenSource(Bound);
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                // SIGTERM first: the demo tears its lab down on it.
                Process.Start("kill", $"-TERM {process.Id}")?.WaitForExit(5_000);
                if (!process.WaitForExit(30_000))
                {
                    process.Kill(entireProcessTree: true);
                }

                Assert.Fail($"hanet-demo {mode} did not finish within {Bound.TotalSeconds} s:\n{Snapshot()}");
            }

            process.WaitForExit();
            var all = Snapshot();
            output.WriteLine(all);
            return new DemoRun(process.ExitCode, all, process.Id);

            void Append(string? line)
            {
                if (line is not null)
                {
                    lock (text)
                    {
                        text.AppendLine(line);
                    }
                }
            }

            string Snapshot()
            {
                lock (text)
                {
                    return text.ToString();
                }
            }
        }
        finally
        {
            Directory.Delete(logs, recursive: true);
        }
    }

    /// <summary>The demo and the daemons as the solution build leaves them (same configuration as this test assembly).</summary>
    private static (string Demo, string Vrrpd, string Proxyd) Binaries() =>
        (TestFiles.Built("samples/Demo", "hanet-demo"), TestFiles.Built("samples/VrrpDaemon", "hanet-vrrpd"), TestFiles.Built("samples/ProxyDaemon", "hanet-proxyd"));

    [GeneratedRegex(@"RESULT mails_sent=\d+ delivered_before_kill=(?<before>\d+) delivered_after_kill=(?<after>\d+) failed=\d+ longest_gap_ms=\d+ failover_ms=\d+")]
    private static partial Regex ResultLine();

    [GeneratedRegex(@"Postfix delivered into the Maildirs: mx1 (\d+), mx2 (\d+)")]
    private static partial Regex PostfixLine();

    [GeneratedRegex(@"run directory: (\S+)")]
    private static partial Regex RunDirLine();

    private sealed record DemoRun(int ExitCode, string Output, int Pid);
}
