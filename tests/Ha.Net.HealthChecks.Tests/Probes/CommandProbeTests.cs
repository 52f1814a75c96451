using System.Diagnostics;
using Ha.Net.HealthChecks.Probes;
using Ha.Net.Testing.Environment;

namespace Ha.Net.HealthChecks.Tests.Probes;

/// <summary>Command checks with real programs and scripts (keepalived vrrp_script semantics).</summary>
public sealed class CommandProbeTests : IDisposable
{
    private readonly string _marker = "31" + Random.Shared.Next(10000, 99999); // unique sleep duration to find our processes

    public void Dispose()
    {
        foreach (var pid in PidsWithMarker())
        {
            try { using var p = Process.GetProcessById(pid); p.Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        }
    }

    private List<int> PidsWithMarker()
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) { continue; }
            try
            {
                var cmd = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                var state = File.ReadAllText(Path.Combine(dir, "stat"));
                if (cmd.Contains("sleep " + _marker, StringComparison.Ordinal) && !state.Contains(") Z", StringComparison.Ordinal))
                {
                    pids.Add(pid);
                }
            }
            catch (IOException) { }
        }

        return pids;
    }

    private static async Task<CheckResult> Probe(CommandProbeOptions options, int timeoutMs = 20_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        return await HealthProbes.Command(options).ProbeAsync(cts.Token);
    }

    [Fact]
    public async Task ExitZero_IsProcOk()
    {
        var result = await Probe(new CommandProbeOptions { FileName = "true" });
        Assert.Equal(CheckStatus.ProcessOk, result.Status);
        Assert.Equal(0, result.Code);
        Assert.Equal("exit status 0", result.Description);
    }

    [Fact]
    public async Task NonZeroExit_IsProcErr_WithStatusAndOutput()
    {
        var result = await Probe(new CommandProbeOptions { FileName = "echo haproxy is dead; echo details >&2; exit 3", UseShell = true });
        Assert.Equal(CheckStatus.ProcessError, result.Status);
        Assert.Equal(3, result.Code);
        Assert.Equal("exit status 3: haproxy is dead | details", result.Description);
    }

    [Fact]
    public async Task Argv_IsPassedWithoutAShell()
    {
        var result = await Probe(new CommandProbeOptions { FileName = "echo", Arguments = ["$HOME; false", "*"] });
        Assert.Equal(CheckStatus.ProcessOk, result.Status);
        Assert.Equal("exit status 0: $HOME; false *", result.Description);
    }

    [Fact]
    public async Task Environment_AndWorkingDirectory_AreApplied()
    {
        var result = await Probe(new CommandProbeOptions
        {
            FileName = "echo $HANET_X $(pwd)", UseShell = true, WorkingDirectory = "/tmp",
            Environment = new Dictionary<string, string?> { ["HANET_X"] = "set" },
        });
        Assert.Equal("exit status 0: set /tmp", result.Description);
    }

    [Fact]
    public async Task MissingExecutable_IsSockErr()
    {
        var result = await Probe(new CommandProbeOptions { FileName = "hanet-no-such-command" });
        Assert.Equal(CheckStatus.SocketError, result.Status);
        Assert.Equal("Command 'hanet-no-such-command' not found", result.Description);
    }

    [Fact]
    public async Task Timeout_KillsTheWholeProcessGroup_IsProcTout()
    {
        var result = await Probe(new CommandProbeOptions
        {
            FileName = $"sleep {_marker} & sleep {_marker} & echo started; wait", UseShell = true,
        }, timeoutMs: 5000);
        Assert.Equal(CheckStatus.ProcessTimeout, result.Status);
        Assert.Equal($"Command 'sleep {_marker} & sleep {_marker} & echo started; wait' timed out and was killed: started", result.Description);
        for (var i = 0; i < 500 && PidsWithMarker().Count > 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.Empty(PidsWithMarker()); // the grandchildren went with the group
    }

    [Fact]
    public async Task ADaemonLeftRunning_DoesNotHoldTheCheck()
    {
        var result = await Probe(new CommandProbeOptions { FileName = $"sleep {_marker} & echo forked", UseShell = true }, timeoutMs: 20_000);
        Assert.Equal(CheckStatus.ProcessOk, result.Status);
        Assert.Equal("exit status 0: forked", result.Description);
        Assert.Single(PidsWithMarker()); // still running: only a timeout kills the group
    }

    [Fact]
    public async Task OutputIsCapped()
    {
        var result = await Probe(new CommandProbeOptions { FileName = "head -c 100000 /dev/zero | tr '\\0' a", UseShell = true, MaxOutputChars = 10 });
        Assert.Equal("exit status 0: aaaaaaaaaa", result.Description);
    }

    [RequiresFact("cmd:killall")]
    public async Task KillallZero_AsInTheSeeds_PassesWhileTheProcessRuns()
    {
        using var sleeper = Process.Start("sleep", _marker)!;
        try
        {
            Assert.Equal(CheckStatus.ProcessOk, (await Probe(new CommandProbeOptions { FileName = "killall", Arguments = ["-0", "sleep"] })).Status);
            var missing = await Probe(new CommandProbeOptions { FileName = "killall", Arguments = ["-0", "hanet-nothing"] });
            Assert.Equal(CheckStatus.ProcessError, missing.Status);
            Assert.Equal(1, missing.Code);
            Assert.Equal("exit status 1: hanet-nothing: no process found", missing.Description);
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit(10_000);
        }
    }

    [Fact]
    public async Task VrrpScript_OnTheRealClock_FailingScriptGoesDownAfterOneFailure()
    {
        var flag = Path.Combine(Path.GetTempPath(), "hanet-health-flag-" + _marker);
        File.WriteAllText(flag, "");
        try
        {
            await using var scheduler = HealthCheckScheduler.Create();
            var monitor = scheduler.Add("chk_haproxy", HealthProbes.Command(new CommandProbeOptions { FileName = "test", Arguments = ["-e", flag] }),
                HealthMonitorOptions.VrrpScript(TimeSpan.FromMilliseconds(50)));
            var changes = new List<HealthState>();
            monitor.StateChanged += (_, e) => { lock (changes) { changes.Add(e.Current); } };
            await WaitFor(() => monitor.State == HealthState.Up);
            File.Delete(flag);
            await WaitFor(() => monitor.State == HealthState.Down);
            Assert.Equal(CheckStatus.ProcessError, monitor.Snapshot.LastResult.Status);
            lock (changes) { Assert.Equal([HealthState.Up, HealthState.Down], changes); }
        }
        finally
        {
            File.Delete(flag);
        }
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        for (var i = 0; i < 3000 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}
