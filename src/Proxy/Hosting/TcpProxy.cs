using System.Diagnostics.Metrics;
using System.Net;
using Ha.Net.HealthChecks;
using Ha.Net.Proxy.Backends;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Connections.Session;
using Ha.Net.Proxy.Health;
using Ha.Net.Proxy.Listening;
using Ha.Net.Proxy.Stats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ha.Net.Proxy.Hosting;

/// <summary>The proxy: frontends, backends, admin actions, stats, graceful stop and reload.</summary>
internal sealed partial class TcpProxy : ITcpProxy
{
    private readonly object _configLock = new();
    private readonly ProxyRuntime _runtime;
    private readonly Random _random;
    private Dictionary<string, Frontend> _frontends = new(StringComparer.Ordinal);
    private Dictionary<string, Backend> _backends = new(StringComparer.Ordinal);
    private readonly List<Frontend> _retiredFrontends = [];
    private readonly ServerHealthChecks _health;
    private ProxyOptions _options;
    private bool _started;
    private bool _stopped;

    public TcpProxy(ProxyOptions options, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null,
        TimeProvider? timeProvider = null, Random? random = null, IHealthCheckScheduler? healthChecks = null,
        Func<string, ServerOptions, IHealthProbe>? probeFactory = null)
    {
        ProxyOptionsValidator.ThrowIfInvalid(options);
        _options = options;
        _random = random ?? new Random();
        var time = timeProvider ?? TimeProvider.System;
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Ha.Net.Proxy");
        var metrics = new ProxyMetrics(meterFactory, ObserveIo, ObserveSpliced);
        _runtime = new ProxyRuntime(time, logger, metrics, options);
        long now = time.GetTimestamp();
        foreach (var backend in options.Backends)
        {
            _backends[backend.Name] = new Backend(backend, _random, now, time);
        }

        foreach (var frontend in options.Frontends)
        {
            _frontends[frontend.Name] = new Frontend(_runtime, frontend, FindBackend);
        }

        _health = new ServerHealthChecks(healthChecks, probeFactory, time, _random, loggerFactory, meterFactory, (s, up, why) => MarkHealth(s, up, why));
    }

    internal ProxyRuntime Runtime => _runtime;

    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        lock (_configLock)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            if (_started)
            {
                return Task.CompletedTask;
            }

            if (!_runtime.Budget.Fits)
            {
                // HAProxy (strict-limits, its default since 2.3) refuses to start rather than run out of descriptors.
                throw new InvalidOperationException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"Cannot raise FD limit to {_runtime.Budget.Needed}, limit is {_runtime.Budget.Limit}."));
            }

            var started = new List<Frontend>();
            try
            {
                foreach (var frontend in _frontends.Values)
                {
                    frontend.Start();
                    started.Add(frontend);
                }
            }
            catch
            {
                foreach (var frontend in started)
                {
                    _ = frontend.StopListeningAsync();
                }

                throw;
            }

            _started = true;
            _health.Sync(_backends.Values);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        List<Frontend> frontends;
        lock (_configLock)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            frontends = [.. _frontends.Values, .. _retiredFrontends];
        }

        Log.Stopping(_runtime.Logger, frontends.Count);
        foreach (var frontend in frontends)
        {
            await frontend.StopListeningAsync().ConfigureAwait(false);
        }

        var drained = Task.WhenAll(frontends.Select(f => f.WaitDrainedAsync()));
        var hardStop = _options.HardStopAfter;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (hardStop is { } bound)
        {
            cts.CancelAfter(bound);
        }

        try
        {
            await drained.WaitAsync(Timeout.InfiniteTimeSpan, _runtime.Time, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            int killed = frontends.Sum(f => f.KillAll(SessionEnd.Killed));
            Log.HardStop(_runtime.Logger, killed);
            await drained.WaitAsync(TimeSpan.FromSeconds(30), _runtime.Time, CancellationToken.None).ConfigureAwait(false);
        }

        await _health.DisposeAsync().ConfigureAwait(false);
        foreach (var backend in Backends)
        {
            backend.StopWarmups();
        }
    }

    public async Task ApplyAsync(ProxyOptions options, CancellationToken cancellationToken = default)
    {
        ProxyOptionsValidator.ThrowIfInvalid(options);
        var retire = new List<Frontend>();
        lock (_configLock)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            if (options.BufferSize != _options.BufferSize || options.MaxConnections != _options.MaxConnections || options.IoEngine != _options.IoEngine
                || options.MaxPipes != _options.MaxPipes || options.PipeSize != _options.PipeSize)
            {
                throw new ArgumentException("BufferSize, IoEngine, MaxConnections (global), MaxPipes and PipeSize take effect only at start.", nameof(options));
            }

            long now = _runtime.Time.GetTimestamp();
            var backends = new Dictionary<string, Backend>(StringComparer.Ordinal);
            foreach (var backendOptions in options.Backends)
            {
                if (_backends.TryGetValue(backendOptions.Name, out var backend))
                {
                    backend.Apply(backendOptions, now);
                }
                else
                {
                    backend = new Backend(backendOptions, _random, now, _runtime.Time);
                }

                backends[backendOptions.Name] = backend;
            }

            var frontends = new Dictionary<string, Frontend>(StringComparer.Ordinal);
            var toStart = new List<Frontend>();
            foreach (var frontendOptions in options.Frontends)
            {
                if (_frontends.TryGetValue(frontendOptions.Name, out var frontend)
                    && frontend.Options.Bind.Equals(frontendOptions.Bind)
                    && frontend.Options.MaxConnections == frontendOptions.MaxConnections
                    && frontend.Options.Backlog == frontendOptions.Backlog
                    && frontend.Options.FreeBind == frontendOptions.FreeBind)
                {
                    frontend.Apply(frontendOptions);
                }
                else
                {
                    if (frontend is not null)
                    {
                        retire.Add(frontend);
                    }

                    frontend = new Frontend(_runtime, frontendOptions, FindBackend);
                    toStart.Add(frontend);
                }

                frontends[frontendOptions.Name] = frontend;
            }

            foreach (var old in _frontends.Values)
            {
                if (!frontends.ContainsKey(old.Name))
                {
                    retire.Add(old);
                }
            }

            // Listeners that move stop first, so the same address can be bound again.
            foreach (var old in retire)
            {
                _ = old.StopListeningAsync();
                _retiredFrontends.Add(old);
            }

            foreach (var old in _backends.Values)
            {
                if (!backends.ContainsKey(old.Name))
                {
                    old.StopWarmups();
                }
            }

            _backends = backends;
            _frontends = frontends;
            _options = options;
            if (_started)
            {
                foreach (var frontend in toStart)
                {
                    frontend.Start();
                }

                _health.Sync(_backends.Values);
            }
        }

        foreach (var old in retire)
        {
            await old.StopListeningAsync().ConfigureAwait(false);
        }

        Log.Reloaded(_runtime.Logger, options.Frontends.Count, options.Backends.Count);
    }

    public IPEndPoint GetFrontendEndPoint(string frontend) =>
        GetFrontend(frontend).EndPoint ?? throw new InvalidOperationException($"Frontend '{frontend}' is not listening.");

    public void SetServerState(string backend, string server, ServerAdminState state)
    {
        var s = GetServer(backend, server);
        var previous = s.AdminState;
        s.AdminState = state;
        if (previous != state)
        {
            s.LastChangeTimestamp = _runtime.Time.GetTimestamp();
            Log.AdminStateChanged(_runtime.Logger, backend, server, state.ToString().ToUpperInvariant());
        }

        bool entering = state == ServerAdminState.Maintenance && previous != ServerAdminState.Maintenance;
        bool leaving = previous == ServerAdminState.Maintenance && state != ServerAdminState.Maintenance;
        if (entering || leaving)
        {
            // Checks pause in maintenance. Leaving it, the server is up at once, as HAProxy puts it at
            // health = rise ("start OK but check immediately"): its fresh monitor starts there, so one
            // failed check takes it down again. Leaving it also starts the slow start, if configured;
            // MarkHealth does that when the server was down, so only an up server needs it here.
            SyncHealth();
            if (entering)
            {
                lock (s.Backend.Lock)
                {
                    s.StopWarmup();
                }
            }
            else if (!MarkHealth(s, up: true, reason: "leaving maintenance"))
            {
                lock (s.Backend.Lock)
                {
                    s.StartWarmup(_runtime.Time);
                }
            }
        }

        s.Backend.OnServersChanged();
    }

    public bool PauseFrontend(string frontend)
    {
        var f = GetFrontend(frontend);
        if (!f.PauseListening())
        {
            return false;
        }

        Log.FrontendPaused(_runtime.Logger, frontend);
        return true;
    }

    public bool ResumeFrontend(string frontend)
    {
        var f = GetFrontend(frontend);
        if (!f.ResumeListening())
        {
            return false;
        }

        Log.FrontendResumed(_runtime.Logger, frontend);
        return true;
    }

    public bool IsFrontendPaused(string frontend) => GetFrontend(frontend).IsPaused;

    public void SetServerWeight(string backend, string server, int weight)
    {
        if (weight is < 0 or > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, $"Server '{backend}/{server}': weight must be between 0 and 256.");
        }

        var s = GetServer(backend, server);
        lock (s.Backend.Lock)
        {
            s.Weight = weight;
        }

        s.Backend.OnServersChanged();
    }

    public void SetServerHealth(string backend, string server, bool up)
    {
        var s = GetServer(backend, server);
        if (!_health.TrySetHealth(s, up))
        {
            MarkHealth(s, up, reason: "forced by admin");
        }
    }

    public void ReportCheck(string backend, string server, CheckResult result, int health, bool? markedUp)
    {
        var s = GetServer(backend, server);
        s.LastCheck = result;
        ServerHealthChecks.CountCheck(s, result.Passed, health);

        if (markedUp is { } up)
        {
            MarkHealth(s, up, result.ToString());
        }
    }

    public void AddServer(string backend, ServerOptions server)
    {
        var b = GetBackend(backend);
        var errors = new List<string>();
        ProxyOptionsValidator.ValidateServer(server, $"Backends[{backend}].Servers[{server.Name}]", b.Options, errors);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(server));
        }

        b.AddServer(server, _runtime.Time.GetTimestamp());
        SyncHealth();
        Log.ServerAdded(_runtime.Logger, backend, server.Name, server.Address);
    }

    public void RemoveServer(string backend, string server)
    {
        if (GetBackend(backend).RemoveServer(server) is null)
        {
            throw new KeyNotFoundException($"Backend '{backend}' has no server named '{server}'.");
        }

        SyncHealth();
        Log.ServerRemoved(_runtime.Logger, backend, server);
    }

    public int ShutdownSessions(string backend, string server)
    {
        var sessions = GetServer(backend, server).SnapshotSessions();
        foreach (var session in sessions)
        {
            session.Kill(SessionEnd.Killed);
        }

        return sessions.Length;
    }

    public IReadOnlyList<StatsRow> GetStats() => StatsSnapshot.Build(this);

    public ProxyInfo GetInfo() => new()
    {
        MaxConnections = _runtime.Budget.MaxConnections,
        MaxPipes = _runtime.Pipes?.MaxPipes ?? 0,
        PipesUsed = _runtime.Pipes?.Used ?? 0,
        PipesFree = _runtime.Pipes?.Free ?? 0,
    };

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        lock (_configLock)
        {
            foreach (var frontend in _frontends.Values.Concat(_retiredFrontends))
            {
                frontend.Dispose();
            }
        }

        _runtime.Metrics.Dispose();
        _runtime.Dispose();
    }

    internal IReadOnlyCollection<Frontend> Frontends => _frontends.Values;

    internal IReadOnlyCollection<Backend> Backends => _backends.Values;

    internal Backend? FindBackend(string name) => _backends.GetValueOrDefault(name);

    internal Frontend GetFrontend(string name) =>
        _frontends.GetValueOrDefault(name) ?? throw new KeyNotFoundException($"No frontend named '{name}'.");

    internal Backend GetBackend(string name) =>
        _backends.GetValueOrDefault(name) ?? throw new KeyNotFoundException($"No backend named '{name}'.");

    internal ServerState GetServer(string backend, string server) =>
        GetBackend(backend).FindServer(server) ?? throw new KeyNotFoundException($"Backend '{backend}' has no server named '{server}'.");

    private void SyncHealth()
    {
        lock (_configLock)
        {
            if (_started && !_stopped)
            {
                _health.Sync(_backends.Values);
            }
        }
    }

    /// <summary>Marks a server up or down; returns whether that changed its health.</summary>
    private bool MarkHealth(ServerState server, bool up, string reason)
    {
        long now = _runtime.Time.GetTimestamp();
        bool changed;
        lock (server.Backend.Lock)
        {
            changed = server.HealthUp != up;
            if (changed)
            {
                server.HealthUp = up;
                server.LastChangeTimestamp = now;
                if (up)
                {
                    if (server.DownSinceTimestamp >= 0)
                    {
                        server.DowntimeTicks += now - server.DownSinceTimestamp;
                        server.DownSinceTimestamp = -1;
                    }

                    server.StartWarmup(_runtime.Time); // slowstart, if configured
                }
                else
                {
                    server.UpToDownTransitions++;
                    server.DownSinceTimestamp = now;
                    server.StopWarmup();
                }
            }
        }

        if (!changed)
        {
            return false;
        }

        var backend = server.Backend;
        int transferred = backend.OnServersChanged(server);
        int active = backend.Servers.Count(s => s.IsUsable && !s.Options.Backup);
        int backup = backend.Servers.Count(s => s.IsUsable && s.Options.Backup);
        string onBackup = backup > 0 && active == 0 ? " Running on backup." : "";
        int queued = server.Queue.Count;
        if (up)
        {
            Log.ServerUp(_runtime.Logger, backend.Name, server.Name, reason, active, backup, onBackup, transferred, queued);
        }
        else
        {
            Log.ServerDown(_runtime.Logger, backend.Name, server.Name, reason, active, backup, onBackup, server.Active, transferred, queued);
            if (active + backup == 0)
            {
                Log.BackendHasNoServer(_runtime.Logger, backend.Name);
            }
        }
        if (!up && server.Options.ShutdownSessionsOnMarkedDown)
        {
            foreach (var session in server.SnapshotSessions())
            {
                session.Kill(SessionEnd.ServerDown);
            }
        }

        return true;
    }

    private IEnumerable<Measurement<long>> ObserveSpliced()
    {
        foreach (var frontend in _frontends.Values)
        {
            yield return new Measurement<long>(Volatile.Read(ref frontend.Counters.BytesSpliced),
                new KeyValuePair<string, object?>("hanet.proxy.frontend", frontend.Name));
        }
    }

    private IEnumerable<Measurement<long>> ObserveIo()
    {
        foreach (var frontend in _frontends.Values)
        {
            var tag = new KeyValuePair<string, object?>("hanet.proxy.frontend", frontend.Name);
            yield return new Measurement<long>(Volatile.Read(ref frontend.Counters.BytesIn), tag, new("network.io.direction", "receive"));
            yield return new Measurement<long>(Volatile.Read(ref frontend.Counters.BytesOut), tag, new("network.io.direction", "transmit"));
        }
    }
}
