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
    private readonly HashSet<ProxySession> _sessions = [];
    private volatile ServerOptions _options;
    private volatile int _adminState;
    private volatile bool _healthUp = true;

    public ServerState(Backend backend, ServerOptions options, int id, long timestamp)
    {
        Backend = backend;
        _options = options;
        Id = id;
        Weight = options.Weight;
        _adminState = (int)options.InitialState;
        LastChangeTimestamp = timestamp;
    }

    public Backend Backend { get; }

    public int Id { get; }

    public string Name => _options.Name;

    public ServerOptions Options
    {
        get => _options;
        set => _options = value;
    }

    public ProxyCounters Counters { get; } = new();

    /// <summary>The current weight (set at run time with <c>set server weight</c>).</summary>
    public int Weight { get; set; }

    /// <summary>The weight the balancers use (never 0: unusable servers are not candidates).</summary>
    public int EffectiveWeight => Math.Max(1, Weight);

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

    public bool HasFreeSlot => Options.MaxConnections == 0 || Active < Options.MaxConnections;

    // ---- health (written by the health seam) ----

    public CheckResult? LastCheck { get; set; }

    public int CheckHealth { get; set; }

    public long FailedChecks;

    public long UpToDownTransitions;

    public long LastChangeTimestamp;

    public long DownSinceTimestamp = -1;

    public long DowntimeTicks;

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
