using System.Reflection;
using Ha.Net.Samples.Shared.Signals;
using Ha.Net.Samples.Shared.Syslog;
using Ha.Net.Samples.Shared.Systemd;
using Ha.Net.Vrrp.Linux;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.VrrpDaemon;

/// <summary>
/// <c>hanet-vrrpd [-f keepalived.conf] [-t] [-l] [-D] [-n]</c>: keepalived's VRRP subsystem on Ha.Net. Exit codes:
/// 0 stopped normally, 1 configuration refused or start-up failed, 2 bad command line; <c>-t</c> exits as keepalived
/// 2.2.7's <c>-t</c>: 0 nothing to report, 4 the file cannot be read, 5 configuration errors (keepalived runs with
/// most of them; hanet-vrrpd may refuse them), 6 scripts without <c>enable_script_security</c>.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--generate-active-active")
        {
            return ActiveActiveCommand.Run(args[1..], Console.Out, Console.Error);
        }

        CommandLine cli;
        try
        {
            cli = CommandLine.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync("hanet-vrrpd: " + ex.Message);
            return 2;
        }

        var version = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
        if (cli.Help)
        {
            Console.WriteLine(CommandLine.Usage);
            return 0;
        }

        if (cli.Version)
        {
            Console.WriteLine($"hanet-vrrpd {version} (Ha.Net VRRP; reads keepalived 2.x configuration)");
            return 0;
        }

        if (cli.ConfigTest)
        {
            return ConfigTest(cli.ConfigFile);
        }

        if (!OperatingSystem.IsLinux())
        {
            await Console.Error.WriteLineAsync("hanet-vrrpd: the Linux backend (raw sockets, netlink) needs Linux");
            return 1;
        }

        return await RunAsync(cli, version);
    }

    /// <summary>
    /// <c>-t</c>: every finding on stderr as <c>file:line: severity: message</c>; nothing is started. The exit code is
    /// keepalived 2.2.7's (core/main.c config_test_exit): KEEPALIVED_CHK_EXIT_CONFIG 4, _CONFIG_TEST 5,
    /// _CONFIG_TEST_SECURITY 6, keepalived keeping the highest class met.
    /// </summary>
    private static int ConfigTest(string path)
    {
        var result = ConfigLoader.Load(path);
        foreach (var w in result.Warnings)
        {
            Console.Error.WriteLine(w);
        }

        foreach (var e in result.Errors)
        {
            Console.Error.WriteLine(e);
        }

        if (result.Loaded is null)
        {
            Console.Error.WriteLine($"hanet-vrrpd: configuration {path} refused: {result.Errors.Count} error(s)");
            return Math.Max(result.CheckExitCode, 4);
        }

        var verdict = result.CheckExitCode switch
        {
            6 => "; exit 6 as keepalived -t: scripts are configured without enable_script_security",
            5 => "; exit 5 as keepalived -t: keepalived reports some of these warnings as configuration errors",
            0 => "",
            var code => $"; exit {code} as keepalived -t",
        };
        Console.WriteLine($"hanet-vrrpd: configuration {path} is valid ({result.Loaded.Mapping.Routers.Count} vrrp_instance(s), {result.Warnings.Count} warning(s)){verdict}");
        return result.CheckExitCode;
    }

    /// <summary>
    /// The local syslog socket: <c>/dev/log</c> as glibc's syslog(3) uses, or <c>$HANET_SYSLOG_SOCKET</c> when a
    /// container or a test puts it elsewhere.
    /// </summary>
    private static string SyslogSocket =>
        Environment.GetEnvironmentVariable("HANET_SYSLOG_SOCKET") is { Length: > 0 } path ? path : "/dev/log";

    private static void TryDump(ILogger log, Func<string> write)
    {
        try
        {
            write();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // keepalived: "Can't open dump file %s (%d: %s)".
            log.LogInformation("Can't open dump file in {Directory} ({Error})", Daemon.DumpDirectory, ex.Message);
        }
    }

    /// <summary>keepalived's <c>-p</c> (main) and <c>-r</c> (VRRP child) pid files, both this process here.</summary>
    private static List<string> WritePidFiles(CommandLine cli, ILogger log)
    {
        var written = new List<string>();
        foreach (var file in new[] { cli.PidFile, cli.VrrpPidFile }.OfType<string>().Distinct(StringComparer.Ordinal))
        {
            try
            {
                File.WriteAllText(file, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
                written.Add(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                log.LogWarning("Cannot write pid file {File}: {Error}", file, ex.Message);
            }
        }

        return written;
    }

    private static async Task<int> RunAsync(CommandLine cli, string version)
    {
        foreach (var note in cli.Notes)
        {
            await Console.Error.WriteLineAsync(note);
        }

        // -S: keepalived's VRRP process logs through openlog("Keepalived_vrrp", LOG_PID, facility).
        var syslog = cli.LogFacility is not null && !cli.NoSyslog ? new SyslogWriter("Keepalived_vrrp") : null;
        var syslogTarget = cli.LogFacility is { } facility && syslog is not null ? SyslogTarget.LocalSocket(facility, SyslogSocket) : null;
        syslog?.ReportDrops(
            line => Console.Out.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{DateTime.Now:ddd MMM d HH:mm:ss yyyy}: {line}")),
            TimeSpan.FromSeconds(60));
        try
        {
            return await RunLoggedAsync(cli, version, syslog, syslogTarget);
        }
        finally
        {
            if (syslog is not null)
            {
                await syslog.CloseAsync(TimeSpan.FromSeconds(2));
            }
        }
    }

    private static async Task<int> RunLoggedAsync(CommandLine cli, string version, SyslogWriter? syslog, SyslogTarget? syslogTarget)
    {
        using var loggers = LoggerFactory.Create(b => b
            .ClearProviders()
            .SetMinimumLevel(cli.LogDetail ? LogLevel.Debug : LogLevel.Information)
            .AddProvider(new KeepalivedLogProvider(Console.Out, syslog, syslogTarget)));
        var log = loggers.CreateLogger("hanet-vrrpd");
        log.LogInformation("Starting hanet-vrrpd {Version} (Ha.Net VRRP, keepalived.conf compatible), pid {Pid}", version, Environment.ProcessId);
        if (!cli.DontFork)
        {
            log.LogInformation("hanet-vrrpd never forks: it runs in the foreground (as keepalived -n); use systemd Type=notify (or exec)");
        }

        foreach (var option in cli.Ignored)
        {
            log.LogInformation("Option {Option} accepted and ignored", option);
        }

        if (syslogTarget is not null)
        {
            log.LogInformation("Logging to syslog socket {Socket} with facility {Facility}", syslogTarget.Path, SyslogNames.FacilityName(syslogTarget.Facility));
        }

        log.LogInformation("Opening file '{Path}'.", cli.ConfigFile);
        var result = ConfigLoader.Load(cli.ConfigFile);
        foreach (var w in result.Warnings)
        {
            log.LogWarning("{Warning}", w);
        }

        if (result.Loaded is null)
        {
            foreach (var e in result.Errors)
            {
                log.LogError("{Error}", e);
                await Console.Error.WriteLineAsync(e);
            }

            log.LogError("Configuration refused ({Count} error(s)); nothing was started", result.Errors.Count);
            return 1;
        }

        // keepalived 2.2.7's VRRP process: HUP reload, INT/TERM stop, USR1 data, USR2 stats, SIGRTMAX-1 stats and clear,
        // SIGRTMIN+2 JSON (when built with it), SIGRTMAX thread dump (debug builds); every other signal that would
        // terminate the process is caught too, logged and ignored, so none can drop the VIP without the priority-0 advert.
        using var signals = new SignalListener(SignalListener.Terminating);

        // #18: SIGTERM/SIGINT also send each master's priority-0 advert and remove its VIPs inside the signal handler
        // (libhanet_sigstop.so, built by gcc with the Linux backend), ahead of .NET's own dispatch to the loop below,
        // which still runs the whole stop. Installed after the listener (it chains to it) and before the backend opens.
        if (LinuxVrrpBackend.TryInstallSignalStop([SignalListener.SIGTERM, SignalListener.SIGINT], out var noSignalStop))
        {
            log.LogDebug("SIGTERM/SIGINT: priority-0 adverts and VIP removal armed in the signal handler");
        }
        else
        {
            log.LogInformation("SIGTERM/SIGINT go through .NET's signal dispatch only (a few ms slower): {Reason}", noSignalStop);
        }

        using var systemd = SystemdNotifier.FromEnvironment();
        await using var daemon = new Daemon(loggers);
        using var counters = cli.MetricsAddress is null ? null : new VrrpCounters(); // counts only when metrics are served
        await using var metrics = cli.MetricsAddress is { } metricsAt ? StartMetrics(metricsAt, daemon, counters!, log) : null;
        try
        {
            await daemon.StartAsync(result.Loaded);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            log.LogError("Start-up failed: {Error} (hanet-vrrpd needs CAP_NET_RAW and CAP_NET_ADMIN: run as root or see the README)", ex.Message);
            return 1;
        }

        if (daemon.InstanceNames.Count == 0 && result.Loaded.Mapping.Routers.Count > 0)
        {
            log.LogError("No vrrp_instance could be started");
            await daemon.StopAsync();
            return 1;
        }

        // SIGTERM/SIGINT: every router sends priority 0 and removes its VIPs from the signal's own thread, before
        // the loop below wakes (#18: SIGTERM → VIP removed without waiting for a thread hop).
        signals.OnArrival = signo =>
        {
            if (signo is SignalListener.SIGTERM or SignalListener.SIGINT)
            {
                daemon.BeginStop();
            }
        };

        var pidFiles = WritePidFiles(cli, log);
        systemd.Ready($"{daemon.InstanceNames.Count} VRRP instance(s) started from {cli.ConfigFile}");
        var stopping = false;
        systemd.StartWatchdog(() => !stopping);
        var pid = Environment.ProcessId;
        await foreach (var signo in signals.Reader.ReadAllAsync())
        {
            var name = SignalListener.Name(signo);
            switch (signo)
            {
                case SignalListener.SIGHUP:
                    systemd.Reloading($"Reloading {cli.ConfigFile}");
                    await daemon.ReloadAsync(cli.ConfigFile);
                    systemd.Ready($"{daemon.InstanceNames.Count} VRRP instance(s) running from {cli.ConfigFile}");
                    continue;
                case SignalListener.SIGUSR1:
                    log.LogInformation("Printing VRRP data for process({Pid}) on signal", pid);
                    TryDump(log, daemon.WriteData);
                    continue;
                case SignalListener.SIGUSR2 or SignalListener.SIGRTMAX - 1:
                    var clear = signo != SignalListener.SIGUSR2;
                    log.LogInformation("Printing {Clearing}VRRP stats for process({Pid}) on signal", clear ? "and clearing " : "", pid);
                    TryDump(log, () => daemon.WriteStats(clear));
                    continue;
                case SignalListener.SIGRTMIN + 2:
                    log.LogWarning("{Signal} (keepalived's SIGJSON) received: hanet-vrrpd has no JSON dump (use SIGUSR1/SIGUSR2); ignored", name);
                    continue;
                case SignalListener.SIGTERM or SignalListener.SIGINT:
                    break;
                default:
                    log.LogWarning("{Signal} received and ignored (keepalived does not handle it; hanet-vrrpd keeps running)", name);
                    continue;
            }

            break;
        }

        stopping = true;
        systemd.Stopping("Stopping: priority-0 adverts, VIPs released");
        await daemon.StopAsync();
        foreach (var file in pidFiles)
        {
            try
            {
                File.Delete(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        return 0;
    }

    private static MetricsEndpoint? StartMetrics(System.Net.IPEndPoint at, Daemon daemon, VrrpCounters counters, ILogger log)
    {
        try
        {
            var endpoint = new MetricsEndpoint(at, daemon.Snapshot, counters, log);
            endpoint.Start();
            log.LogInformation("Prometheus metrics on http://{EndPoint}/metrics", endpoint.LocalEndPoint);
            return endpoint;
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            log.LogError("Cannot serve metrics on {EndPoint}: {Error}; continuing without them", at, ex.Message);
            return null;
        }
    }
}
