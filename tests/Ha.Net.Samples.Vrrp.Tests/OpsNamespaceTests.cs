using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Ha.Net.Testing.Environment;

namespace Ha.Net.Samples.Vrrp.Tests;

/// <summary>
/// hanet-vrrpd run by an operator, in a network namespace the test creates: keepalived's SIGUSR1/SIGUSR2 dump files,
/// -S syslog, the systemd notify protocol recorded on a socket, a test per signal, -p/-r pid files.
/// </summary>
public sealed class OpsNamespaceTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private const string Config = """
        global_defs {
            router_id hvd-ops
        }
        vrrp_instance VI_1 {
            state BACKUP
            interface vd0
            virtual_router_id 51
            priority 150
            advert_int 1
            virtual_ipaddress {
                198.18.0.100/24
            }
        }
        """;

    /// <summary>Starts hanet-vrrpd in the lab's namespace with extra environment variables (env execs ip, ip execs dotnet: one pid).</summary>
    private static ChildProcess Start(Lab lab, IEnumerable<string> environment, params string[] args) =>
        ChildProcess.Start("env", [.. environment, "ip", "netns", "exec", lab.Namespace, "dotnet", VrrpDaemon.DllPath, .. args], "hanet-vrrpd");

    private static async Task<string> WaitForFileAsync(string path, string text)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (true)
        {
            var content = File.Exists(path) ? await File.ReadAllTextAsync(path) : "";
            if (content.Contains(text, StringComparison.Ordinal))
            {
                return content;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{path} never held '{text}':\n{content}");
            }

            await Task.Delay(25);
        }
    }

    [RequiresFact("netns")]
    public async Task Sigusr1_and_sigusr2_write_keepalived_data_and_stats_files_with_drop_counters_and_sigrtmax_1_clears_them()
    {
        await using var lab = new Lab();
        var conf = lab.WriteFile("keepalived.conf", Config);
        var tmp = Directory.CreateDirectory(Path.Combine(lab.Directory, "tmp")).FullName;
        using var daemon = Start(lab, [$"TMPDIR={tmp}"], "-f", conf, "-l");
        await daemon.ExpectOutputAsync("(VI_1) Entering MASTER STATE", Bound);

        // SIGUSR1: keepalived.data in $TMPDIR, keepalived's sections and wording.
        daemon.Signal("USR1");
        await daemon.ExpectOutputAsync($"Printing VRRP data for process({daemon.Id}) on signal", Bound);
        var data = await WaitForFileAsync(Path.Combine(tmp, "keepalived.data"), "Virtual IP (1):");
        var lines = data.Split('\n');
        Assert.Equal("------< Global definitions >------", lines[0]);
        Assert.Contains(" Router ID = hvd-ops", lines);
        var topology = Array.IndexOf(lines, "------< VRRP Topology >------");
        Assert.True(topology > 0, data);
        Assert.Equal(" VRRP Instance = VI_1", lines[topology + 1]);
        foreach (var expected in new[]
                 {
                     "   VRRP Version = 2", "   State = MASTER", "   Interface = vd0", "   Multicast address 224.0.0.18",
                     "   Virtual Router ID = 51", "   Priority = 150", "   Effective priority = 150", "   Advert interval = 1 sec",
                     "   Preempt = enabled", "   Authentication type = none", "     198.18.0.100/24 dev vd0 scope global",
                 })
        {
            Assert.Contains(expected, lines);
        }

        // An advert with another advert_int (2 s) from a peer on the link: dropped, counted by reason.
        await lab.SendAdvertFromVd1Async(vrid: 51, priority: 100, advertIntervalSeconds: 2, IPAddress.Parse("198.18.0.100"));

        // SIGUSR2: keepalived.stats, keepalived's layout, the drop under "Advertisement Interval" and by Ha.Net's reason.
        var statsPath = Path.Combine(tmp, "keepalived.stats");
        string stats;
        var deadline = DateTime.UtcNow + Bound;
        do
        {
            File.Delete(statsPath);
            daemon.Signal("USR2");
            stats = await WaitForFileAsync(statsPath, "Dropped by reason (Ha.Net):");
            Assert.True(DateTime.UtcNow < deadline, "the mismatched advert was never counted:\n" + stats + daemon.Output);
        }
        while (!stats.Contains("    Advertisement Interval: 1\n", StringComparison.Ordinal));

        await daemon.ExpectOutputAsync($"Printing VRRP stats for process({daemon.Id}) on signal", Bound);
        Assert.Matches(new Regex("""
            ^VRRP Instance: VI_1
              Advertisements:
                Received: 0
                Sent: [1-9]\d*
              Became master: 1
              Released master: 0
              Packet Errors:
                Length: 0
                TTL: 0
                Invalid Type: 0
                Advertisement Interval: 1
                Address List: 0
              Authentication Errors:
                Invalid Type: 0
                Type Mismatch: 0
                Failure: 0
              Priority Zero:
                Received: 0
                Sent: 0
              Dropped by reason \(Ha.Net\):
            """.ReplaceLineEndings("\n")), stats);
        Assert.Contains("    IntervalMismatch: 1\n", stats, StringComparison.Ordinal);

        // SIGRTMAX-1 (keepalived's SIGSTATS_CLEAR): the stats as they are, then cleared; the next SIGUSR2 starts from 0.
        File.Delete(statsPath);
        daemon.Signal("63");
        await daemon.ExpectOutputAsync($"Printing and clearing VRRP stats for process({daemon.Id}) on signal", Bound);
        Assert.Contains("  Became master: 1\n", await WaitForFileAsync(statsPath, "Dropped by reason"), StringComparison.Ordinal);
        File.Delete(statsPath);
        daemon.Signal("USR2");
        var cleared = await WaitForFileAsync(statsPath, "Dropped by reason");
        Assert.Contains("  Became master: 0\n", cleared, StringComparison.Ordinal);
        Assert.Contains("    Advertisement Interval: 0\n", cleared, StringComparison.Ordinal);

        // Neither signal took the daemon down: still MASTER with its VIP.
        Assert.False(daemon.HasExited, daemon.Output);
        Assert.Equal(1, daemon.CountOf("Entering MASTER STATE"));
        Assert.Contains("198.18.0.100/24", lab.Addresses, StringComparison.Ordinal);
        daemon.Signal("TERM");
        Assert.True(await daemon.WaitForExitAsync(Bound), daemon.Output);
        Assert.Equal(0, daemon.ExitCode);
    }

    [RequiresFact("netns")]
    public async Task Dash_S_sends_each_line_to_the_local_syslog_socket_as_Keepalived_vrrp_with_that_facility()
    {
        await using var lab = new Lab();
        var conf = lab.WriteFile("keepalived.conf", Config);
        using var syslog = new DatagramRecorder(Path.Combine(lab.Directory, "log.sock"));
        using var daemon = Start(lab, [$"HANET_SYSLOG_SOCKET={syslog.Path}"], "-f", conf, "-l", "-S", "3");
        await daemon.ExpectOutputAsync("(VI_1) Entering MASTER STATE", Bound);

        // -S 3 = LOG_LOCAL3 (19): info is <158>, keepalived's openlog("Keepalived_vrrp", LOG_PID) header, RFC 3164 time.
        var master = (await syslog.WaitForAsync(d => d.EndsWith("(VI_1) Entering MASTER STATE", StringComparison.Ordinal), Bound)).Single();
        Assert.Matches($@"^<158>\w{{3}} [ \d]\d \d\d:\d\d:\d\d Keepalived_vrrp\[{daemon.Id}\]: \(VI_1\) Entering MASTER STATE$", master);
        Assert.Contains(syslog.Received, d => d.EndsWith("Opening file '" + conf + "'.", StringComparison.Ordinal));

        daemon.Signal("TERM");
        Assert.True(await daemon.WaitForExitAsync(Bound), daemon.Output);
        await syslog.WaitForAsync(d => d.EndsWith(": Stopped", StringComparison.Ordinal), Bound);
    }

    [Fact]
    public void Dash_S_with_an_unknown_facility_is_reported_as_keepalived_does()
    {
        var (code, _, stderr) = VrrpDaemon.Run("-S", "bogus", "-f", "/nonexistent/keepalived.conf");
        Assert.Contains("Invalid log facility 'bogus'", stderr, StringComparison.Ordinal);
        Assert.Equal(1, code); // then the missing file refuses the start
    }

    [RequiresFact("netns")]
    public async Task Notify_socket_gets_ready_once_instances_run_reloading_around_sighup_watchdog_and_stopping()
    {
        await using var lab = new Lab();
        var conf = lab.WriteFile("keepalived.conf", Config);
        using var notify = new DatagramRecorder(Path.Combine(lab.Directory, "notify.sock"));
        using var daemon = Start(lab, [$"NOTIFY_SOCKET={notify.Path}", "WATCHDOG_USEC=1000000"], "-f", conf, "-l");

        var ready = (await notify.WaitForAsync(d => d.StartsWith("READY=1", StringComparison.Ordinal), Bound)).Single();
        Assert.Equal($"READY=1\nMAINPID={daemon.Id}\nSTATUS=1 VRRP instance(s) started from {conf}", ready);
        Assert.Contains("(VI_1) Entering BACKUP STATE (init)", daemon.Output, StringComparison.Ordinal);
        await notify.WaitForAsync(d => d == "WATCHDOG=1", Bound, count: 3);

        var before = Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1_000_000);
        daemon.Signal("HUP");
        await daemon.ExpectOutputAsync("Reload finished", Bound);
        var reloading = (await notify.WaitForAsync(d => d.StartsWith("RELOADING=1", StringComparison.Ordinal), Bound)).Single();
        var usec = long.Parse(Regex.Match(reloading, @"\nMONOTONIC_USEC=(\d+)\n").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(usec, before, before + (long)Bound.TotalMicroseconds);
        await notify.WaitForAsync(d => d.StartsWith("READY=1", StringComparison.Ordinal), Bound, count: 2);

        daemon.Signal("TERM");
        Assert.True(await daemon.WaitForExitAsync(Bound), daemon.Output);
        Assert.Equal(0, daemon.ExitCode);
        Assert.Equal(["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"],
            notify.Received.Where(d => d != "WATCHDOG=1").Select(d => d.Split('\n')[0]));
    }

    /// <summary>
    /// A test per signal keepalived 2.2.7 does not handle (or handles only in builds with JSON/thread dumps) whose default
    /// action would kill the process with its VIP still bound and no priority-0 advert: logged, ignored, still MASTER.
    /// </summary>
    [RequiresTheory("netns")]
    [InlineData("QUIT", "SIGQUIT received and ignored")]
    [InlineData("ALRM", "SIGALRM received and ignored")]
    [InlineData("VTALRM", "SIGVTALRM received and ignored")]
    [InlineData("PROF", "SIGPROF received and ignored")]
    [InlineData("IO", "SIGIO received and ignored")]
    [InlineData("PWR", "SIGPWR received and ignored")]
    [InlineData("STKFLT", "SIGSTKFLT received and ignored")]
    [InlineData("XCPU", "SIGXCPU received and ignored")]
    [InlineData("XFSZ", "SIGXFSZ received and ignored")]
    [InlineData("36", "SIGRTMIN+2 (keepalived's SIGJSON) received: hanet-vrrpd has no JSON dump")]
    [InlineData("40", "SIGRTMIN+6 received and ignored")]
    [InlineData("64", "SIGRTMAX received and ignored")]
    public async Task Signal_is_logged_and_ignored_and_the_master_keeps_its_vip(string signal, string logged)
    {
        await using var lab = new Lab();
        var conf = lab.WriteFile("keepalived.conf", Config);
        using var daemon = VrrpDaemon.StartInNamespace(lab.Namespace, "-f", conf, "-l");
        await daemon.ExpectOutputAsync("(VI_1) Entering MASTER STATE", Bound);
        await daemon.ExpectOutputAsync("(VI_1) Sending/queueing gratuitous ARPs on vd0", Bound); // logged after the VIP is on vd0 and announced
        daemon.Signal(signal);
        await daemon.ExpectOutputAsync(logged, Bound);
        Assert.False(daemon.HasExited, daemon.Output);
        Assert.Contains("198.18.0.100/24", lab.Addresses, StringComparison.Ordinal);
        Assert.Equal(0, daemon.CountOf("removing VIPs"));
        daemon.Signal("TERM");
        Assert.True(await daemon.WaitForExitAsync(Bound), daemon.Output);
        Assert.Equal(0, daemon.ExitCode);
    }

    [RequiresFact("netns")]
    public async Task Sigint_stops_as_sigterm_does_priority_0_and_vip_released()
    {
        await using var lab = new Lab();
        var conf = lab.WriteFile("keepalived.conf", Config);
        using var daemon = VrrpDaemon.StartInNamespace(lab.Namespace, "-f", conf, "-l", "-D");
        await daemon.ExpectOutputAsync("(VI_1) Entering MASTER STATE", Bound);
        daemon.Signal("INT");
        Assert.True(await daemon.WaitForExitAsync(Bound), daemon.Output);
        Assert.Equal(0, daemon.ExitCode);
        Assert.Contains("(VI_1) sent 0 priority", daemon.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("198.18.0.100", lab.Addresses, StringComparison.Ordinal);
    }

    [RequiresFact("netns")]
    public async Task Pid_files_of_dash_p_and_dash_r_hold_the_pid_and_are_removed_at_stop_dash_c_writes_nothing()
    {
        await using var lab = new Lab();
        var conf = lab.WriteFile("keepalived.conf", Config);
        var main = Path.Combine(lab.Directory, "keepalived.pid");
        var vrrp = Path.Combine(lab.Directory, "vrrp.pid");
        var checkers = Path.Combine(lab.Directory, "checkers.pid");
        using var daemon = VrrpDaemon.StartInNamespace(lab.Namespace, "-f", conf, "-l", "-p", main, "--vrrp_pid=" + vrrp, "-c", checkers);
        await daemon.ExpectOutputAsync("(VI_1) Entering BACKUP STATE (init)", Bound);
        var deadline = DateTime.UtcNow + Bound;
        while (!File.Exists(vrrp) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(25);
        }

        Assert.Equal($"{daemon.Id}\n", await File.ReadAllTextAsync(main));
        Assert.Equal($"{daemon.Id}\n", await File.ReadAllTextAsync(vrrp));
        Assert.False(File.Exists(checkers));
        daemon.Signal("TERM");
        Assert.True(await daemon.WaitForExitAsync(Bound), daemon.Output);
        Assert.False(File.Exists(main));
        Assert.False(File.Exists(vrrp));
    }
}
