using System.Net;
using System.Threading.Channels;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Transport;

namespace Ha.Net.Samples.Demo.InMemory;

/// <summary>
/// The in-memory LAN: VRRP multicast between attached nodes, which node has the VIP configured (the binder),
/// and the client's neighbour cache for the VIP, updated by gratuitous ARP (the announcer) as on a real LAN —
/// so a client whose cache still names a dead node fails until the new master announces itself.
/// </summary>
internal sealed class InMemoryLan
{
    private readonly object _gate = new();
    private readonly List<LanPort> _ports = [];
    private readonly Dictionary<IPAddress, List<string>> _owners = [];
    private readonly Dictionary<IPAddress, string> _neighbours = [];
    private readonly Dictionary<string, IPEndPoint> _services = [];
    private readonly HashSet<string> _dead = [];

    public LanPort Attach(string node, IPAddress address)
    {
        var port = new LanPort(this, node, address);
        lock (_gate)
        {
            _ports.Add(port);
            _dead.Remove(node);
        }

        return port;
    }

    /// <summary>Where the node's proxy listens (its :25 on the VIP, here a 127.0.0.1 port).</summary>
    public void SetService(string node, IPEndPoint endPoint)
    {
        lock (_gate)
        {
            _services[node] = endPoint;
        }
    }

    /// <summary>The node dies: its ports stop, its addresses vanish from the LAN, its service is gone.</summary>
    public void Kill(string node)
    {
        lock (_gate)
        {
            _dead.Add(node);
            foreach (var p in _ports.Where(p => p.Node == node))
            {
                p.Dead = true;
            }

            foreach (var owners in _owners.Values)
            {
                owners.Remove(node);
            }

            _services.Remove(node);
        }
    }

    public IReadOnlyList<string> Owners(IPAddress address)
    {
        lock (_gate)
        {
            return _owners.TryGetValue(address, out var o) ? [.. o] : [];
        }
    }

    /// <summary>The client's view: the endpoint behind the VIP per its neighbour cache (ARP when empty), or null (unreachable).</summary>
    public IPEndPoint? Resolve(IPAddress vip)
    {
        lock (_gate)
        {
            if (!_neighbours.TryGetValue(vip, out var node))
            {
                // ARP request: the first owner answers.
                if (!_owners.TryGetValue(vip, out var owners) || owners.Count == 0)
                {
                    return null;
                }

                node = owners[0];
                _neighbours[vip] = node;
            }

            // A cached node that died (or dropped the VIP) does not answer: the connection times out.
            return !_dead.Contains(node) && _owners.TryGetValue(vip, out var o) && o.Contains(node) && _services.TryGetValue(node, out var ep) ? ep : null;
        }
    }

    internal void Bind(string node, IPAddress address)
    {
        lock (_gate)
        {
            if (_dead.Contains(node))
            {
                return;
            }

            if (!_owners.TryGetValue(address, out var owners))
            {
                _owners[address] = owners = [];
            }

            if (!owners.Contains(node))
            {
                owners.Add(node);
            }
        }
    }

    internal void Unbind(string node, IPAddress address)
    {
        lock (_gate)
        {
            if (_owners.TryGetValue(address, out var owners))
            {
                owners.Remove(node);
            }
        }
    }

    internal void Announce(string node, IPAddress address)
    {
        lock (_gate)
        {
            if (!_dead.Contains(node))
            {
                _neighbours[address] = node;
            }
        }
    }

    internal void Send(LanPort from, byte[] message, IPAddress destination)
    {
        List<LanPort> targets;
        lock (_gate)
        {
            if (from.Dead)
            {
                return;
            }

            var multicast = (destination.GetAddressBytes()[0] & 0xF0) == 0xE0;
            targets = _ports.FindAll(p => p != from && !p.Dead && !p.Closed && (multicast || p.LocalAddress.Equals(destination)));
        }

        foreach (var t in targets)
        {
            t.Deliver(message, from.LocalAddress, destination);
        }
    }
}

/// <summary>One node's attachment: its VRRP transport, VIP binder and gratuitous-ARP announcer.</summary>
internal sealed class LanPort(InMemoryLan lan, string node, IPAddress local) : IVrrpTransport, IVirtualAddressBinder, IAddressAnnouncer
{
    private readonly Channel<(byte[] Message, IPAddress Source, IPAddress Destination)> _inbox = Channel.CreateUnbounded<(byte[], IPAddress, IPAddress)>();

    public string Node { get; } = node;

    public IPAddress LocalAddress { get; } = local;

    public volatile bool Dead;

    public volatile bool Closed;

    public ValueTask SendAsync(ReadOnlyMemory<byte> message, IPAddress destination, CancellationToken cancellationToken)
    {
        lan.Send(this, message.ToArray(), destination);
        return ValueTask.CompletedTask;
    }

    public async ValueTask<VrrpReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var (message, source, destination) = await _inbox.Reader.ReadAsync(cancellationToken);
        message.CopyTo(buffer);
        return new VrrpReceiveResult(message.Length, source, destination, 255);
    }

    internal void Deliver(byte[] message, IPAddress source, IPAddress destination) => _inbox.Writer.TryWrite((message, source, destination));

    public ValueTask AddAsync(VirtualAddress address, CancellationToken cancellationToken)
    {
        lan.Bind(Node, address.Address);
        return ValueTask.CompletedTask;
    }

    public ValueTask RemoveAsync(VirtualAddress address, CancellationToken cancellationToken)
    {
        if (!Dead)
        {
            lan.Unbind(Node, address.Address);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask AnnounceAsync(VirtualAddress address, CancellationToken cancellationToken)
    {
        if (!Dead)
        {
            lan.Announce(Node, address.Address);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Closed = true;
        return ValueTask.CompletedTask;
    }
}
