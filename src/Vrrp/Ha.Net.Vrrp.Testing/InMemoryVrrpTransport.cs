using System.Net;
using System.Threading.Channels;
using Ha.Net.Vrrp.Transport;

namespace Ha.Net.Vrrp.Testing;

/// <summary>One node's transport on an <see cref="InMemoryVrrpNetwork"/> (TTL 255, as on a real segment).</summary>
/// <remarks>Create it with <see cref="InMemoryVrrpNetwork.Attach"/>; the router that uses it owns and disposes it.</remarks>
public sealed class InMemoryVrrpTransport : IVrrpTransport, IHostedTransport
{
    private readonly InMemoryVrrpNetwork _network;
    private readonly Channel<(byte[] Message, IPAddress Source, IPAddress Destination, byte Ttl)> _inbox =
        Channel.CreateUnbounded<(byte[], IPAddress, IPAddress, byte)>();
    private volatile bool _waiting;
    private volatile bool _abandoned;
    private volatile bool _closed;
    private volatile bool _crashed;

    // Messages delivered and not yet followed by the router's next ReceiveAsync: a message handed to a waiting reader
    // leaves the channel at once, before the router has queued it; only when it asks for the next one is it done.
    private int _pending;
    private bool _handedOut;

    internal InMemoryVrrpTransport(InMemoryVrrpNetwork network, IPAddress localAddress)
    {
        _network = network;
        LocalAddress = localAddress;
    }

    /// <inheritdoc />
    public IPAddress LocalAddress { get; }

    /// <summary>Whether the transport was disposed.</summary>
    public bool IsClosed => _closed;

    /// <summary>Whether <see cref="Crash"/> cut it off the segment.</summary>
    public bool IsCrashed => _crashed;

    /// <summary>Makes sends throw, as on a link that is down (the router counts and logs the failures).</summary>
    public bool FailSends { get; set; }

    internal Func<Task>? Flush { get; private set; }

    private Func<bool>? HostRunning { get; set; }

    /// <summary>
    /// Nothing delivered is waiting for a running router to take it. A transport no router reads (not hosted, or its
    /// router not started or stopped) counts as idle: what it holds waits for a reader that is not there.
    /// </summary>
    internal bool IsIdle =>
        _closed || _crashed || _abandoned || HostRunning is not { } running || !running()
        || (_waiting && Volatile.Read(ref _pending) == 0);

    /// <summary>Cuts the node off the segment at once, as a crash does: nothing it sends leaves, nothing reaches it.</summary>
    public void Crash() => _crashed = true;

    /// <inheritdoc />
    public ValueTask SendAsync(ReadOnlyMemory<byte> message, IPAddress destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (FailSends)
        {
            throw new IOException($"{LocalAddress}: the link is down (simulated).");
        }

        if (!_crashed && !_closed)
        {
            _network.Send(this, message.ToArray(), destination);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
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
                item = await _inbox.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _abandoned = true; // the router stopped receiving: what is sent to it is never read
                throw;
            }
            catch (ChannelClosedException)
            {
                _abandoned = true;
                throw new ObjectDisposedException(nameof(InMemoryVrrpTransport));
            }
            finally
            {
                _waiting = false;
            }
        }

        _handedOut = true;
        var n = Math.Min(item.Message.Length, buffer.Length);
        item.Message.AsSpan(0, n).CopyTo(buffer.Span);
        return new VrrpReceiveResult(n, item.Source, item.Destination, item.Ttl);
    }

    /// <summary>Queues a message as if it arrived from the wire (a test's foreign or broken packet).</summary>
    /// <param name="message">The VRRP message (no IP header).</param>
    /// <param name="source">The IP source address.</param>
    /// <param name="destination">The IP destination address.</param>
    /// <param name="timeToLive">The IP TTL / hop limit.</param>
    public void Deliver(byte[] message, IPAddress source, IPAddress destination, byte timeToLive = 255)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (_crashed)
        {
            return;
        }

        Interlocked.Increment(ref _pending);
        if (!_inbox.Writer.TryWrite((message, source, destination, timeToLive)))
        {
            Interlocked.Decrement(ref _pending); // closed: never read
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _closed = true;
        _inbox.Writer.TryComplete();
        _network.Detach(this);
        return ValueTask.CompletedTask;
    }

    void IHostedTransport.OnHosted(Func<Task> flush, Func<bool> isRunning)
    {
        Flush = flush;
        HostRunning = isRunning;
    }
}
