using System.Net;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Election;

namespace Ha.Net.Vrrp.Testing;

/// <summary>One state change seen in a <see cref="VrrpElectionSimulation"/>.</summary>
/// <param name="Time">Simulated time of the change.</param>
/// <param name="Node">The node's index (from <see cref="VrrpElectionSimulation.AddNode"/>).</param>
/// <param name="From">The state it left.</param>
/// <param name="To">The state it entered.</param>
/// <param name="Reason">Why, as the engine reports it.</param>
public readonly record struct SimulatedTransition(TimeSpan Time, int Node, VirtualRouterState From, VirtualRouterState To, VirtualRouterTransitionReason Reason);

/// <summary>A node adding (<paramref name="Bound"/> true) or losing (false) its virtual addresses; a crash loses them too.</summary>
/// <param name="Time">Simulated time of the change.</param>
/// <param name="Node">The node's index.</param>
/// <param name="Bound">Whether the addresses are now bound.</param>
public readonly record struct SimulatedBinding(TimeSpan Time, int Node, bool Bound);

/// <summary>One advertisement a node sent.</summary>
/// <param name="Time">Simulated send time.</param>
/// <param name="Node">The sending node's index.</param>
/// <param name="Priority">The priority it carried (0: the sender is leaving MASTER gracefully).</param>
public readonly record struct SimulatedAdvert(TimeSpan Time, int Node, byte Priority);

/// <summary>
/// A discrete-event simulation of VRRP routers: N election machines driven synchronously over a simulated
/// segment (fixed link delay, seeded loss, partitions), with crashes, restarts, graceful stops and tracked-object
/// changes scheduled at given times. No tasks and no real time: a scenario of minutes runs in microseconds and
/// replays exactly from its seed.
/// </summary>
/// <remarks>
/// It runs the same election machine as <see cref="Ha.Net.Vrrp.Hosting.VirtualRouter"/> (keepalived's timers to the
/// microsecond), without the host, the seams or logging: use it to explore a layout's behaviour over thousands of
/// generated scenarios (who is master when, for how long two masters overlap, how many adverts go out). To test
/// code that embeds real routers (leadership tokens, hosted services), use <see cref="InMemoryVrrpNetwork"/>.
/// </remarks>
public sealed class VrrpElectionSimulation
{
    private readonly PriorityQueue<Event, (long Ticks, long Seq)> _queue = new();
    private readonly List<Node> _nodes = [];
    private readonly Random _random;
    private readonly List<VrrpAction> _actions = [];
    private long _seq;
    private int[]? _partition;

    /// <summary>Creates an empty segment whose losses are drawn from <paramref name="seed"/>.</summary>
    /// <param name="seed">Seed of the loss draws: the same seed and schedule replay the same run.</param>
    public VrrpElectionSimulation(int seed) => _random = new Random(seed);

    /// <summary>One-way link delay.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Probability that one delivery is lost.</summary>
    public double LossRate { get; set; }

    /// <summary>The simulated time of the event being processed (or the last one processed).</summary>
    public TimeSpan Now { get; private set; }

    /// <summary>Every state change, in order.</summary>
    public List<SimulatedTransition> Transitions { get; } = [];

    /// <summary>Every change of a node's addresses, in order.</summary>
    public List<SimulatedBinding> Bindings { get; } = [];

    /// <summary>Every advert sent, in order.</summary>
    public List<SimulatedAdvert> Sent { get; } = [];

    /// <summary>The number of nodes added.</summary>
    public int Count => _nodes.Count;

    /// <summary>Adds a node (not started).</summary>
    /// <param name="address">The node's primary address (the advert source; ties break to the higher one).</param>
    /// <param name="options">The node's instance options, validated as the engine does.</param>
    /// <returns>The node's index.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public int AddNode(IPAddress address, VirtualRouterOptions options)
    {
        var settings = VirtualRouterSettings.Create(options, out var issues)
            ?? throw new ArgumentException(string.Join("; ", issues), nameof(options));
        _nodes.Add(new Node(address, settings));
        return _nodes.Count - 1;
    }

    /// <summary>The node's primary address.</summary>
    /// <param name="node">The node's index.</param>
    /// <returns>The address given to <see cref="AddNode"/>.</returns>
    public IPAddress Address(int node) => _nodes[node].Address;

    /// <summary>Whether the node is running (started and neither crashed nor shut down since).</summary>
    /// <param name="node">The node's index.</param>
    /// <returns><see langword="true"/> while it runs.</returns>
    public bool IsAlive(int node) => _nodes[node].Machine is not null;

    /// <summary>Whether the node holds its virtual addresses.</summary>
    /// <param name="node">The node's index.</param>
    /// <returns><see langword="true"/> while they are bound.</returns>
    public bool IsBound(int node) => _nodes[node].Bound;

    /// <summary>The node's state (<see cref="VirtualRouterState.Initialize"/> when it is not running).</summary>
    /// <param name="node">The node's index.</param>
    /// <returns>Its state.</returns>
    public VirtualRouterState State(int node) => _nodes[node].Machine?.State ?? VirtualRouterState.Initialize;

    /// <summary>The configured priority.</summary>
    /// <param name="node">The node's index.</param>
    /// <returns>Its priority before tracking.</returns>
    public int BasePriority(int node) => _nodes[node].Settings.BasePriority;

    /// <summary>The priority after tracked objects (0 when the node is not running).</summary>
    /// <param name="node">The node's index.</param>
    /// <returns>Its effective priority.</returns>
    public int EffectivePriority(int node) => _nodes[node].Machine?.EffectivePriority ?? 0;

    /// <summary>Whether the node preempts a lower-priority master.</summary>
    /// <param name="node">The node's index.</param>
    /// <returns>Its preempt setting.</returns>
    public bool Preempt(int node) => _nodes[node].Settings.Preempt;

    /// <summary>The configured advertisement interval.</summary>
    /// <param name="node">The node's index.</param>
    /// <returns>Its interval.</returns>
    public TimeSpan AdvertisementInterval(int node) => _nodes[node].Settings.AdvertisementInterval;

    /// <summary>Master_Down_Interval of a running node, from its effective priority and (v3) learned interval.</summary>
    /// <param name="node">The node's index (running).</param>
    /// <returns>The interval, to the microsecond as keepalived computes it.</returns>
    public TimeSpan MasterDownInterval(int node) => _nodes[node].Machine!.MasterDownInterval;

    /// <summary>Skew_Time of a running node.</summary>
    /// <param name="node">The node's index (running).</param>
    /// <returns>The skew, to the microsecond as keepalived computes it.</returns>
    public TimeSpan Skew(int node) => _nodes[node].Machine!.Skew;

    /// <summary>The indexes of the nodes in MASTER now.</summary>
    public IEnumerable<int> Masters => Enumerable.Range(0, _nodes.Count).Where(n => State(n) == VirtualRouterState.Master);

    /// <summary>Runs <paramref name="action"/> at <paramref name="time"/>, in order with the traffic.</summary>
    /// <param name="time">Simulated time.</param>
    /// <param name="action">What to do then (start, crash, partition...).</param>
    public void At(TimeSpan time, Action action) => Enqueue(time, new Event(EventKind.Control, -1, 0, default, 0, action));

    /// <summary>Starts (or restarts) a node with a fresh machine.</summary>
    /// <param name="node">The node's index.</param>
    public void Start(int node)
    {
        var n = _nodes[node];
        if (n.Machine is not null)
        {
            return;
        }

        n.Machine = new VirtualRouterMachine(n.Settings, n.Address);
        n.Generation++;
        Handle(node, VrrpInput.Startup());
    }

    /// <summary>Kills a node: no priority-0 advert, and its addresses vanish with it.</summary>
    /// <param name="node">The node's index.</param>
    public void Crash(int node)
    {
        var n = _nodes[node];
        if (n.Machine is null)
        {
            return;
        }

        if (n.Machine.State != VirtualRouterState.Initialize)
        {
            Transitions.Add(new SimulatedTransition(Now, node, n.Machine.State, VirtualRouterState.Initialize, VirtualRouterTransitionReason.Shutdown));
        }

        n.Machine = null;
        n.Generation++;
        SetBound(node, false);
    }

    /// <summary>Stops a node gracefully (a master sends priority 0 and removes its addresses).</summary>
    /// <param name="node">The node's index.</param>
    public void Shutdown(int node)
    {
        if (_nodes[node].Machine is null)
        {
            return;
        }

        Handle(node, VrrpInput.Shutdown());
        _nodes[node].Machine = null;
        _nodes[node].Generation++;
    }

    /// <summary>Reports a tracked object's state to a running node (its weight moves the priority, or FAULT).</summary>
    /// <param name="node">The node's index.</param>
    /// <param name="name">The tracked object's name, as in the node's options.</param>
    /// <param name="isUp">Its new state.</param>
    public void SetTrackedObject(int node, string name, bool isUp)
    {
        if (_nodes[node].Machine is not null)
        {
            Handle(node, VrrpInput.TrackedObject(name, isUp));
        }
    }

    /// <summary>Splits the segment: nodes only hear nodes of the same group; a node in no group hears nobody.</summary>
    /// <param name="groups">Groups of node indexes.</param>
    public void Partition(IReadOnlyList<IReadOnlyList<int>> groups)
    {
        _partition = new int[_nodes.Count];
        Array.Fill(_partition, -1);
        for (var g = 0; g < groups.Count; g++)
        {
            foreach (var node in groups[g])
            {
                _partition[node] = g;
            }
        }
    }

    /// <summary>Joins the segment again.</summary>
    public void Heal() => _partition = null;

    /// <summary>Processes every event up to and including <paramref name="time"/>.</summary>
    /// <param name="time">Simulated time to run to.</param>
    public void RunUntil(TimeSpan time)
    {
        while (_queue.TryPeek(out _, out var key) && key.Ticks <= time.Ticks)
        {
            var e = _queue.Dequeue();
            Now = TimeSpan.FromTicks(key.Ticks);
            switch (e.Kind)
            {
                case EventKind.Control:
                    e.Control!();
                    break;
                case EventKind.Deadline when _nodes[e.Node].Machine is not null && _nodes[e.Node].Generation == e.Generation:
                    _nodes[e.Node].ScheduledDeadline = null;
                    Handle(e.Node, VrrpInput.DeadlineReached());
                    break;
                case EventKind.Deliver when _nodes[e.Node].Machine is not null:
                    Handle(e.Node, VrrpInput.Advertisement(e.Priority, e.Interval, _nodes[e.From].Address));
                    break;
            }
        }

        Now = time;
    }

    private void Handle(int node, VrrpInput input)
    {
        var n = _nodes[node];
        _actions.Clear();
        n.Machine!.Handle(input, Now, _actions);
        foreach (var a in _actions)
        {
            switch (a.Kind)
            {
                case VrrpActionKind.StateChanged:
                    Transitions.Add(new SimulatedTransition(Now, node, a.From, a.To, a.Reason));
                    break;
                case VrrpActionKind.BindAddresses:
                    SetBound(node, true);
                    break;
                case VrrpActionKind.UnbindAddresses:
                    SetBound(node, false);
                    break;
                case VrrpActionKind.SendAdvertisement:
                    Send(node, a.Priority);
                    break;
            }
        }

        var next = n.Machine.NextDeadline;
        if (next is { } due && n.ScheduledDeadline != due)
        {
            n.ScheduledDeadline = due;
            n.Generation++;
            Enqueue(due, new Event(EventKind.Deadline, node, n.Generation, default, 0, null));
        }
        else if (next is null && n.ScheduledDeadline is not null)
        {
            n.ScheduledDeadline = null;
            n.Generation++;
        }
    }

    private void Send(int from, byte priority)
    {
        Sent.Add(new SimulatedAdvert(Now, from, priority));
        var interval = _nodes[from].Settings.AdvertisementInterval;
        for (var to = 0; to < _nodes.Count; to++)
        {
            if (to == from || (_partition is not null && (_partition[from] < 0 || _partition[from] != _partition[to])))
            {
                continue;
            }

            if (LossRate > 0 && _random.NextDouble() < LossRate)
            {
                continue;
            }

            Enqueue(Now + Delay, new Event(EventKind.Deliver, to, 0, interval, priority, null) { From = from });
        }
    }

    private void SetBound(int node, bool bound)
    {
        if (_nodes[node].Bound != bound)
        {
            _nodes[node].Bound = bound;
            Bindings.Add(new SimulatedBinding(Now, node, bound));
        }
    }

    private void Enqueue(TimeSpan time, Event e) => _queue.Enqueue(e, (time.Ticks, _seq++));

    private enum EventKind
    {
        Control,
        Deadline,
        Deliver,
    }

    private sealed record Event(EventKind Kind, int Node, long Generation, TimeSpan Interval, byte Priority, Action? Control)
    {
        public int From { get; init; }
    }

    private sealed class Node(IPAddress address, VirtualRouterSettings settings)
    {
        public IPAddress Address { get; } = address;
        public VirtualRouterSettings Settings { get; } = settings;
        public VirtualRouterMachine? Machine { get; set; }
        public long Generation { get; set; }
        public TimeSpan? ScheduledDeadline { get; set; }
        public bool Bound { get; set; }
    }
}
