using System.Net;
using Ha.Net.Vrrp.Testing;

namespace Ha.Net.Samples.Demo.InMemory;

/// <summary>
/// The client's side of the in-memory LAN. The VRRP adverts travel on Ha.Net.Vrrp.Testing's
/// <see cref="InMemoryVrrpNetwork"/> and each node's <see cref="InMemoryAddressBinder"/> holds its VIP; this adds
/// what a client sees: where each node's service listens, and the client's neighbour cache for the VIP, filled by
/// ARP (the first holder answers) and moved by gratuitous ARP (the binder's announcements), as on a real LAN — so a
/// client whose cache still names a dead node fails until the new master announces itself.
/// </summary>
internal sealed class ClientLan
{
    private readonly object _gate = new();
    private readonly Dictionary<string, InMemoryVrrpNode> _machines = [];
    private readonly Dictionary<IPAddress, string> _neighbours = [];
    private readonly Dictionary<string, IPEndPoint> _services = [];
    private readonly HashSet<string> _dead = [];

    /// <summary>The node (re)joins the LAN as <paramref name="machine"/> (a new one on each boot).</summary>
    public void Attach(string node, InMemoryVrrpNode machine)
    {
        machine.Binder.Announced += address =>
        {
            lock (_gate)
            {
                if (!_dead.Contains(node) && _machines.GetValueOrDefault(node) == machine)
                {
                    _neighbours[address] = node;
                }
            }
        };
        lock (_gate)
        {
            _machines[node] = machine;
            _dead.Remove(node);
        }
    }

    /// <summary>Where the node's proxy listens (its :25 on the VIP, here a 127.0.0.1 port).</summary>
    public void SetService(string node, IPEndPoint endPoint)
    {
        lock (_gate)
        {
            _services[node] = endPoint;
        }
    }

    /// <summary>The node dies: it answers nothing and its service is gone (its machine's crash takes its addresses).</summary>
    public void Kill(string node)
    {
        lock (_gate)
        {
            _dead.Add(node);
            _services.Remove(node);
        }
    }

    /// <summary>The nodes that hold <paramref name="address"/> now, in node order.</summary>
    public IReadOnlyList<string> Owners(IPAddress address)
    {
        lock (_gate)
        {
            return OwnersLocked(address);
        }
    }

    /// <summary>The client's view: the endpoint behind the VIP per its neighbour cache (ARP when empty), or null (unreachable).</summary>
    public IPEndPoint? Resolve(IPAddress vip)
    {
        lock (_gate)
        {
            var owners = OwnersLocked(vip);
            if (!_neighbours.TryGetValue(vip, out var node))
            {
                // ARP request: the first owner answers.
                if (owners.Count == 0)
                {
                    return null;
                }

                node = owners[0];
                _neighbours[vip] = node;
            }

            // A cached node that died (or dropped the VIP) does not answer: the connection times out.
            return !_dead.Contains(node) && owners.Contains(node) && _services.TryGetValue(node, out var ep) ? ep : null;
        }
    }

    private List<string> OwnersLocked(IPAddress address) =>
        [.. _machines.Where(m => !_dead.Contains(m.Key) && m.Value.Binder.Bound.Contains(address)).Select(m => m.Key).Order(StringComparer.Ordinal)];
}
