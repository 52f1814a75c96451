using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Transport;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.EmbeddedFailover;

/// <summary>
/// A simulated LAN inside one process: every VRRP message sent by one attached node reaches every other node
/// (multicast) or the node with the destination address (unicast), with TTL 255. Lets the sample and its tests run
/// real elections without root, raw sockets or network namespaces.
/// </summary>
public sealed class InMemoryVrrpNetwork
{
    private readonly ConcurrentDictionary<InMemoryVrrpTransport, byte> _nodes = new();

    /// <summary>Attaches a node with the given local (primary) address.</summary>
    public IVrrpTransport Attach(IPAddress localAddress) => new InMemoryVrrpTransport(this, localAddress);

    internal void Add(InMemoryVrrpTransport node) => _nodes[node] = 0;

    internal void Remove(InMemoryVrrpTransport node) => _nodes.TryRemove(node, out _);

    internal void Send(InMemoryVrrpTransport from, ReadOnlyMemory<byte> message, IPAddress destination)
    {
        var multicast = destination.IsIPv6Multicast || (destination.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && (destination.GetAddressBytes()[0] & 0xF0) == 0xE0);
        foreach (var node in _nodes.Keys)
        {
            if (node != from && (multicast || node.LocalAddress.Equals(destination)))
            {
                node.Deliver(message.ToArray(), from.LocalAddress, destination);
            }
        }
    }
}

internal sealed class InMemoryVrrpTransport : IVrrpTransport
{
    private readonly InMemoryVrrpNetwork _network;
    private readonly Channel<(byte[] Message, IPAddress Source, IPAddress Destination)> _inbox =
        Channel.CreateUnbounded<(byte[], IPAddress, IPAddress)>();

    public InMemoryVrrpTransport(InMemoryVrrpNetwork network, IPAddress localAddress)
    {
        _network = network;
        LocalAddress = localAddress;
        network.Add(this);
    }

    public IPAddress LocalAddress { get; }

    public ValueTask SendAsync(ReadOnlyMemory<byte> message, IPAddress destination, CancellationToken cancellationToken)
    {
        _network.Send(this, message, destination);
        return ValueTask.CompletedTask;
    }

    public async ValueTask<VrrpReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var (message, source, destination) = await _inbox.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var n = Math.Min(message.Length, buffer.Length);
        message.AsSpan(0, n).CopyTo(buffer.Span);
        return new VrrpReceiveResult(n, source, destination, 255);
    }

    public void Deliver(byte[] message, IPAddress source, IPAddress destination) => _inbox.Writer.TryWrite((message, source, destination));

    public ValueTask DisposeAsync()
    {
        _network.Remove(this);
        _inbox.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Creates each instance's transport on an <see cref="InMemoryVrrpNetwork"/>.</summary>
internal sealed class InMemoryTransportFactory(InMemoryVrrpNetwork network, IPAddress localAddress) : IVrrpTransportFactory
{
    public IVrrpTransport Create(VirtualRouterOptions options) => network.Attach(localAddress);
}

/// <summary>Keeps the "bound" virtual addresses in memory and logs what a real binder would do.</summary>
internal sealed class InMemoryAddressBinder(ILogger<InMemoryAddressBinder> logger) : IVirtualAddressBinder, IAddressAnnouncer
{
    private readonly ConcurrentDictionary<IPAddress, byte> _bound = new();

    public IReadOnlyCollection<IPAddress> Bound => [.. _bound.Keys];

    public ValueTask AddAsync(VirtualAddress address, CancellationToken cancellationToken)
    {
        _bound[address.Address] = 0;
        logger.LogInformation("(simulated) ip addr add {Address}/{Prefix} dev {Interface}", address.Address, address.PrefixLength, address.InterfaceName);
        return ValueTask.CompletedTask;
    }

    public ValueTask RemoveAsync(VirtualAddress address, CancellationToken cancellationToken)
    {
        _bound.TryRemove(address.Address, out _);
        logger.LogInformation("(simulated) ip addr del {Address}/{Prefix} dev {Interface}", address.Address, address.PrefixLength, address.InterfaceName);
        return ValueTask.CompletedTask;
    }

    public ValueTask AnnounceAsync(VirtualAddress address, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
