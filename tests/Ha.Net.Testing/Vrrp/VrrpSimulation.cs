using System.Net;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Election;

namespace Ha.Net.Testing.Vrrp;

/// <summary>One state change seen in a simulation.</summary>
public readonly record struct SimTransition(TimeSpan Time, int Node, VirtualRouterState From, VirtualRouterState To, VirtualRouterTransitionReason Reason);

/// <summary>A node adding (true) or losing (false) the virtual addresses; a crash loses them too.</summary>
public readonly record struct SimBinding(TimeSpan Time, int Node, bool Bound);

/// <summary>
/// A discrete-event simulation of VRRP routers: N election machines driven synchronously over a simulated
/// segment (fixed link delay, seeded loss, partitions), with crashes, restarts, graceful stops and tracked-object
/// changes scheduled at given times. No tasks and no real time: a scenario of minutes runs in microseconds and
/// replays exactly from its seed.
/// </summary>
public sealed class VrrpSimulation
{
    private readonly PriorityQueue<Event, (long Ticks, long Seq)> _queue = new();
    private readonly List<Node> _nodes = [];
    private readonly Random _random;
    private readonly List<VrrpAction> _actions = [];
    private long _seq;
    private int[]? _partition;

    public VrrpSimulation(int seed) => _random = new Random(seed);

    /// <summary>One-way link delay.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Probability that one delivery is lost.</summary>
    public double LossRate { get; set; }

    public TimeSpan Now { get; private set; }

    public List<SimTransition> Transitions { get; } = [];

    public List<SimBinding> Bindings { get; } = [];

    /// <summary>Every advert sent: time, node, priority.</summary>
    public List<(TimeSpan Time, int Node, byte Priority)> Sent { get; } = [];

    public int Count => _nodes.Count;

    /// <summary>Adds a node (not started).</summary>
    public int AddNode(IPAddress address, VirtualRouterOptions options)
    {
        var settings = VirtualRouterSettings.Create(options, out var issues)
            ?? throw new ArgumentException(string.Join("; ", issues), nameof(options));
        _nodes.Add(new Node(address, settings));
        return _nodes.Count - 1;
    }

    public IPAddress Address(int node) => _nodes[node].Address;
    public bool IsAlive(int node) => _nodes[node].Machine is not null;
    public bool IsBound(int node) => _nodes[node].Bound;
    public VirtualRouterState State(int node) => _nodes[node].Machine?.State ?? VirtualRouterState.Initialize;
    public int BasePriority(int node) => _nodes[node].Settings.BasePriority;
    public int EffectivePriority(int node) => _nodes[node].Machine?.EffectivePriority ?? 0;
    public bool Preempt(int node) => _nodes[node].Settings.Preempt;
    public TimeSpan AdvertisementInterval(int node) => _nodes[node].Settings.AdvertisementInterval;

    /// <summary>Master_Down_Interval of a running node, from its effective priority and (v3) learned interval.</summary>
    public TimeSpan MasterDownInterval(int node) => _nodes[node].Machine!.MasterDownInterval;

    public TimeSpan Skew(int node) => _nodes[node].Machine!.Skew;

    public IEnumerable<int> Masters => Enumerable.Range(0, _nodes.Count).Where(n => State(n) == VirtualRouterState.Master);

    /// <summary>Runs <paramref name="action"/> at <paramref name="time"/>, in order with the traffic.</summary>
    public void At(TimeSpan time, Action action) => Enqueue(time, new Event(EventKind.Control, -1, 0, default, 0, action));

    /// <summary>Starts (or restarts) a node with a fresh machine.</summary>
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
    public void Crash(int node)
    {
        var n = _nodes[node];
        if (n.Machine is null)
        {
            return;
        }

        if (n.Machine.State != VirtualRouterState.Initialize)
        {
            Transitions.Add(new SimTransition(Now, node, n.Machine.State, VirtualRouterState.Initialize, VirtualRouterTransitionReason.Shutdown));
        }

        n.Machine = null;
        n.Generation++;
        SetBound(node, false);
    }

    /// <summary>Stops a node gracefully (a master sends priority 0 and removes its addresses).</summary>
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

    public void SetTrackedObject(int node, string name, bool isUp)
    {
        if (_nodes[node].Machine is not null)
        {
            Handle(node, VrrpInput.TrackedObject(name, isUp));
        }
    }

    /// <summary>Nodes only hear nodes of the same group (by node index).</summary>
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

    public void Heal() => _partition = null;

    /// <summary>Processes every event up to and including <paramref name="time"/>.</summary>
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
                    Transitions.Add(new SimTransition(Now, node, a.From, a.To, a.Reason));
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
        Sent.Add((Now, from, priority));
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
            Bindings.Add(new SimBinding(Now, node, bound));
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
