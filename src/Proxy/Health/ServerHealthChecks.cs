using System.Diagnostics.Metrics;
using Ha.Net.HealthChecks;
using Ha.Net.Proxy.Backends;
using Ha.Net.Proxy.Configuration;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Proxy.Health;

/// <summary>
/// Binds servers that have <c>check</c> to Ha.Net.HealthChecks monitors (named
/// <c>backend/server</c>): a monitor's rise/fall transitions mark the server up or down, every
/// completed check updates its stats (check_status, chkfail, check_health).
/// </summary>
internal sealed class ServerHealthChecks : IAsyncDisposable
{
    private readonly Dictionary<ServerState, IHealthMonitor> _monitors = [];
    private readonly Func<IHealthCheckScheduler> _createScheduler;
    private readonly Func<string, ServerOptions, IHealthProbe>? _probeFactory;
    private readonly TimeProvider _time;
    private readonly Action<ServerState, bool, string> _markHealth;
    private IHealthCheckScheduler? _scheduler;
    private bool _ownsScheduler;

    public ServerHealthChecks(IHealthCheckScheduler? scheduler, Func<string, ServerOptions, IHealthProbe>? probeFactory,
        TimeProvider time, Random random, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory,
        Action<ServerState, bool, string> markHealth)
    {
        _scheduler = scheduler;
        _probeFactory = probeFactory;
        _time = time;
        _markHealth = markHealth;
        // The proxy logs each transition once, with the server's counts (TcpProxy.Log ServerUp/ServerDown); the
        // monitors' own lines for the same transition (4000 up, 4001 down, 4002 forced) would say it twice.
        _createScheduler = () => HealthCheckScheduler.Create(time, random,
            loggerFactory is null ? null : new WithoutTransitionLines(loggerFactory), meterFactory);
    }

    public static HealthMonitorOptions ToMonitorOptions(ServerCheckOptions check) => new()
    {
        Interval = check.Interval,
        FastInterval = check.FastInterval,
        DownInterval = check.DownInterval,
        Timeout = check.Timeout,
        Rise = check.Rise,
        Fall = check.Fall,
    };

    /// <summary>Adds, reconfigures or removes monitors so they match the backends' servers. A server in
    /// maintenance is not checked (HAProxy pauses its checks); it gets a fresh monitor when it leaves.</summary>
    public void Sync(IEnumerable<Backend> backends)
    {
        lock (_monitors)
        {
            var wanted = new HashSet<ServerState>();
            foreach (var backend in backends)
            {
                foreach (var server in backend.Servers)
                {
                    if (server.Options.Check is { } check && server.AdminState != ServerAdminState.Maintenance)
                    {
                        wanted.Add(server);
                        var options = ToMonitorOptions(check);
                        if (_monitors.TryGetValue(server, out var monitor))
                        {
                            if (monitor.Options != options)
                            {
                                monitor.Reconfigure(options);
                            }
                        }
                        else
                        {
                            _monitors[server] = Add(backend, server, options);
                        }
                    }
                }
            }

            foreach (var (server, monitor) in _monitors.ToList())
            {
                if (!wanted.Contains(server))
                {
                    Scheduler.Remove(monitor.Name);
                    _monitors.Remove(server);
                    server.Monitor = null;
                }
            }
        }
    }

    /// <summary>Sets a checked server's health counter fully up or down (<c>set server health</c>);
    /// <see langword="false"/> when the server has no check.</summary>
    public bool TrySetHealth(ServerState server, bool up)
    {
        IHealthMonitor? monitor;
        lock (_monitors)
        {
            _monitors.TryGetValue(server, out monitor);
        }

        monitor?.SetHealth(up ? HealthState.Up : HealthState.Down);
        return monitor is not null;
    }

    public async ValueTask DisposeAsync()
    {
        lock (_monitors)
        {
            foreach (var (server, monitor) in _monitors)
            {
                _scheduler?.Remove(monitor.Name);
                server.Monitor = null;
            }

            _monitors.Clear();
        }

        if (_ownsScheduler && _scheduler is not null)
        {
            await _scheduler.DisposeAsync().ConfigureAwait(false);
        }
    }

    private IHealthCheckScheduler Scheduler
    {
        get
        {
            if (_scheduler is null)
            {
                _scheduler = _createScheduler();
                _ownsScheduler = true;
            }

            return _scheduler;
        }
    }

    private IHealthMonitor Add(Backend backend, ServerState server, HealthMonitorOptions options)
    {
        var probe = _probeFactory?.Invoke(backend.Name, server.Options) ?? new ServerConnectProbe(server.Options, _time);
        string name = backend.Name + "/" + server.Name;
        Scheduler.Remove(name);
        var monitor = Scheduler.Add(name, probe, options);
        server.Monitor = monitor;
        server.CheckHealth = monitor.Snapshot.Health;
        monitor.CheckCompleted += (_, e) =>
        {
            server.LastCheck = e.Result;
            CountCheck(server, e.Result.Passed, e.Snapshot.Health);
        };
        monitor.StateChanged += (_, e) =>
        {
            string reason = e.Reason == HealthChangeReason.Administrative ? "forced by admin" : Reason(e.Result);
            _markHealth(server, e.Current == HealthState.Up, reason);
        };
        return monitor;
    }

    /// <summary>
    /// Records a check's health counter and counts a failure in <c>chkfail</c> as HAProxy 2.6 does
    /// (check.c, <c>check_notify_failure</c>): only while the counter was above 0, that is while the server
    /// was up or rising; the failures of a server already fully down are not counted again.
    /// </summary>
    internal static void CountCheck(ServerState server, bool passed, int healthAfter)
    {
        if (!passed && server.CheckHealth > 0)
        {
            Interlocked.Increment(ref server.FailedChecks);
        }

        server.CheckHealth = healthAfter;
    }

    /// <summary>
    /// HAProxy's reason for a transition made by a check (<c>srv_append_status</c>): the status description, the
    /// code for a layer-7 answer, the check's text, its duration — e.g. <c>Layer7 wrong status, code: 503, info:
    /// "Service Unavailable", check duration: 0ms</c> or <c>Layer4 connection problem, info: "Connection refused",
    /// check duration: 0ms</c>.
    /// </summary>
    internal static string Reason(CheckResult result)
    {
        var reason = new System.Text.StringBuilder(result.HaproxyStatusDescription);
        if (result.Code is { } code && result.Status is CheckStatus.L7Ok or CheckStatus.L7OkConditional or CheckStatus.L7Status)
        {
            reason.Append(System.Globalization.CultureInfo.InvariantCulture, $", code: {code}");
        }

        if (!string.IsNullOrEmpty(result.Description))
        {
            reason.Append(", info: \"").Append(result.Description).Append('"');
        }

        return reason.Append(System.Globalization.CultureInfo.InvariantCulture, $", check duration: {(long)result.Duration.TotalMilliseconds}ms").ToString();
    }

    /// <summary>The scheduler's loggers without the monitors' transition lines (event ids 4000, 4001, 4002).</summary>
    private sealed class WithoutTransitionLines(ILoggerFactory inner) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new Filtered(inner.CreateLogger(categoryName));

        public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

        public void Dispose()
        {
            // The factory belongs to whoever made the proxy.
        }

        private sealed class Filtered(ILogger inner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => inner.BeginScope(state);

            public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (eventId.Id is not (4000 or 4001 or 4002))
                {
                    inner.Log(logLevel, eventId, state, exception, formatter);
                }
            }
        }
    }
}
