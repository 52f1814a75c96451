using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Ha.Net.Samples.ProxyDaemon;
using Ha.Net.Samples.Shared.Syslog;
using Ha.Net.Samples.Shared.Systemd;
using Ha.Net.Testing.Environment;
using Ha.Net.Testing.Proxy;

namespace Ha.Net.ProxyDaemon.Tests;

/// <summary>
/// hanet-proxyd run by an operator: syslog to a real rsyslogd routed as seed 001 configures it, the systemd notify
/// protocol (-Ws) recorded on a socket, a test per signal, -p pid files.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class OpsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static string Config(int port, IPEndPoint server, string global = "", string defaults = "    log global\n") => $"""
        global
            maxconn 100
        {global}defaults
            mode tcp
        {defaults}    option tcplog
            timeout connect 5s
            timeout client 30s
            timeout server 30s
        frontend fe
            bind 127.0.0.1:{port}
            default_backend be
        backend be
            server s1 {server}

        """;

    private static ChildProcess StartWithEnvironment(IEnumerable<string> environment, params string[] args) =>
        ChildProcess.Start("/usr/bin/env", [.. environment, ProxyDaemon.DotnetHost, ProxyDaemon.DaemonDll, .. args], "hanet-proxyd");

    private static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static string ReadShared(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (FileNotFoundException)
        {
            return "";
        }
    }

    [RequiresFact("cmd:rsyslogd")]
    public async Task Syslog_TcplogLines_ReachARealRsyslogdOverUdp_RoutedByFacilityAndLevelAsSeed001Configures()
    {
        var dir = Directory.CreateTempSubdirectory("hanet-proxyd-rsyslog-");
        await using var server = FakeSmtp.Start("s1");
        try
        {
            var udp = FreeUdpPort();
            Directory.CreateDirectory(Path.Combine(dir.FullName, "work"));
            var haproxyLog = Path.Combine(dir.FullName, "haproxy.log");
            var statusLog = Path.Combine(dir.FullName, "haproxy-status.log");

            // Seed 001's /etc/rsyslog.d/haproxy.conf, with its own work directory, file names and a free port on loopback.
            var conf = Path.Combine(dir.FullName, "rsyslog.conf");
            await File.WriteAllTextAsync(conf, $"""
                $WorkDirectory {dir.FullName}/work
                $ModLoad imudp
                $UDPServerAddress 127.0.0.1
                $UDPServerRun {udp}
                $template Haproxy,"%timegenerated% your_host %syslogtag% %msg%\n"
                local2.=info -{haproxyLog};Haproxy
                local2.notice -{statusLog};Haproxy
                ### keep logs in localhost ##
                local2.* ~

                """);
            await using var rsyslogd = ChildProcess.Start(Prerequisites.FindExecutable("rsyslogd")!,
                ["-n", "-f", conf, "-i", Path.Combine(dir.FullName, "rsyslogd.pid")], "rsyslogd");

            // rsyslogd is ready once a probe sent to its UDP input reaches the file (bounded).
            using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
            {
                var marker = "probe-" + Guid.NewGuid().ToString("N");
                var deadline = DateTime.UtcNow + Bound;
                while (!ReadShared(haproxyLog).Contains(marker, StringComparison.Ordinal))
                {
                    Assert.True(DateTime.UtcNow < deadline, "rsyslogd never wrote the probe:\n" + rsyslogd.Output);
                    Assert.False(rsyslogd.HasExited, "rsyslogd exited:\n" + rsyslogd.Output);
                    await probe.SendToAsync(Encoding.ASCII.GetBytes($"<150>Dec  7 00:00:00 probe[1]: {marker}"), SocketFlags.None, new IPEndPoint(IPAddress.Loopback, udp));
                    await Task.Delay(200);
                }
            }

            var port = ProxyTestClient.FreePort();
            var cfg = Path.Combine(dir.FullName, "haproxy.cfg");
            await File.WriteAllTextAsync(cfg, Config(port, server.EndPoint, global: $"    log 127.0.0.1:{udp} local2\n"));
            await using var daemon = await ProxyDaemon.StartAsync("-f", cfg);
            Assert.Equal("s1", await FakeSmtp.BannerThroughAsync(port));

            // The connection's line on stdout, and the same tcplog line in
            // rsyslog's info file, under the tag "haproxy[pid]:".
            await daemon.ExpectOutputAsync(" fe be/s1 ", Bound);
            var stdoutLine = daemon.Output.Split('\n').Single(l => l.Contains(" fe be/s1 ", StringComparison.Ordinal)).Trim();
            var tcplog = stdoutLine[(stdoutLine.IndexOf(": ", StringComparison.Ordinal) + 2)..];
            Assert.Matches(@"^127\.0\.0\.1:\d+ \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] fe be/s1 \d+/\d+/\d+ \d+ \S\S \d+/\d+/\d+/\d+/\d+ \d+/\d+$", tcplog);
            var deadline2 = DateTime.UtcNow + Bound;
            while (!ReadShared(haproxyLog).Contains(tcplog, StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline2, $"rsyslog's {haproxyLog} never got the tcplog line '{tcplog}':\n{ReadShared(haproxyLog)}");
                await Task.Delay(50);
            }

            var fileLine = ReadShared(haproxyLog).Split('\n').Single(l => l.Contains(tcplog, StringComparison.Ordinal));
            Assert.Matches($@"^\w{{3}} [ \d]\d \d\d:\d\d:\d\d your_host haproxy\[{daemon.Id}\]:\s+{Regex.Escape(tcplog)}$", fileLine);

            // local2.notice: the process messages ([NOTICE]/[WARNING]/[ALERT]) in the status file, never the traffic.
            await WaitForFileAsync(statusLog, "Loading success.");
            Assert.Contains($"your_host haproxy[{daemon.Id}]: ", ReadShared(statusLog), StringComparison.Ordinal);
            Assert.DoesNotContain(" fe be/s1 ", ReadShared(statusLog), StringComparison.Ordinal);
            Assert.DoesNotContain("Loading success", ReadShared(haproxyLog), StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task WaitForFileAsync(string path, string text)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!ReadShared(path).Contains(text, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{path} never got '{text}':\n{ReadShared(path)}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Notify_Ws_SendsReadyOnceListening_ReloadingAroundAReload_WatchdogAndStopping()
    {
        var dir = Directory.CreateTempSubdirectory("hanet-proxyd-notify-");
        await using var server = FakeSmtp.Start("s1");
        try
        {
            using var notify = new DatagramRecorder(Path.Combine(dir.FullName, "notify.sock"));
            var port = ProxyTestClient.FreePort();
            var cfg = Path.Combine(dir.FullName, "haproxy.cfg");
            await File.WriteAllTextAsync(cfg, Config(port, server.EndPoint, defaults: ""));
            await using var daemon = StartWithEnvironment(
                [$"NOTIFY_SOCKET={notify.Path}", "WATCHDOG_USEC=1000000"], "-Ws", "-f", cfg);

            // READY=1 (with MAINPID) comes once the frontend listens: a connection right after it goes through.
            var ready = (await notify.WaitForAsync(d => d.StartsWith("READY=1", StringComparison.Ordinal), Bound)).Single();
            Assert.Contains($"\nMAINPID={daemon.Id}\n", ready, StringComparison.Ordinal);
            Assert.Contains("STATUS=1 frontend(s), 1 backend(s)", ready, StringComparison.Ordinal);
            Assert.Equal("s1", await FakeSmtp.BannerThroughAsync(port));

            // WatchdogSec=1s: WATCHDOG=1 every half period while the proxy answers.
            await notify.WaitForAsync(d => d == "WATCHDOG=1", Bound, count: 3);

            // A reload: RELOADING=1 with MONOTONIC_USEC (CLOCK_MONOTONIC, the clock Stopwatch reads here), then READY=1 again.
            var before = Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1_000_000);
            daemon.Signal("HUP");
            var reloading = (await notify.WaitForAsync(d => d.StartsWith("RELOADING=1", StringComparison.Ordinal), Bound)).Single();
            var usec = long.Parse(Regex.Match(reloading, @"\nMONOTONIC_USEC=(\d+)\n").Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.InRange(usec, before, before + (long)Bound.TotalMicroseconds);
            await notify.WaitForAsync(d => d.StartsWith("READY=1", StringComparison.Ordinal), Bound, count: 2);
            var order = notify.Received.Where(d => d != "WATCHDOG=1").Select(d => d.Split('\n')[0]).ToList();
            Assert.Equal(["READY=1", "RELOADING=1", "READY=1"], order);

            daemon.Signal("TERM");
            Assert.True(await daemon.WaitForExitAsync(Bound), daemon.Output);
            Assert.Equal(0, daemon.ExitCode);
            Assert.Contains(notify.Received, d => d.StartsWith("STOPPING=1\nSTATUS=Stopping on SIGTERM", StringComparison.Ordinal));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Notify_WithoutWs_SendsNothing_AsHaproxy()
    {
        var dir = Directory.CreateTempSubdirectory("hanet-proxyd-notify-");
        await using var server = FakeSmtp.Start("s1");
        try
        {
            using var notify = new DatagramRecorder(Path.Combine(dir.FullName, "notify.sock"));
            var port = ProxyTestClient.FreePort();
            var cfg = Path.Combine(dir.FullName, "haproxy.cfg");
            await File.WriteAllTextAsync(cfg, Config(port, server.EndPoint, defaults: ""));
            await using var daemon = StartWithEnvironment([$"NOTIFY_SOCKET={notify.Path}"], "-f", cfg);
            await daemon.ExpectOutputAsync("Loading success", Bound);
            Assert.Equal("s1", await FakeSmtp.BannerThroughAsync(port));
            daemon.Signal("TERM");
            Assert.True(await daemon.WaitForExitAsync(Bound), daemon.Output);
            Assert.Empty(notify.Received);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Notifier_ReachesAnAbstractSocket_NamedWithAnAt()
    {
        var name = "hanet-notify-test-" + Guid.NewGuid().ToString("N");
        using var recorder = new DatagramRecorder("\0" + name);
        using var notifier = SystemdNotifier.ForSocket("@" + name);
        Assert.True(notifier.Enabled);
        notifier.Reloading("r");
        notifier.Ready("ok");
        var got = recorder.WaitForAsync(_ => true, Bound, count: 2).GetAwaiter().GetResult();
        Assert.StartsWith("RELOADING=1\nMONOTONIC_USEC=", got[0], StringComparison.Ordinal);
        Assert.Equal($"READY=1\nMAINPID={Environment.ProcessId}\nSTATUS=ok", got[1]);
        Assert.Equal(0, notifier.Failures);
    }

    /// <summary>
    /// One test per signal HAProxy's master-worker handles (or that would otherwise terminate the process): the daemon
    /// logs what it does, keeps running and keeps proxying.
    /// </summary>
    [Theory]
    [InlineData("HUP", "SIGHUP received, reloading the configuration")]
    [InlineData("USR2", "SIGUSR2 received, reloading the configuration")]
    [InlineData("QUIT", "SIGQUIT received: memory report")]
    [InlineData("ALRM", "SIGALRM received and ignored")]
    [InlineData("VTALRM", "SIGVTALRM received and ignored")]
    [InlineData("PROF", "SIGPROF received and ignored")]
    [InlineData("IO", "SIGIO received and ignored")]
    [InlineData("PWR", "SIGPWR received and ignored")]
    [InlineData("STKFLT", "SIGSTKFLT received and ignored")]
    [InlineData("XCPU", "SIGXCPU received and ignored")]
    [InlineData("XFSZ", "SIGXFSZ received and ignored")]
    [InlineData("36", "SIGRTMIN+2 received and ignored")]
    [InlineData("63", "SIGRTMAX-1 received and ignored")]
    [InlineData("64", "SIGRTMAX received and ignored")]
    public async Task Signal_IsHandledAndTheDaemonKeepsProxying(string signal, string logged)
    {
        var dir = Directory.CreateTempSubdirectory("hanet-proxyd-signal-");
        await using var server = FakeSmtp.Start("s1");
        try
        {
            var port = ProxyTestClient.FreePort();
            var cfg = Path.Combine(dir.FullName, "haproxy.cfg");
            await File.WriteAllTextAsync(cfg, Config(port, server.EndPoint, defaults: ""));
            await using var daemon = await ProxyDaemon.StartAsync("-f", cfg);
            daemon.Signal(signal);
            await daemon.ExpectOutputAsync(logged, Bound);
            Assert.False(daemon.HasExited, daemon.Output);
            Assert.Equal("s1", await FakeSmtp.BannerThroughAsync(port));
            daemon.Signal("TERM");
            Assert.True(await daemon.WaitForExitAsync(Bound), daemon.Output);
            Assert.Equal(0, daemon.ExitCode);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("INT", "SIGINT received, stop")]
    [InlineData("TERM", "SIGTERM received, stop")]
    [InlineData("USR1", "SIGUSR1 received, soft-stop")]
    public async Task StopSignal_ClosesTheListenersAndExitsZero(string signal, string logged)
    {
        var dir = Directory.CreateTempSubdirectory("hanet-proxyd-signal-");
        await using var server = FakeSmtp.Start("s1");
        try
        {
            var port = ProxyTestClient.FreePort();
            var cfg = Path.Combine(dir.FullName, "haproxy.cfg");
            await File.WriteAllTextAsync(cfg, Config(port, server.EndPoint, defaults: ""));
            await using var daemon = await ProxyDaemon.StartAsync("-f", cfg);
            daemon.Signal(signal);
            Assert.True(await daemon.WaitForExitAsync(Bound), daemon.Output);
            Assert.Equal(0, daemon.ExitCode);
            Assert.Contains(logged, daemon.Output, StringComparison.Ordinal);
            Assert.Contains("Proxy fe stopped", daemon.Output, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task PidFile_DashP_OverridesTheGlobalPidfile_HoldsThePid_AndIsRemovedOnStop()
    {
        var dir = Directory.CreateTempSubdirectory("hanet-proxyd-pid-");
        await using var server = FakeSmtp.Start("s1");
        try
        {
            var port = ProxyTestClient.FreePort();
            var cfg = Path.Combine(dir.FullName, "haproxy.cfg");
            var globalPid = Path.Combine(dir.FullName, "global.pid");
            var pidFile = Path.Combine(dir.FullName, "haproxy.pid");
            await File.WriteAllTextAsync(cfg, Config(port, server.EndPoint, global: $"    pidfile {globalPid}\n", defaults: ""));
            await using var daemon = await ProxyDaemon.StartAsync("-Ws", "-f", cfg, "-p", pidFile);
            Assert.Equal($"{daemon.Id}\n", await File.ReadAllTextAsync(pidFile));
            Assert.False(File.Exists(globalPid));
            daemon.Signal("TERM");
            Assert.True(await daemon.WaitForExitAsync(Bound), daemon.Output);
            Assert.False(File.Exists(pidFile));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Syslog_AnUnreachableTcpCollector_DoesNotStopProxying_AndItsDropsAreReported()
    {
        var dir = Directory.CreateTempSubdirectory("hanet-proxyd-drops-");
        await using var server = FakeSmtp.Start("s1");
        try
        {
            var port = ProxyTestClient.FreePort();
            var collector = ProxyTestClient.FreePort(); // nothing listens: every connect is refused
            var cfg = Path.Combine(dir.FullName, "haproxy.cfg");
            await File.WriteAllTextAsync(cfg, Config(port, server.EndPoint, global: $"    log tcp@127.0.0.1:{collector} local2\n"));
            await using var daemon = await ProxyDaemon.StartAsync("-f", cfg);
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal("s1", await FakeSmtp.BannerThroughAsync(port));
            }

            daemon.Signal("TERM");
            Assert.True(await daemon.WaitForExitAsync(Bound), daemon.Output);
            Assert.Equal(0, daemon.ExitCode);
            Assert.Matches(@"\[WARNING\]  \(\d+\) : syslog: \d+ line\(s\) dropped in all \(0 sent\)", daemon.Output);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Check_RefusesAnUnusableLogTarget_AtItsLine()
    {
        var dir = Directory.CreateTempSubdirectory("hanet-proxyd-c-");
        try
        {
            var cfg = Path.Combine(dir.FullName, "haproxy.cfg");
            await File.WriteAllTextAsync(cfg, Config(2525, new IPEndPoint(IPAddress.Loopback, 2526), global: "    log 127.0.0.1:99999 local2\n"));
            var (code, _, stderr) = await ProxyDaemon.RunToEndAsync("-c", "-f", cfg);
            Assert.Equal(1, code);
            Assert.Contains($"{cfg}:3: error: 'log 127.0.0.1:99999': invalid port '99999' (1-65535)", stderr, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

/// <summary>The syslog writer alone: message formats, and a destination that cannot be reached never blocks the caller.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SyslogWriterTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 9, 5, 3, 123, TimeSpan.Zero);

    private static SyslogTarget Target(params string[] args) => SyslogTarget.Parse(args, out var error) ?? throw new InvalidOperationException(error);

    [Theory]
    [InlineData(new[] { "127.0.0.1:514", "local2" }, 6, "<150>Dec  7 09:05:03 haproxy[{pid}]: hello\n")]
    [InlineData(new[] { "127.0.0.1", "format", "rfc5424", "local0" }, 5, "<133>1 2026-12-07T09:05:03.123000+00:00 - haproxy {pid} - - hello\n")]
    [InlineData(new[] { "/dev/log", "daemon" }, 3, "<27>Dec  7 09:05:03 haproxy[{pid}]: hello")]
    [InlineData(new[] { "stdout", "format", "short", "local0" }, 4, "<4>hello\n")]
    [InlineData(new[] { "127.0.0.1", "format", "priority", "local7" }, 1, "<185>hello\n")]
    [InlineData(new[] { "stderr", "local0" }, 1, "hello\n")]
    public async Task Format_IsHaproxys(string[] args, int severity, string expected)
    {
        await using var writer = new SyslogWriter("haproxy");
        var bytes = writer.Format(Target(args), severity, "hello", At);
        Assert.Equal(expected.Replace("{pid}", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public async Task Len_TruncatesTheLine()
    {
        await using var writer = new SyslogWriter("haproxy");
        var bytes = writer.Format(Target("127.0.0.1", "len", "80", "local2"), 6, new string('x', 500), At);
        Assert.Equal(80, bytes.Length);
        Assert.Equal((byte)'\n', bytes[^1]);
    }

    [Theory]
    [InlineData(new[] { "127.0.0.1:0", "local2" }, "invalid port '0'")]
    [InlineData(new[] { "127.0.0.1", "local2", "info", "notice", "x" }, "unexpected argument 'x'")]
    [InlineData(new[] { "ring@buf", "local2" }, "address family 'ring@' is not supported")]
    [InlineData(new[] { "127.0.0.1", "format", "iso", "local2" }, "format 'iso' is not implemented")]
    [InlineData(new[] { "unix@relative", "local2" }, "needs an absolute path")]
    public void Parse_RefusesWhatCannotBeSent(string[] args, string message)
    {
        Assert.Null(SyslogTarget.Parse(args, out var error));
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RefusesAHostNameTheResolverRejects_WithAnError_NotAnException()
    {
        // Found by ReloadFuzzTests: a 'log' host of over 255 characters made Dns throw ArgumentOutOfRangeException.
        var host = new string('a', 300);
        Assert.Null(SyslogTarget.Parse([host + ":514", "local2"], out var error));
        Assert.Contains($"cannot resolve host name '{host}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Levels_FilterAndCap_AsHaproxysMaxAndMinLevels()
    {
        var target = Target("127.0.0.1", "local2", "notice", "err");
        Assert.Equal((5, 3), (target.MaxLevel, target.MinLevel));
        Assert.Equal(SyslogNames.Facility("local2"), target.Facility);
        Assert.Equal(19, SyslogNames.KeepalivedFacility("3"));
        Assert.Equal(19, SyslogNames.KeepalivedFacility("local3"));
        Assert.Equal(3, SyslogNames.KeepalivedFacility("daemon"));
        Assert.Equal(-1, SyslogNames.KeepalivedFacility("8"));
    }

    [Fact]
    public async Task UnreachableTcpCollector_NeverBlocksTheWriter_AndEveryLostLineIsCounted()
    {
        var port = ProxyTestClient.FreePort(); // nothing listens there: every connect is refused
        var writer = new SyslogWriter("haproxy");
        var target = Target($"tcp@127.0.0.1:{port}", "local2");
        const int Lines = 3 * SyslogWriter.QueueCapacity;
        for (var i = 0; i < Lines; i++)
        {
            writer.Write(6, "line " + i.ToString(CultureInfo.InvariantCulture), [target]);
        }

        // The queue holds QueueCapacity lines; the rest were dropped (and counted) at once, without waiting.
        Assert.True(writer.Dropped >= Lines - SyslogWriter.QueueCapacity - 1, $"dropped {writer.Dropped}");
        await writer.CloseAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(0, writer.Sent);
    }
}
