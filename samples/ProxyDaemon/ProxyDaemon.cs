using System.Reflection;
using Ha.Net.HealthChecks;
using Ha.Net.Proxy;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Haproxy;
using Ha.Net.Proxy.Stats;
using Ha.Net.Samples.Shared.Signals;
using Ha.Net.Samples.Shared.Syslog;
using Ha.Net.Samples.Shared.Systemd;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.ProxyDaemon;

/// <summary>
/// <c>hanet-proxyd</c>: HAProxy's tcp mode run from haproxy.cfg, with the statistics page and the stats socket.
/// Signals as HAProxy's master-worker (<c>-W</c>/<c>-Ws</c>): SIGTERM/SIGINT stop (listeners closed, live connections
/// drained, killed after <c>hard-stop-after</c>, 30 s), SIGUSR1 soft stop (the same drain), SIGHUP/SIGUSR2 reload in
/// place, SIGQUIT a memory report in the log; SIGTTOU/SIGTTIN pause/resume every listener (ports kept, live connections untouched);
/// every other signal that would terminate the process is logged and ignored.
/// </summary>
internal sealed partial class ProxyDaemon : IAsyncDisposable
{
    /// <summary>What <c>-v</c>, <c>show info</c> and the stats page print as the version.</summary>
    /// <summary>The product version (HaNetVersion in Directory.Build.props), the same number as the Ha.Net packages'.</summary>
    public static readonly string Version =
        typeof(ProxyDaemon).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";

    private readonly IReadOnlyList<string> _files;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly HaproxyStyleLoggerProvider _log;
    private readonly SystemdNotifier _systemd;
    private readonly List<StatsPageServer> _statsPages = [];
    private readonly List<RuntimeSocket> _runtimeSockets = [];
    private DaemonConfig _config;
    private ITcpProxy? _proxy;
    private HaproxyRuntimeApi? _commands;

    private ProxyDaemon(IReadOnlyList<string> files, DaemonConfig config, HaproxyStyleLoggerProvider log, ILoggerFactory loggerFactory,
        string? pidFileOption, SystemdNotifier systemd)
    {
        _files = files;
        _pidFileOption = pidFileOption;
        _systemd = systemd;
        _config = config;
        _log = log;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("hanet-proxyd");
    }

    public static async Task<int> MainAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var files = new List<string>();
        var check = false;
        var quiet = false;
        var systemdMode = false;
        string? pidFile = null;
        string? routeInjection = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-f" when i + 1 < args.Length:
                    var path = args[++i];
                    if (Directory.Exists(path))
                    {
                        // HAProxy: a directory adds its *.cfg files in lexical order.
                        files.AddRange(Directory.GetFiles(path, "*.cfg").Order(StringComparer.Ordinal));
                    }
                    else
                    {
                        files.Add(path);
                    }

                    break;
                case "-c":
                    check = true;
                    break;
                case "-q":
                    quiet = true;
                    break;
                case "-Ws":
                    // HAProxy's master-worker mode with systemd support: sd_notify READY/RELOADING/STOPPING (Type=notify).
                    systemdMode = true;
                    break;
                case "-db" or "-W" or "-D":
                    break; // foreground / master-worker / daemon: hanet-proxyd is always one foreground process.
                case "-p" when i + 1 < args.Length:
                    pidFile = args[++i]; // HAProxy: -p <pidfile> overrides the global 'pidfile'
                    break;
                case "--route-injection" when i + 1 < args.Length:
                    routeInjection = args[++i]; // hanet-proxyd's own: route health injection (RouteInjectionFile)
                    break;
                case "-v" or "-vv":
                    stdout.WriteLine($"hanet-proxyd version {Version} (Ha.Net, HAProxy-compatible tcp mode)");
                    return 0;
                case "-h" or "--help":
                    stdout.WriteLine(Usage);
                    return 0;
                default:
                    stderr.WriteLine($"[ALERT]    ({Environment.ProcessId}) : unknown option '{args[i]}'.");
                    stderr.WriteLine(Usage);
                    return 1;
            }
        }

        if (files.Count == 0)
        {
            stderr.WriteLine($"[ALERT]    ({Environment.ProcessId}) : No configuration file specified (-f).");
            stderr.WriteLine(Usage);
            return 1;
        }

        var errors = new List<string>();
        var warnings = new List<string>();
        var config = DaemonConfig.Load(files, errors, warnings);
        var pid = Environment.ProcessId;
        foreach (var w in warnings.Where(_ => !(check && quiet)))
        {
            stderr.WriteLine($"[WARNING]  ({pid}) : config : {w}");
        }

        foreach (var e in errors)
        {
            stderr.WriteLine($"[ALERT]    ({pid}) : config : {e}");
        }

        if (config is null || !LoadRouteInjection(routeInjection, config, stderr, out var routeInjectionFile))
        {
            stderr.WriteLine($"[ALERT]    ({pid}) : config : Fatal errors found in configuration.");
            return 1;
        }

        if (check)
        {
            if (!quiet)
            {
                stdout.WriteLine("Configuration file is valid");
            }

            return 0;
        }

        // Syslog as HAProxy: the tag is HAProxy's default log-tag ("haproxy"), so existing rsyslog rules match.
        var syslog = config.Logs.Any ? new SyslogWriter("haproxy") : null;
        var log = new HaproxyStyleLoggerProvider(stdout, quiet ? LogLevel.Warning : LogLevel.Information, syslog) { Routing = config.Logs };
        syslog?.ReportDrops(line => log.WriteStdout(LogLevel.Warning, line), TimeSpan.FromSeconds(60));
        using var systemd = systemdMode ? SystemdNotifier.FromEnvironment() : SystemdNotifier.Disabled;
        using var loggerFactory = new SingleProviderLoggerFactory(log);
        int code;
        await using (var daemon = new ProxyDaemon(files, config, log, loggerFactory, pidFile, systemd))
        {
            daemon._routeInjectionPath = routeInjection;
            daemon._routeInjectionFile = routeInjectionFile;
            code = await daemon.RunAsync();
        }

        if (syslog is not null)
        {
            await syslog.CloseAsync(TimeSpan.FromSeconds(2));
        }

        return code;
    }

    private const string Usage =
        "Usage : hanet-proxyd -f <cfgfile|cfgdir> [-f ...] [-c] [-q] [-v] [-p <pidfile>] [-Ws|-W|-db]\n" +
        "        -f : configuration file or directory (several allowed, read in order)\n" +
        "        -c : check the configuration and exit (0 valid, 1 errors listed on stderr)\n" +
        "        -q : quiet (warnings and alerts only; with -c only errors)\n" +
        "        -v : version\n" +
        "        -p : write the process id to <pidfile> (overrides the global 'pidfile')\n" +
        "        -Ws : master-worker mode with systemd notify support (Type=notify: READY, RELOADING, STOPPING, WATCHDOG)\n" +
        "        -W, -db, -D : accepted (hanet-proxyd is always one foreground process)\n" +
        "        --route-injection <file> : announce the service prefix over BGP (FRR) while healthy (see README)\n" +
        "Signals: SIGTERM/SIGINT stop, SIGUSR1 soft stop, SIGHUP/SIGUSR2 reload, SIGQUIT memory report.";

    private async Task<int> RunAsync()
    {
        var started = DateTimeOffset.UtcNow;
        using var signals = new SignalListener([.. SignalListener.Terminating, SignalListener.SIGTTIN, SignalListener.SIGTTOU]);

        _proxy = TcpProxyFactory.Create(_config.Options, _loggerFactory, probeFactory: Probe);
        _commands = new HaproxyRuntimeApi(_proxy, () => _config.Config, () => _config.Options, _logger) { Started = started, Version = Version };
        try
        {
            await _proxy.StartAsync();
            StartStatsAndSockets();
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            LogStartFailed(_logger, ex.Message);
            await StopStatsAndSocketsAsync();
            return 1;
        }

        WritePidFile();
        LogLoaded(_logger, string.Join(", ", _files), _config.Options.Frontends.Count, _config.Options.Backends.Count, _statsPages.Count, _runtimeSockets.Count);
        _systemd.Ready(ReadyStatus());
        _systemd.StartWatchdog(Alive);
        await StartRouteInjectionAsync();
        bool softStop = false;
        await foreach (var signo in signals.Reader.ReadAllAsync())
        {
            var signal = SignalListener.Name(signo);
            switch (signo)
            {
                case SignalListener.SIGHUP or SignalListener.SIGUSR2:
                    // HAProxy's master (-W/-Ws) reloads on both.
                    _systemd.Reloading($"Reloading on {signal}");
                    await ReloadAsync(signal);
                    _systemd.Ready(ReadyStatus());
                    continue;
                case SignalListener.SIGQUIT:
                    // HAProxy dumps its memory pools; the .NET equivalent is the GC's view of the heap.
                    var gc = GC.GetGCMemoryInfo();
                    LogMemory(_logger, signal, GC.GetTotalMemory(false), gc.HeapSizeBytes, gc.TotalCommittedBytes, Environment.WorkingSet, GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
                    continue;
                case SignalListener.SIGTTIN:
                    if (!SetListening(pause: false))
                    {
                        LogResumeRefused(_logger);
                    }

                    continue;
                case SignalListener.SIGTTOU:
                    if (SetListening(pause: true))
                    {
                        continue;
                    }

                    // HAProxy's sig_pause: a listener that will not pause means a soft stop.
                    LogPauseRefused(_logger);
                    softStop = true;
                    break;
                case SignalListener.SIGTERM or SignalListener.SIGINT or SignalListener.SIGUSR1:
                    break;
                default:
                    LogSignalIgnored(_logger, signal);
                    continue;
            }

            _stopping = true;
            _systemd.Stopping($"Stopping on {signal}");
            LogStopping(_logger, signal, signo == SignalListener.SIGUSR1 || softStop ? "soft-stop" : "stop", (_config.Options.HardStopAfter ?? TimeSpan.FromSeconds(30)).TotalSeconds);
            break;
        }

        await StopRouteInjectionAsync(); // withdraw and wait for routers before the listeners close
        await StopStatsAndSocketsAsync();
        await _proxy.StopAsync();
        if (_pidFile is not null)
        {
            TryDelete(_pidFile);
        }

        foreach (var row in _proxy.GetStats().Where(r => r.Type is StatsRowType.Frontend or StatsRowType.Backend))
        {
            LogProxyStopped(_logger, row.Type == StatsRowType.Frontend ? "Proxy" : "Backend", row.ProxyName, row.TotalSessions);
        }

        return 0;
    }

    /// <summary>SIGTTOU/SIGTTIN: pauses or resumes every listener, the frontends' and the stats pages' (HAProxy's
    /// <c>protocol_pause_all</c>/<c>protocol_resume_all</c>); the runtime sockets stay, as HAProxy's unix
    /// stats sockets do. Returns false when one of them refused.</summary>
    private bool SetListening(bool pause)
    {
        bool ok = true;
        foreach (var frontend in _config.Options.Frontends)
        {
            try
            {
                _ = pause ? _proxy!.PauseFrontend(frontend.Name) : _proxy!.ResumeFrontend(frontend.Name);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                LogListenerRefused(_logger, e.Message);
                ok = false;
            }
        }

        foreach (var page in _statsPages)
        {
            try
            {
                if (pause)
                {
                    page.Pause();
                }
                else
                {
                    page.Resume();
                }
            }
            catch (System.Net.Sockets.SocketException e)
            {
                LogListenerRefused(_logger, e.Message);
                ok = false;
            }
        }

        return ok;
    }

    private readonly string? _pidFileOption;
    private string? _pidFile;
    private volatile bool _stopping;

    private string ReadyStatus() =>
        $"{_config.Options.Frontends.Count} frontend(s), {_config.Options.Backends.Count} backend(s) from {string.Join(", ", _files)}";

    /// <summary>The watchdog's question: does the proxy still answer (its state is readable, it is not stopping)?</summary>
    private bool Alive()
    {
        if (_stopping || _proxy is null)
        {
            return false;
        }

        try
        {
            _ = _proxy.GetInfo();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    private void WritePidFile()
    {
        if ((_pidFileOption ?? _config.PidFile) is not { } path)
        {
            return;
        }

        try
        {
            File.WriteAllText(path, Environment.ProcessId + "\n");
            _pidFile = path;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogPidFile(_logger, path, ex.Message);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private IHealthProbe Probe(string backend, ServerOptions server) => _config.Mapping.CreateProbeFactory()(backend, server);

    /// <summary>
    /// Reload in place: the new configuration is read and validated first (a bad one is refused and the old
    /// one keeps running); then the proxy applies it — frontends, backends and servers matched by name keep
    /// their counters, admin state (drain/maint set at run time), weights set at run time are reset to the
    /// configured ones only when the server line changed, health, and live connections; a frontend whose
    /// bind changed is re-bound. Stats pages and the stats socket are re-opened from the new configuration.
    /// With <c>--route-injection</c> the file is re-read too and checked against the new haproxy configuration before
    /// anything changes (an error in either file refuses the whole reload), then applied to the running injector:
    /// a prefix that stays is not withdrawn, an unchanged file changes nothing.
    /// </summary>
    private async Task ReloadAsync(string signal)
    {
        LogReloading(_logger, signal, string.Join(", ", _files));
        var errors = new List<string>();
        var warnings = new List<string>();
        var next = DaemonConfig.Load(_files, errors, warnings);
        var nextInjection = _routeInjectionPath is { } rhi ? ReadRouteInjection(rhi, next, _routeInjectionFile, errors) : null;
        foreach (var w in warnings)
        {
            LogConfigWarning(_logger, w);
        }

        if (next is null || errors.Count > 0)
        {
            foreach (var e in errors)
            {
                LogConfigError(_logger, e);
            }

            LogReloadRefused(_logger, errors.Count);
            return;
        }

        var previous = _config;
        try
        {
            _config = next;
            await _proxy!.ApplyAsync(next.Options);
            _log.Routing = next.Logs; // a reload can change log targets (new writer destinations open on first use)
        }
        catch (Exception ex) when (ex is ArgumentException or System.Net.Sockets.SocketException or InvalidOperationException or KeyNotFoundException)
        {
            _config = previous;
            LogReloadFailed(_logger, ex.Message);
            return;
        }

        if (nextInjection is not null)
        {
            await ApplyRouteInjectionAsync(nextInjection);
        }

        await StopStatsAndSocketsAsync();
        try
        {
            StartStatsAndSockets();
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException)
        {
            LogReloadFailed(_logger, "stats page or socket: " + ex.Message);
        }

        LogReloaded(_logger, next.Options.Frontends.Count, next.Options.Backends.Count);
    }

    private void StartStatsAndSockets()
    {
        foreach (var page in _config.StatsPages)
        {
            var server = new StatsPageServer(page, _commands!, _logger);
            _statsPages.Add(server);
            server.Start();
            LogStatsPage(_logger, page.Name, string.Join(", ", server.EndPoints), page.Certificate is null ? "http" : "https", page.Stats.Uri);
        }

        foreach (var socketConfig in _config.RuntimeSockets)
        {
            var socket = new RuntimeSocket(socketConfig, _commands!, _logger);
            _runtimeSockets.Add(socket);
            socket.Start();
            LogStatsSocket(_logger, socket.Description, socketConfig.Admin ? "admin" : "user");
        }
    }

    private async Task StopStatsAndSocketsAsync()
    {
        foreach (var page in _statsPages)
        {
            await page.DisposeAsync();
        }

        foreach (var socket in _runtimeSockets)
        {
            await socket.DisposeAsync();
        }

        _statsPages.Clear();
        _runtimeSockets.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await DisposeRouteInjectionAsync();
        await StopStatsAndSocketsAsync();
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        _log.Dispose();
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Loading success. Configuration {Files}: {Frontends} frontend(s), {Backends} backend(s), {Pages} stats page(s), {Sockets} stats socket(s).")]
    private static partial void LogLoaded(ILogger logger, string files, int frontends, int backends, int pages, int sockets);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "Starting proxies: {Reason}. Exiting.")]
    private static partial void LogStartFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "{Signal} received, {Kind}: listeners closed, waiting for live connections to end (hard-stop-after {Seconds}s).")]
    private static partial void LogStopping(ILogger logger, string signal, string kind, double seconds);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "{Kind} {Name} stopped (cumulated conns: {Total}).")]
    private static partial void LogProxyStopped(ILogger logger, string kind, string name, long total);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "{Signal} received, reloading the configuration from {Files}.")]
    private static partial void LogReloading(ILogger logger, string signal, string files);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "config : {Finding}")]
    private static partial void LogConfigWarning(ILogger logger, string finding);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Error, Message = "config : {Finding}")]
    private static partial void LogConfigError(ILogger logger, string finding);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Error, Message = "Reload refused: {Count} error(s) in the new configuration; the running configuration is kept.")]
    private static partial void LogReloadRefused(ILogger logger, int count);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Error, Message = "Reload failed: {Reason}; the running configuration is kept.")]
    private static partial void LogReloadFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "Reload complete: {Frontends} frontend(s), {Backends} backend(s); counters, server states and live connections kept.")]
    private static partial void LogReloaded(ILogger logger, int frontends, int backends);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Information, Message = "Stats page {Name} listening on {EndPoints} ({Scheme}, uri {Uri}).")]
    private static partial void LogStatsPage(ILogger logger, string name, string endPoints, string scheme, string uri);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Warning, Message = "Cannot write pid file {Path}: {Reason} (continuing; systemd tracks the main pid).")]
    private static partial void LogPidFile(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 5014, Level = LogLevel.Information, Message = "{Signal} received: memory report (HAProxy dumps its pools here): managed heap in use {Managed} bytes, GC heap {Heap} bytes, committed {Committed} bytes, working set {WorkingSet} bytes, collections gen0 {Gen0} gen1 {Gen1} gen2 {Gen2}.")]
    private static partial void LogMemory(ILogger logger, string signal, long managed, long heap, long committed, long workingSet, int gen0, int gen1, int gen2);

    // HAProxy's sig_pause and sig_listen (haproxy.c), word for word.
    [LoggerMessage(EventId = 5015, Level = LogLevel.Warning, Message = "Some proxies refused to pause, performing soft stop now.")]
    private static partial void LogPauseRefused(ILogger logger);

    [LoggerMessage(EventId = 5017, Level = LogLevel.Warning, Message = "Some proxies refused to resume, probably due to a conflict on a listening port. " +
        "You may want to try again after the conflicting application is stopped, otherwise a restart might be needed to resume safe operations.")]
    private static partial void LogResumeRefused(ILogger logger);

    [LoggerMessage(EventId = 5018, Level = LogLevel.Warning, Message = "{Reason}")]
    private static partial void LogListenerRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 5016, Level = LogLevel.Warning, Message = "{Signal} received and ignored (HAProxy does not handle it; hanet-proxyd keeps running).")]
    private static partial void LogSignalIgnored(ILogger logger, string signal);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Information, Message = "Stats socket listening on {Socket} (level {Level}).")]
    private static partial void LogStatsSocket(ILogger logger, string socket, string level);
}
