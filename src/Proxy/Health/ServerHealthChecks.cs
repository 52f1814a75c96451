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
        _createScheduler = () => HealthCheckScheduler.Create(time, random, loggerFactory, meterFactory);
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
        monitor.CheckCompleted += (_, e) =>
        {
            server.LastCheck = e.Result;
            server.CheckHealth = e.Snapshot.Health;
            if (!e.Result.Passed)
            {
                Interlocked.Increment(ref server.FailedChecks);
            }
        };
        monitor.StateChanged += (_, e) =>
        {
            string reason = e.Reason == HealthChangeReason.Administrative ? "forced by admin" : e.Result.ToString();
            _markHealth(server, e.Current == HealthState.Up, reason);
        };
        return monitor;
    }
}
