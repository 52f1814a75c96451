using System.Net;
using System.Net.Sockets;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Ha.Net.Vrrp.Testing;

/// <summary>
/// A simulated LAN segment for VRRP inside one process: every advert a node sends reaches every other attached node
/// (multicast) or the node with the destination address (unicast), with TTL 255, after <see cref="Delay"/>, unless
/// lost (<see cref="LossRate"/>, seeded) or cut off by a <see cref="Partition(IReadOnlyList{IPAddress}[])"/>. The
/// routers on it are the real ones (<see cref="Hosting.VirtualRouter.Create"/>), so elections, timers and leadership
/// tokens behave as on a wire.
/// </summary>
/// <remarks>
/// <para>By default the network runs on a <see cref="FakeTimeProvider"/>: time moves only in <see cref="AdvanceAsync"/>,
/// which also waits for every router to handle what each step made due, so a test of minutes of failover runs in
/// well under a second and replays exactly. Pass <see cref="TimeProvider.System"/> to run in real time (a demo).</para>
/// <para>Nodes are added with <see cref="AddNode"/> (router, transport and binder made here) or, for code that composes
/// its own routers (dependency injection, own binders), attached with <see cref="Attach"/> /
/// <see cref="CreateTransportFactory"/> or <c>services.AddInMemoryVrrp(network, address)</c>.</para>
/// </remarks>
public sealed class InMemoryVrrpNetwork : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly List<InMemoryVrrpTransport> _transports = [];
    private readonly List<InMemoryVrrpNode> _nodes = [];
    private readonly List<InMemoryVrrpFrame> _traffic = [];
    private readonly Random _random;
    private Dictionary<IPAddress, int>? _partition;
    private long _sent;

    /// <summary>Creates a network.</summary>
    /// <param name="timeProvider">The clock of every router on it; a new <see cref="FakeTimeProvider"/> when <see langword="null"/>.</param>
    /// <param name="seed">Seeds the loss draw, so a lossy run replays.</param>
    public InMemoryVrrpNetwork(TimeProvider? timeProvider = null, int seed = 1)
    {
        TimeProvider = timeProvider ?? new FakeTimeProvider();
        _random = new Random(seed);
    }

    /// <summary>The clock of the routers on this network.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>One-way delivery delay (zero by default: delivered during the send).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Probability (0–1) that one delivery to one receiver is lost.</summary>
    public double LossRate { get; set; }

    /// <summary>
    /// Whether every advert sent from now on is kept in <see cref="Traffic"/> (off by default, so a long run does not
    /// grow without bound).
    /// </summary>
    public bool RecordTraffic { get; set; }

    /// <summary>The adverts sent while <see cref="RecordTraffic"/> was on, in order (lost ones included: this is what was sent).</summary>
    public IReadOnlyList<InMemoryVrrpFrame> Traffic
    {
        get
        {
            lock (_gate)
            {
                return [.. _traffic];
            }
        }
    }

    /// <summary>How many adverts were sent on the segment so far.</summary>
    public long SentCount => Interlocked.Read(ref _sent);

    /// <summary>Whether a partition is in place.</summary>
    public bool IsPartitioned
    {
        get
        {
            lock (_gate)
            {
                return _partition is not null;
            }
        }
    }

    /// <summary>The nodes added with <see cref="AddNode"/>.</summary>
    public IReadOnlyList<InMemoryVrrpNode> Nodes
    {
        get
        {
            lock (_gate)
            {
                return [.. _nodes];
            }
        }
    }

    /// <summary>Adds a machine with a router of <paramref name="options"/> (not started: call <see cref="InMemoryVrrpNode.StartAsync"/>).</summary>
    /// <param name="address">The node's own address on the segment (of the instance's address family).</param>
    /// <param name="options">The instance; validated as <see cref="Hosting.VirtualRouter.Create"/> does.</param>
    /// <param name="loggerFactory">Where the router logs, or none.</param>
    /// <exception cref="VrrpConfigurationException">The options have errors.</exception>
    public InMemoryVrrpNode AddNode(IPAddress address, VirtualRouterOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(options);
        var node = new InMemoryVrrpNode(this, address, options, loggerFactory);
        lock (_gate)
        {
            _nodes.Add(node);
        }

        return node;
    }

    /// <summary>Attaches a transport with local address <paramref name="localAddress"/>; the router given it owns it.</summary>
    /// <param name="localAddress">The node's own address on the segment.</param>
    public InMemoryVrrpTransport Attach(IPAddress localAddress)
    {
        ArgumentNullException.ThrowIfNull(localAddress);
        var transport = new InMemoryVrrpTransport(this, localAddress);
        lock (_gate)
        {
            _transports.Add(transport);
        }

        return transport;
    }

    /// <summary>A transport factory for <c>services.AddVrrp(...)</c>: each instance gets a transport at <paramref name="localAddress"/>.</summary>
    /// <param name="localAddress">The node's own address on the segment.</param>
    public IVrrpTransportFactory CreateTransportFactory(IPAddress localAddress)
    {
        ArgumentNullException.ThrowIfNull(localAddress);
        return new TransportFactory(this, localAddress);
    }

    /// <summary>Splits the segment: a node hears only the nodes of its own group; a node in no group hears nobody.</summary>
    /// <param name="groups">The groups, by node address.</param>
    public void Partition(params IReadOnlyList<IPAddress>[] groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var map = new Dictionary<IPAddress, int>();
        for (var g = 0; g < groups.Length; g++)
        {
            foreach (var address in groups[g])
            {
                map[address] = g;
            }
        }

        lock (_gate)
        {
            _partition = map;
        }
    }

    /// <summary>Splits the segment by nodes (see <see cref="Partition(IReadOnlyList{IPAddress}[])"/>).</summary>
    /// <param name="groups">The groups of nodes.</param>
    public void Partition(params IReadOnlyList<InMemoryVrrpNode>[] groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        Partition(groups.Select(g => (IReadOnlyList<IPAddress>)[.. g.Select(n => n.Address)]).ToArray());
    }

    /// <summary>Ends the partition: every node hears every node again.</summary>
    public void Heal()
    {
        lock (_gate)
        {
            _partition = null;
        }
    }

    /// <summary>
    /// Moves the <see cref="FakeTimeProvider"/> forward by <paramref name="duration"/> in steps of at most
    /// <paramref name="step"/> (10 ms by default), letting every router handle what each step made due (and the
    /// adverts that caused) before the next. Timers fire at their due time, to within one step.
    /// </summary>
    /// <param name="duration">How far to move the clock.</param>
    /// <param name="step">The largest step; smaller is more precise and slower.</param>
    /// <exception cref="InvalidOperationException">The network runs on another clock.</exception>
    public async Task AdvanceAsync(TimeSpan duration, TimeSpan? step = null)
    {
        if (TimeProvider is not FakeTimeProvider fake)
        {
            throw new InvalidOperationException("AdvanceAsync needs the network to run on a FakeTimeProvider (the default); this one runs on " + TimeProvider.GetType().Name + ".");
        }

        var size = step ?? TimeSpan.FromMilliseconds(10);
        if (size <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "The step must be positive.");
        }

        await SettleAsync().ConfigureAwait(false);
        var left = duration;
        while (left > TimeSpan.Zero)
        {
            var next = left < size ? left : size;
            fake.Advance(next);
            left -= next;
            await SettleAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits until every router on the network has handled everything queued to it, including the adverts that
    /// handling sent (delivered at once when <see cref="Delay"/> is zero). Bounded: gives up after 30 s of real time.
    /// </summary>
    /// <exception cref="TimeoutException">The routers did not settle (a router that never returns from a handler).</exception>
    public async Task SettleAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var sent = SentCount;
            await WaitIdleAsync(deadline).ConfigureAwait(false);
            foreach (var transport in Live())
            {
                if (transport.Flush is { } flush)
                {
                    await flush().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                }
            }

            if (SentCount == sent && Live().TrueForAll(t => t.IsIdle))
            {
                return;
            }
        }

        throw new TimeoutException("The in-memory VRRP network did not settle within 30 s.");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal void Detach(InMemoryVrrpTransport transport)
    {
        lock (_gate)
        {
            _transports.Remove(transport);
        }
    }

    internal void Send(InMemoryVrrpTransport from, byte[] message, IPAddress destination)
    {
        Interlocked.Increment(ref _sent);
        var multicast = destination.IsIPv6Multicast
            || (destination.AddressFamily == AddressFamily.InterNetwork && (destination.GetAddressBytes()[0] & 0xF0) == 0xE0);
        List<InMemoryVrrpTransport> targets;
        lock (_gate)
        {
            if (RecordTraffic)
            {
                _traffic.Add(new InMemoryVrrpFrame(TimeProvider.GetUtcNow(), from.LocalAddress, destination, message));
            }

            targets = _transports.FindAll(t => t != from && !t.IsClosed && !t.IsCrashed
                && (multicast || t.LocalAddress.Equals(destination))
                && Reachable(from.LocalAddress, t.LocalAddress)
                && (LossRate <= 0 || _random.NextDouble() >= LossRate));
        }

        foreach (var target in targets)
        {
            if (Delay <= TimeSpan.Zero)
            {
                target.Deliver(message, from.LocalAddress, destination);
                continue;
            }

            ITimer? timer = null;
            timer = TimeProvider.CreateTimer(
                _ =>
                {
                    target.Deliver(message, from.LocalAddress, destination);
                    timer?.Dispose();
                },
                null,
                Timeout.InfiniteTimeSpan,
                Timeout.InfiniteTimeSpan);
            timer.Change(Delay, Timeout.InfiniteTimeSpan);
        }
    }

    private bool Reachable(IPAddress a, IPAddress b) =>
        _partition is null
        || (_partition.TryGetValue(a, out var ga) && _partition.TryGetValue(b, out var gb) && ga == gb);

    private List<InMemoryVrrpTransport> Live()
    {
        lock (_gate)
        {
            return [.. _transports];
        }
    }

    private async Task WaitIdleAsync(DateTime deadline)
    {
        for (var i = 0; DateTime.UtcNow < deadline; i++)
        {
            if (Live().TrueForAll(t => t.IsIdle))
            {
                return;
            }

            if (i < 50)
            {
                await Task.Yield();
            }
            else
            {
                await Task.Delay(1).ConfigureAwait(false);
            }
        }
    }

    private sealed class TransportFactory(InMemoryVrrpNetwork network, IPAddress localAddress) : IVrrpTransportFactory
    {
        public IVrrpTransport Create(VirtualRouterOptions options) => network.Attach(localAddress);
    }
}
