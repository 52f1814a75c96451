using System.Net;
using System.Threading.Channels;
using Ha.Net.Vrrp.Transport;

namespace Ha.Net.Testing.Vrrp;

/// <summary>
/// An in-memory link for VRRP hosts: multicast to every other attached node, unicast to one, with seeded loss,
/// a fixed delay (on the given <see cref="TimeProvider"/>), and partitions.
/// </summary>
public sealed class VrrpSegment
{
    private readonly object _gate = new();
    private readonly List<VrrpSegmentTransport> _nodes = [];
    private readonly Random _random;
    private readonly TimeProvider _time;
    private readonly List<ITimer> _timers = [];
    private Dictionary<IPAddress, int>? _partition;
    private long _sent;

    public VrrpSegment(TimeProvider time, int seed = 1)
    {
        _time = time;
        _random = new Random(seed);
    }

    /// <summary>One-way delivery delay.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Probability that a delivery is lost (per receiver).</summary>
    public double LossRate { get; set; }

    /// <summary>Every message sent so far, in order.</summary>
    public List<(IPAddress Source, IPAddress Destination, byte[] Message)> Log { get; } = [];

    public long SentCount => Interlocked.Read(ref _sent);

    public VrrpSegmentTransport Attach(IPAddress local)
    {
        var t = new VrrpSegmentTransport(this, local);
        lock (_gate)
        {
            _nodes.Add(t);
        }

        return t;
    }

    /// <summary>Splits the segment: nodes only hear nodes of their own group.</summary>
    public void Partition(params IPAddress[][] groups)
    {
        lock (_gate)
        {
            _partition = [];
            for (var i = 0; i < groups.Length; i++)
            {
                foreach (var a in groups[i])
                {
                    _partition[a] = i;
                }
            }
        }
    }

    public void Heal()
    {
        lock (_gate)
        {
            _partition = null;
        }
    }

    public bool AllIdle
    {
        get
        {
            lock (_gate)
            {
                return _nodes.TrueForAll(n => n.IsIdle || n.IsClosed) && _timers.Count == 0;
            }
        }
    }

    internal void Send(VrrpSegmentTransport from, byte[] message, IPAddress destination)
    {
        Interlocked.Increment(ref _sent);
        List<VrrpSegmentTransport> targets;
        lock (_gate)
        {
            Log.Add((from.LocalAddress, destination, message));
            var multicast = destination.IsIPv6Multicast || (destination.GetAddressBytes()[0] & 0xF0) == 0xE0;
            targets = _nodes.FindAll(n => n != from && !n.IsClosed && (multicast || n.LocalAddress.Equals(destination)) && Reachable(from, n) && _random.NextDouble() >= LossRate);
        }

        foreach (var target in targets)
        {
            if (Delay <= TimeSpan.Zero)
            {
                target.Deliver(message, from.LocalAddress, destination, 255);
            }
            else
            {
                ITimer? timer = null;
                lock (_gate)
                {
                    timer = _time.CreateTimer(_ =>
                    {
                        target.Deliver(message, from.LocalAddress, destination, 255);
                        lock (_gate)
                        {
                            _timers.Remove(timer!);
                        }

                        timer!.Dispose();
                    }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                    _timers.Add(timer);
                }

                timer.Change(Delay, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private bool Reachable(VrrpSegmentTransport a, VrrpSegmentTransport b) =>
        _partition is null
        || (_partition.TryGetValue(a.LocalAddress, out var ga) && _partition.TryGetValue(b.LocalAddress, out var gb) && ga == gb);
}

/// <summary>One node's transport on a <see cref="VrrpSegment"/>.</summary>
public sealed class VrrpSegmentTransport : IVrrpTransport
{
    private readonly VrrpSegment _segment;
    private readonly Channel<(byte[] Message, IPAddress Source, IPAddress Destination, byte Ttl)> _inbox =
        Channel.CreateUnbounded<(byte[], IPAddress, IPAddress, byte)>();
    private volatile bool _waiting;
    private volatile bool _abandoned;

    // Messages delivered and not yet followed by the host's next ReceiveAsync. A message handed to a waiting
    // reader leaves the channel at once, before the host has seen it; only when the host asks for the next one
    // has it finished with (and posted) this one.
    private int _pending;
    private bool _handedOut;

    internal VrrpSegmentTransport(VrrpSegment segment, IPAddress local)
    {
        _segment = segment;
        LocalAddress = local;
    }

    public IPAddress LocalAddress { get; }

    /// <summary>Makes sends throw (a dead link).</summary>
    public bool FailSends { get; set; }

    public bool IsClosed { get; private set; }

    /// <summary>Nothing queued and the host is waiting in <see cref="ReceiveAsync"/>.</summary>
    public bool IsIdle => _abandoned || (_waiting && Volatile.Read(ref _pending) == 0);

    public ValueTask SendAsync(ReadOnlyMemory<byte> message, IPAddress destination, CancellationToken cancellationToken)
    {
        if (FailSends)
        {
            throw new IOException("link down (simulated)");
        }

        _segment.Send(this, message.ToArray(), destination);
        return ValueTask.CompletedTask;
    }

    public async ValueTask<VrrpReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        _abandoned = false;
        if (_handedOut)
        {
            _handedOut = false;
            Interlocked.Decrement(ref _pending);
        }

        if (!_inbox.Reader.TryRead(out var item))
        {
            _waiting = true;
            try
            {
                item = await _inbox.Reader.ReadAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // The host stopped receiving: messages to it will never be read, so it counts as idle.
                _abandoned = true;
                throw;
            }
            finally
            {
                _waiting = false;
            }
        }

        _handedOut = true;
        item.Message.CopyTo(buffer);
        return new VrrpReceiveResult(item.Message.Length, item.Source, item.Destination, item.Ttl);
    }

    /// <summary>Queues a message as if it arrived from the wire (tests inject foreign or broken packets).</summary>
    public void Deliver(byte[] message, IPAddress source, IPAddress destination, byte ttl)
    {
        Interlocked.Increment(ref _pending);
        if (!_inbox.Writer.TryWrite((message, source, destination, ttl)))
        {
            Interlocked.Decrement(ref _pending); // closed: it will never be read
        }
    }

    public ValueTask DisposeAsync()
    {
        IsClosed = true;
        _inbox.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }
}
