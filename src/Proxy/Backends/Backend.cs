using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.LoadBalancing;
using Ha.Net.Proxy.Stats;

namespace Ha.Net.Proxy.Backends;

/// <summary>How an attempt to get a server slot ended.</summary>
internal enum AssignOutcome
{
    /// <summary>A slot was taken on a server.</summary>
    Assigned,

    /// <summary>Every usable server is full: the connection waits in a queue.</summary>
    Queued,

    /// <summary>No server is usable (all down, drained, in maintenance, or none configured).</summary>
    NoServer,

    /// <summary>Every usable server is full and the queue is at its bound (maxqueue).</summary>
    QueueFull,
}

/// <summary>A connection waiting for a server slot. Completed with the server, or with
/// <see langword="null"/> when it was cancelled (queue timeout, stop).</summary>
internal sealed class QueueWaiter : TaskCompletionSource<ServerState?>
{
    public QueueWaiter()
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        Node = new LinkedListNode<QueueWaiter>(this);
    }

    public LinkedListNode<QueueWaiter> Node { get; }

    /// <summary>The server whose queue holds it, or <see langword="null"/> for the backend queue.</summary>
    public ServerState? QueuedOn { get; set; }

    /// <summary>Queue lengths when it was queued (tcplog's <c>srv_queue/backend_queue</c>).</summary>
    public int ServerQueuePosition { get; set; }

    public int BackendQueuePosition { get; set; }

    /// <summary>The client's <see cref="SourceHash"/> (for <c>source</c>, when it waits in the backend queue).</summary>
    public uint SourceHash { get; init; }
}

/// <summary>
/// A backend's run-time state: servers, balancer, slot accounting and queues. Slot accounting is
/// one short lock per connection start and end; queue hand-over happens under it.
/// </summary>
/// <remarks>
/// Queueing follows HAProxy: a server at <c>maxconn</c> takes no new connection; when every usable
/// server is full the connection waits in the backend queue, and <c>leastconn</c> may instead queue
/// it on a server whose <c>maxconn + maxqueue</c> is not reached (its queue counts in its load).
/// A freed slot goes to the server's own queue first, then to the backend queue. Unlike HAProxy,
/// whose backend queue is unbounded, ours is bounded by the sum of the usable servers' maxqueue
/// when every one of them sets it.
/// </remarks>
internal sealed class Backend
{
    private readonly List<ServerState> _candidates = [];
    private readonly LinkedList<QueueWaiter> _queue = new();
    private readonly Random _random;
    private ServerState[] _servers = [];
    private ILoadBalancer _balancer;
    private volatile BackendOptions _options;
    private int _nextServerId = 1;

    private readonly TimeProvider _time;
    private bool _available = true; // HAProxy starts every server UP, so every backend too

    public Backend(BackendOptions options, Random random, long timestamp, TimeProvider? time = null)
    {
        _options = options;
        _random = random;
        _time = time ?? TimeProvider.System;
        LastChangeTimestamp = timestamp;
        _balancer = LoadBalancer.Create(options, random);
        foreach (var server in options.Servers)
        {
            AddServerLocked(server, timestamp);
        }
    }

    public object Lock { get; } = new();

    public string Name => _options.Name;

    public BackendOptions Options => _options;

    public ProxyCounters Counters { get; } = new();

    // ---- availability, HAProxy's px->last_change, down_trans and down_time (guarded by Lock) ----

    /// <summary>When the backend last went from no usable server to some, or back (<c>lastchg</c>).</summary>
    public long LastChangeTimestamp;

    /// <summary>Times the backend lost its last usable server (<c>chkdown</c>).</summary>
    public long DownTransitions;

    /// <summary>Since when it has no usable server (-1: it has some), and the time spent so before (<c>downtime</c>).</summary>
    public long DownSinceTimestamp = -1;

    /// <summary>See <see cref="DownSinceTimestamp"/>.</summary>
    public long DowntimeTicks;

    /// <summary>The servers in id order (a snapshot array, replaced on add/remove).</summary>
    public ServerState[] Servers => Volatile.Read(ref _servers);

    public int QueueLength
    {
        get
        {
            lock (Lock)
            {
                return _queue.Count;
            }
        }
    }

    public ServerState? FindServer(string name)
    {
        foreach (var server in Servers)
        {
            if (string.Equals(server.Name, name, StringComparison.Ordinal))
            {
                return server;
            }
        }

        return null;
    }

    /// <summary>Whether this backend balances by the client's address (<c>source</c>).</summary>
    public bool HashesSource => _options.Balance == BalanceAlgorithm.Source;

    /// <summary>Takes a slot on a server, or queues, for a client whose address does not matter.</summary>
    public AssignOutcome TryAssign(ServerState? avoid, out ServerState? server, out QueueWaiter? waiter) =>
        TryAssign(avoid, sourceHash: 0, out server, out waiter);

    /// <summary>Takes a slot on a server, or queues <paramref name="waiter"/>.</summary>
    /// <param name="avoid">A server to avoid if another is usable (redispatch after a failed connect).</param>
    /// <param name="sourceHash"><see cref="SourceHash.Of"/> of the client's address (used by <c>source</c>).</param>
    /// <param name="server">The server when the outcome is <see cref="AssignOutcome.Assigned"/>.</param>
    /// <param name="waiter">The queue entry when the outcome is <see cref="AssignOutcome.Queued"/>.</param>
    public AssignOutcome TryAssign(ServerState? avoid, uint sourceHash, out ServerState? server, out QueueWaiter? waiter)
    {
        lock (Lock)
        {
            server = null;
            waiter = null;
            bool anyUsable = CollectCandidates(avoid, allowServerQueue: true, out long queueBound);
            if (_candidates.Count == 0)
            {
                if (!anyUsable)
                {
                    return AssignOutcome.NoServer;
                }

                if (queueBound > 0 && QueuedTotalLocked() >= queueBound)
                {
                    return AssignOutcome.QueueFull;
                }

                waiter = new QueueWaiter { BackendQueuePosition = _queue.Count, SourceHash = sourceHash };
                _queue.AddLast(waiter.Node);
                Counters.Enqueued();
                return AssignOutcome.Queued;
            }

            var picked = _balancer.Pick(_candidates, sourceHash);
            _candidates.Clear();
            if (picked.HasFreeSlot)
            {
                picked.Active++;
                server = picked;
                return AssignOutcome.Assigned;
            }

            // Full: the connection waits for this server (source hashing keeps the client on it),
            // unless its queue is at maxqueue (HAProxy: SRV_STATUS_FULL).
            if (picked.Options.MaxQueue > 0 && picked.Queue.Count >= picked.Options.MaxQueue)
            {
                return AssignOutcome.QueueFull;
            }

            waiter = new QueueWaiter
            {
                ServerQueuePosition = picked.Queue.Count,
                BackendQueuePosition = _queue.Count,
                QueuedOn = picked,
                SourceHash = sourceHash,
            };
            picked.Queue.AddLast(waiter.Node);
            picked.Counters.Enqueued();
            return AssignOutcome.Queued;
        }
    }

    /// <summary>Removes a waiter that timed out or was cancelled; <see langword="false"/> when it
    /// was already given a server (the caller then owns that slot).</summary>
    public bool TryCancel(QueueWaiter waiter)
    {
        lock (Lock)
        {
            if (waiter.Node.List is null)
            {
                return false;
            }

            RemoveWaiterLocked(waiter);
            waiter.TrySetResult(null);
            return true;
        }
    }

    /// <summary>Gives back a slot taken by <see cref="TryAssign(ServerState?, uint, out ServerState?, out QueueWaiter?)"/>; hands it to a waiter if any.</summary>
    public void Release(ServerState server)
    {
        lock (Lock)
        {
            server.Active--;
            DispatchQueuedLocked();
        }
    }

    /// <summary>Re-runs queue dispatch after an admin, health, weight or maxconn change.</summary>
    public void OnServersChanged() => OnServersChanged(null);

    /// <summary>
    /// Moves the waiters of servers that can no longer take connections back to the backend queue and
    /// dispatches what can go now. Returns HAProxy's <c>xferred</c> for <paramref name="changed"/>: the
    /// sessions taken off its queue when it became unusable (<c>pendconn_redistribute</c>), or the
    /// sessions it took from the backend queue when it became usable (<c>pendconn_grab_from_px</c>).
    /// </summary>
    public int OnServersChanged(ServerState? changed)
    {
        int transferred = 0;
        lock (Lock)
        {
            foreach (var server in _servers)
            {
                // Waiters of a server that can no longer take connections go back to the backend queue.
                if (!server.IsUsable)
                {
                    while (server.Queue.First is { } node)
                    {
                        var waiter = node.Value;
                        RemoveWaiterLocked(waiter);
                        waiter.QueuedOn = null;
                        _queue.AddLast(waiter.Node);
                        Counters.Enqueued();
                        transferred += server == changed ? 1 : 0;
                    }
                }
            }

            int grabbed = DispatchQueuedLocked(changed);
            NoteAvailabilityLocked();
            return changed is { IsUsable: true } ? grabbed : transferred;
        }
    }

    public ServerState AddServer(ServerOptions options, long timestamp)
    {
        ServerState added;
        lock (Lock)
        {
            if (FindServer(options.Name) is not null)
            {
                throw new InvalidOperationException($"Backend '{Name}' already has a server named '{options.Name}'.");
            }

            added = AddServerLocked(options, timestamp);
        }

        OnServersChanged();
        return added;
    }

    /// <summary>Ends every server's slow start (the proxy stops, or this backend left the configuration).</summary>
    public void StopWarmups()
    {
        lock (Lock)
        {
            foreach (var server in _servers)
            {
                server.StopWarmup();
            }
        }
    }

    /// <summary>Takes a server out of the backend. Its live connections continue to their end.</summary>
    public ServerState? RemoveServer(string name)
    {
        ServerState? removed;
        lock (Lock)
        {
            removed = FindServer(name);
            if (removed is null)
            {
                return null;
            }

            removed.Removed = true;
            removed.StopWarmup();
            _servers = [.. _servers.Where(s => s != removed)];
        }

        OnServersChanged();
        return removed;
    }

    /// <summary>Applies a reloaded configuration: servers matched by name keep their state and counters.</summary>
    public void Apply(BackendOptions options, long timestamp)
    {
        lock (Lock)
        {
            bool newBalancer = options.Balance != _options.Balance || options.RandomDraws != _options.RandomDraws || options.HashType != _options.HashType;
            _options = options;
            if (newBalancer)
            {
                _balancer = LoadBalancer.Create(options, _random);
            }

            var kept = new List<ServerState>();
            foreach (var serverOptions in options.Servers)
            {
                var existing = FindServer(serverOptions.Name);
                if (existing is null)
                {
                    existing = new ServerState(this, serverOptions, _nextServerId++, timestamp);
                }
                else
                {
                    if (existing.Options.Weight != serverOptions.Weight)
                    {
                        existing.Weight = serverOptions.Weight;
                    }

                    existing.Options = serverOptions;
                }

                kept.Add(existing);
            }

            foreach (var old in _servers)
            {
                if (!kept.Contains(old))
                {
                    old.Removed = true;
                    old.StopWarmup();
                }
            }

            _servers = [.. kept];
        }

        OnServersChanged();
    }

    private ServerState AddServerLocked(ServerOptions options, long timestamp)
    {
        var server = new ServerState(this, options, _nextServerId++, timestamp);
        _servers = [.. _servers, server];
        return server;
    }

    /// <summary>Fills <see cref="_candidates"/> with the servers a new connection may go to.</summary>
    /// <returns>Whether any server is usable at all (possibly full).</returns>
    private bool CollectCandidates(ServerState? avoid, bool allowServerQueue, out long queueBound)
    {
        _candidates.Clear();
        queueBound = 0;
        var servers = _servers;
        bool anyActive = false;
        foreach (var server in servers)
        {
            if (!server.Options.Backup && server.IsUsable)
            {
                anyActive = true;
                break;
            }
        }

        bool leastConn = _options.Balance == BalanceAlgorithm.LeastConnections;
        bool hashing = _options.Balance == BalanceAlgorithm.Source; // every usable server; a full one queues
        bool anyUsable = false;
        bool unboundedQueue = false;
        int usableCount = 0;
        ServerState? avoided = null;
        foreach (var server in servers)
        {
            if (server.Options.Backup == anyActive || !server.IsUsable)
            {
                continue;
            }

            anyUsable = true;
            usableCount++;
            if (server.Options.MaxQueue == 0)
            {
                unboundedQueue = true;
            }
            else
            {
                queueBound += server.Options.MaxQueue;
            }

            bool eligible = hashing
                || server.HasFreeSlot
                || (allowServerQueue && leastConn && server.Options.MaxQueue > 0
                    && server.Load < server.Options.MaxConnections + server.Options.MaxQueue);
            if (eligible)
            {
                if (server == avoid)
                {
                    avoided = server;
                }
                else
                {
                    _candidates.Add(server);
                }
            }

            // Backups: only the first usable one, unless allbackups.
            if (!anyActive && !_options.AllBackups)
            {
                break;
            }
        }

        if (_candidates.Count == 0 && avoided is not null)
        {
            _candidates.Add(avoided);
        }

        if (unboundedQueue)
        {
            queueBound = 0;
        }

        return anyUsable;
    }

    private void NoteAvailabilityLocked()
    {
        bool available = false;
        foreach (var server in _servers)
        {
            available |= server.IsUsable;
        }

        if (available == _available)
        {
            return;
        }

        long now = _time.GetTimestamp();
        _available = available;
        LastChangeTimestamp = now;
        if (!available)
        {
            DownTransitions++;
            DownSinceTimestamp = now;
        }
        else if (DownSinceTimestamp >= 0)
        {
            DowntimeTicks += now - DownSinceTimestamp;
            DownSinceTimestamp = -1;
        }
    }

    private void DispatchQueuedLocked() => DispatchQueuedLocked(null);

    /// <summary>Dispatches queued waiters; returns how many of the backend queue's went to <paramref name="counted"/>.</summary>
    private int DispatchQueuedLocked(ServerState? counted)
    {
        int toCounted = 0;
        // Server queues first: those connections were promised to that server.
        foreach (var server in _servers)
        {
            while (server.Queue.First is { } node && server.IsUsable && server.HasFreeSlot)
            {
                var waiter = node.Value;
                RemoveWaiterLocked(waiter);
                server.Active++;
                waiter.TrySetResult(server);
            }
        }

        while (_queue.First is { } head)
        {
            CollectCandidates(avoid: null, allowServerQueue: false, out _);
            if (_candidates.Count == 0)
            {
                return toCounted;
            }

            var waiter = head.Value;
            var picked = _balancer.Pick(_candidates, waiter.SourceHash);
            _candidates.Clear();
            RemoveWaiterLocked(waiter);
            if (!picked.HasFreeSlot)
            {
                // source: the hash names a full server; the connection waits in that server's queue.
                waiter.QueuedOn = picked;
                picked.Queue.AddLast(waiter.Node);
                picked.Counters.Enqueued();
                continue;
            }

            picked.Active++;
            toCounted += picked == counted ? 1 : 0;
            waiter.TrySetResult(picked);
        }

        return toCounted;
    }

    private int QueuedTotalLocked()
    {
        int total = _queue.Count;
        foreach (var server in _servers)
        {
            total += server.Queue.Count;
        }

        return total;
    }

    private void RemoveWaiterLocked(QueueWaiter waiter)
    {
        if (waiter.QueuedOn is { } server)
        {
            server.Queue.Remove(waiter.Node);
            server.Counters.Dequeued();
        }
        else
        {
            _queue.Remove(waiter.Node);
            Counters.Dequeued();
        }
    }
}
