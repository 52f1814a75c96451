using System.Net;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;

namespace Ha.Net.Vrrp.Layouts;

/// <summary>One virtual address of an active/active plan: its VRRP instance and the order in which nodes hold it.</summary>
public sealed class ActiveActiveInstance
{
    private readonly int _ownerPriority;
    private readonly int _step;

    internal ActiveActiveInstance(string instanceName, int virtualRouterId, IPAddress address, int prefixLength, IReadOnlyList<string> ranking, int ownerPriority, int step)
    {
        InstanceName = instanceName;
        VirtualRouterId = virtualRouterId;
        Address = address;
        PrefixLength = prefixLength;
        Ranking = ranking;
        _ownerPriority = ownerPriority;
        _step = step;
    }

    /// <summary>The instance name (<c>vrrp_instance</c>).</summary>
    public string InstanceName { get; }

    /// <summary>The instance's VRID, distinct within the plan.</summary>
    public int VirtualRouterId { get; }

    /// <summary>The virtual address.</summary>
    public IPAddress Address { get; }

    /// <summary>Its prefix length.</summary>
    public int PrefixLength { get; }

    /// <summary>Every node by rank: the owner first, then its heirs in order.</summary>
    public IReadOnlyList<string> Ranking { get; }

    /// <summary>The node that holds the address while it runs.</summary>
    public string Owner => Ranking[0];

    /// <summary>The heirs in order (the ranking without the owner).</summary>
    public IReadOnlyList<string> Heirs => Ranking.Skip(1).ToArray();

    /// <summary>A node's priority for this address: the owner's, less one step per rank.</summary>
    /// <param name="node">A node of the plan.</param>
    /// <returns>The priority.</returns>
    public int PriorityOf(string node)
    {
        for (var r = 0; r < Ranking.Count; r++)
        {
            if (string.Equals(Ranking[r], node, StringComparison.Ordinal))
            {
                return _ownerPriority - (r * _step);
            }
        }

        throw new ArgumentException($"'{node}' is not a node of this plan", nameof(node));
    }

    /// <summary>
    /// Who holds the address once the election settles among <paramref name="running"/> nodes with preemption: the
    /// best-ranked of them (with <c>nopreempt</c> a node that already holds it keeps it; this is where it goes when its
    /// holder fails).
    /// </summary>
    /// <param name="running">The nodes that run.</param>
    /// <returns>The node, or <see langword="null"/> when none of the ranked nodes runs.</returns>
    public string? HolderAmong(IReadOnlySet<string> running)
    {
        ArgumentNullException.ThrowIfNull(running);
        return Ranking.FirstOrDefault(running.Contains);
    }

    /// <inheritdoc />
    public override string ToString() => $"{InstanceName} vrid {VirtualRouterId} {Address}/{PrefixLength}: {string.Join(" > ", Ranking)}";
}

/// <summary>The result of <see cref="ActiveActiveLayout.Plan"/>: every address's instance and every node's routers.</summary>
public sealed class ActiveActivePlan
{
    private readonly ActiveActiveLayout _layout;
    private readonly ActiveActiveNode[] _nodes;

    internal ActiveActivePlan(ActiveActiveLayout layout, ActiveActiveNode[] nodes, IReadOnlyList<ActiveActiveInstance> instances)
    {
        // A snapshot of the declaration's scalar settings: later changes to the layout do not change the plan.
        _layout = new ActiveActiveLayout
        {
            InterfaceName = layout.InterfaceName,
            Preempt = layout.Preempt,
            PreemptDelay = layout.PreemptDelay,
            AdvertisementInterval = layout.AdvertisementInterval,
            Version = layout.Version,
            Unicast = layout.Unicast,
        };
        _nodes = nodes;
        Instances = instances;
    }

    /// <summary>The node names in declaration order.</summary>
    public IReadOnlyList<string> Nodes => _nodes.Select(n => n.Name).ToArray();

    /// <summary>One instance per virtual address, in declaration order.</summary>
    public IReadOnlyList<ActiveActiveInstance> Instances { get; }

    /// <summary>Whether returning nodes take their addresses back.</summary>
    public bool Preempt => _layout.Preempt;

    /// <summary>The preemption delay.</summary>
    public TimeSpan PreemptDelay => _layout.PreemptDelay;

    /// <summary>The advertisement interval.</summary>
    public TimeSpan AdvertisementInterval => _layout.AdvertisementInterval;

    /// <summary>The VRRP version.</summary>
    public Wire.VrrpVersion Version => _layout.Version;

    /// <summary>Whether adverts are unicast to the other nodes.</summary>
    public bool Unicast => _layout.Unicast;

    /// <summary>The interface a node runs its instances on.</summary>
    /// <param name="node">A node of the plan.</param>
    /// <returns>The interface name.</returns>
    public string InterfaceOf(string node) => Node(node).InterfaceName ?? _layout.InterfaceName!;

    /// <summary>A node's own address (<see cref="ActiveActiveNode.Address"/>), if declared.</summary>
    /// <param name="node">A node of the plan.</param>
    /// <returns>The address or <see langword="null"/>.</returns>
    public IPAddress? AddressOf(string node) => Node(node).Address;

    /// <summary>The instances whose owner is <paramref name="node"/>.</summary>
    /// <param name="node">A node of the plan.</param>
    /// <returns>The instances it owns.</returns>
    public IReadOnlyList<ActiveActiveInstance> OwnedBy(string node)
    {
        Node(node);
        return Instances.Where(i => string.Equals(i.Owner, node, StringComparison.Ordinal)).ToArray();
    }

    /// <summary>
    /// A node's virtual routers, one per address, each a new <see cref="VirtualRouterOptions"/> the caller may adjust
    /// further (authentication, tracking, …) before handing them to the host. Every instance is a backup at start
    /// (keepalived's <c>state BACKUP</c>), so <c>nopreempt</c> and <c>preempt_delay</c> apply; the priorities decide.
    /// </summary>
    /// <param name="node">A node of the plan.</param>
    /// <returns>The routers, in the order of <see cref="Instances"/>.</returns>
    public IReadOnlyList<VirtualRouterOptions> RoutersFor(string node)
    {
        var self = Node(node);
        var ifName = InterfaceOf(node);
        var peers = Unicast
            ? _nodes.Where(n => !ReferenceEquals(n, self)).Select(n => n.Address!).ToList()
            : new List<IPAddress>();
        return Instances.Select(i => new VirtualRouterOptions
        {
            InstanceName = i.InstanceName,
            InterfaceName = ifName,
            VirtualRouterId = i.VirtualRouterId,
            Priority = i.PriorityOf(node),
            AdvertisementInterval = AdvertisementInterval,
            Version = Version,
            Preempt = Preempt,
            PreemptDelay = PreemptDelay,
            VirtualAddresses = new List<VirtualAddress> { new(i.Address, i.PrefixLength, ifName) },
            SourceAddress = Unicast ? self.Address : null,
            UnicastPeers = new List<IPAddress>(peers),
        }).ToArray();
    }

    private ActiveActiveNode Node(string node) =>
        _nodes.FirstOrDefault(n => string.Equals(n.Name, node, StringComparison.Ordinal))
        ?? throw new ArgumentException($"'{node}' is not a node of this plan ({string.Join(", ", _nodes.Select(n => n.Name))})", nameof(node));
}
