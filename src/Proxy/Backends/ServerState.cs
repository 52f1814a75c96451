using Ha.Net.HealthChecks;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Connections;
using Ha.Net.Proxy.Stats;

namespace Ha.Net.Proxy.Backends;

/// <summary>
/// A server's run-time state: configuration, admin and health state, slot and queue accounting,
/// counters and live sessions. Slot and queue fields are guarded by the backend's lock; the
/// object survives configuration reloads (matched by name), so counters and admin state do too.
/// </summary>
internal sealed class ServerState
{
    private const int FullPermille = 1000;

    private readonly HashSet<ProxySession> _sessions = [];
    private volatile ServerOptions _options;
    private volatile int _adminState;
    private volatile bool _healthUp = true;

    // slowstart: the share of weight and maxconn the server has now, in thousandths (1000 = full).
    private volatile int _warmupPermille = FullPermille;
    private long _warmupStart;
    private TimeProvider _warmupTime = TimeProvider.System;
    private ITimer? _warmupTimer;

    public ServerState(Backend backend, ServerOptions options, int id, long timestamp)
    {
        Backend = backend;
        _options = options;
        Id = id;
        NameHash = LoadBalancing.ConsistentSourceHash.NameHash(options.Name);
        Weight = options.Weight;
        _adminState = (int)options.InitialState;
        LastChangeTimestamp = timestamp;
    }

    public Backend Backend { get; }

    public int Id { get; }

    public string Name => _options.Name;

    /// <summary>A stable hash of <see cref="Name"/> (consistent source hashing).</summary>
    public ulong NameHash { get; }

    public ServerOptions Options
    {
        get => _options;
        set => _options = value;
    }

    public ProxyCounters Counters { get; } = new();

    /// <summary>The current weight (set at run time with <c>set server weight</c>).</summary>
    public int Weight { get; set; }

    /// <summary>The weight now: <see cref="Weight"/>, or during a slow start the share of it reached so far
    /// (rounded up). HAProxy's stats show this one.</summary>
    public int WeightNow
    {
        get
        {
            int permille = _warmupPermille;
            return permille >= FullPermille ? Weight : (int)((((long)Weight * permille) + FullPermille - 1) / FullPermille);
        }
    }

    /// <summary>The weight the balancers use: <see cref="WeightNow"/>, never 0 (unusable servers are not candidates).</summary>
    public int EffectiveWeight => Math.Max(1, WeightNow);

    /// <summary>The connection limit now (0 = unlimited): <see cref="ServerOptions.MaxConnections"/>, or
    /// during a slow start the share of it reached so far (at least 1).</summary>
    public int MaxConnectionsNow
    {
        get
        {
            int max = Options.MaxConnections;
            int permille = _warmupPermille;
            return max == 0 || permille >= FullPermille ? max : Math.Max(1, (int)((long)max * permille / FullPermille));
        }
    }

    public ServerAdminState AdminState
    {
        get => (ServerAdminState)_adminState;
        set => _adminState = (int)value;
    }

    public bool HealthUp
    {
        get => _healthUp;
        set => _healthUp = value;
    }

    public bool Removed { get; set; }

    /// <summary>Takes new connections: ready, up, weight &gt; 0, still configured.</summary>
    public bool IsUsable => !Removed && AdminState == ServerAdminState.Ready && HealthUp && Weight > 0;

    // ---- guarded by Backend.Lock ----

    /// <summary>Connections holding a slot (connecting or connected).</summary>
    public int Active;

    public LinkedList<QueueWaiter> Queue { get; } = new();

    public int Load => Active + Queue.Count;

    public int RoundRobinScore;

    public bool HasFreeSlot => Options.MaxConnections == 0 || Active < MaxConnectionsNow;

    // ---- health (written by the health seam) ----

    public CheckResult? LastCheck { get; set; }

    /// <summary>The server's health monitor while it is checked (observed errors are reported to it).</summary>
    public IHealthMonitor? Monitor { get; set; }

    public int CheckHealth { get; set; }

    public long FailedChecks;

    /// <summary><c>hanafail</c>: how many times observed errors were applied to the health.</summary>
    public long ObservedErrorReports;

    private int _consecutiveErrors;

    /// <summary>
    /// Counts one connect outcome for <c>observe layer4</c> (no-op unless the server's check observes):
    /// a success resets the count, a failure adds one. Returns the count when it just reached
    /// <c>error-limit</c> (and starts it again), else 0.
    /// </summary>
    public int ObserveConnect(bool failed)
    {
        if (_options.Check is not { ObserveLayer4: true } check)
        {
            return 0;
        }

        if (!failed)
        {
            if (Volatile.Read(ref _consecutiveErrors) != 0)
            {
                Volatile.Write(ref _consecutiveErrors, 0);
            }

            return 0;
        }

        int errors = Interlocked.Increment(ref _consecutiveErrors);
        if (errors < check.ErrorLimit || Interlocked.CompareExchange(ref _consecutiveErrors, 0, errors) != errors)
        {
            return 0;
        }

        Interlocked.Increment(ref ObservedErrorReports);
        return errors;
    }

    public long UpToDownTransitions;

    public long LastChangeTimestamp;

    public long DownSinceTimestamp = -1;

    public long DowntimeTicks;

    // ---- slowstart (guarded by Backend.Lock) ----

    /// <summary>
    /// Starts a slow start if the server has one configured (HAProxy: when it comes back up or out of
    /// maintenance). The weight and maxconn are raised in steps of max(1 s, slowstart / 20); each step
    /// lets the backend hand queued connections to the new slots.
    /// </summary>
    public void StartWarmup(TimeProvider time)
    {
        StopWarmup();
        var slowStart = Options.SlowStart;
        if (slowStart <= TimeSpan.Zero)
        {
            return;
        }

        _warmupTime = time;
        _warmupStart = time.GetTimestamp();
        _warmupPermille = 1;
        var step = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, slowStart.Ticks / 20));
        _warmupTimer = time.CreateTimer(static state => ((ServerState)state!).WarmupStep(), this, step, step);
    }

    /// <summary>Ends a slow start at once (the server went down or into maintenance, or is gone).</summary>
    public void StopWarmup()
    {
        _warmupTimer?.Dispose();
        _warmupTimer = null;
        _warmupPermille = FullPermille;
    }

    private void WarmupStep()
    {
        lock (Backend.Lock)
        {
            if (_warmupTimer is null)
            {
                return;
            }

            var slowStart = Options.SlowStart;
            var elapsed = _warmupTime.GetElapsedTime(_warmupStart);
            if (slowStart <= TimeSpan.Zero || elapsed >= slowStart)
            {
                StopWarmup();
            }
            else
            {
                _warmupPermille = (int)Math.Clamp(elapsed.Ticks * FullPermille / slowStart.Ticks, 1, FullPermille - 1);
            }
        }

        Backend.OnServersChanged(); // new slots take queued connections
    }

    // ---- live sessions (own lock) ----

    public void Register(ProxySession session)
    {
        lock (_sessions)
        {
            _sessions.Add(session);
        }
    }

    public void Unregister(ProxySession session)
    {
        lock (_sessions)
        {
            _sessions.Remove(session);
        }
    }

    public ProxySession[] SnapshotSessions()
    {
        lock (_sessions)
        {
            return [.. _sessions];
        }
    }
}
