using System.Net;
using System.Net.Sockets;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Vrrp.Layouts;

/// <summary>One node of an active/active layout.</summary>
public sealed class ActiveActiveNode
{
    /// <summary>Creates a node.</summary>
    /// <param name="name">
    /// The node's name: its <c>router_id</c>, the name keepalived's <c>-i/--config-id</c> would select, and the name the
    /// plan uses for owners and heirs. Letters, digits, <c>.</c>, <c>-</c> and <c>_</c>.
    /// </param>
    public ActiveActiveNode(string name) => Name = name;

    /// <summary>The node's name.</summary>
    public string Name { get; }

    /// <summary>The interface on this node (<c>interface</c>); <see langword="null"/> for <see cref="ActiveActiveLayout.InterfaceName"/>.</summary>
    public string? InterfaceName { get; init; }

    /// <summary>
    /// The node's own address on the VRRP segment: its <c>unicast_src_ip</c> and the other nodes' <c>unicast_peer</c>
    /// entry when <see cref="ActiveActiveLayout.Unicast"/> is set; otherwise optional (documentation only).
    /// </summary>
    public IPAddress? Address { get; init; }
}

/// <summary>
/// An active/active declaration: N nodes share M virtual addresses (clients spread over them, e.g. with DNS
/// round-robin, HAProxy's documented active/active), one VRRP instance per address. <see cref="Plan"/> turns it into
/// every node's instances: a distinct VRID per address, the owner of address <c>i</c> is node <c>i mod N</c>, and every
/// address has a ranking of all nodes (owner first, then its heirs) that the priorities encode.
/// </summary>
/// <remarks>
/// The plan is a pure function of this declaration, in the order given: every node computes the same plan from the
/// same input. Priorities are <see cref="OwnerPriority"/> for the owner and <see cref="PriorityStep"/> less for each
/// rank below. Heirs are rotated like the rows of a Latin square: the <c>k</c>-th address owned by a node has that
/// node's other nodes, in the order +1, −1, +2, −2, … (modulo N), rotated by <c>k</c>. So the first heirs of a node's
/// addresses go round all the other nodes (a failure spreads its addresses evenly over the survivors), every node is
/// first heir of the same number of addresses (give or take one), and with one address per node two failed neighbours
/// hand their addresses to two different survivors.
/// </remarks>
public sealed class ActiveActiveLayout
{
    /// <summary>The nodes, in the order that assigns owners (address <c>i</c> is owned by node <c>i mod N</c>). At least two.</summary>
    public IList<ActiveActiveNode> Nodes { get; set; } = new List<ActiveActiveNode>();

    /// <summary>The virtual addresses, one VRRP instance each, in order. At least one; no duplicates.</summary>
    public IList<IPAddress> VirtualAddresses { get; set; } = new List<IPAddress>();

    /// <summary>The prefix length of each virtual address; <see langword="null"/> for /32 (IPv4) or /128 (IPv6), keepalived's default.</summary>
    public int? PrefixLength { get; set; }

    /// <summary>The interface of nodes that name none (<see cref="ActiveActiveNode.InterfaceName"/>).</summary>
    public string? InterfaceName { get; set; }

    /// <summary>The VRID of the first address; the others follow (<c>FirstVirtualRouterId + i</c>). Default 51; the last must be ≤ 255.</summary>
    public int FirstVirtualRouterId { get; set; } = 51;

    /// <summary>The instance name of address <c>i</c> is this prefix followed by <c>i + 1</c> (default <c>VI_</c>).</summary>
    public string InstanceNamePrefix { get; set; } = "VI_";

    /// <summary>The owner's priority (default 150; 1–254: 255 would make it the address owner that never waits).</summary>
    public int OwnerPriority { get; set; } = 150;

    /// <summary>How much lower each heir rank is (default 10); the last rank must stay ≥ 1.</summary>
    public int PriorityStep { get; set; } = 10;

    /// <summary>Whether a returning owner (or a better-ranked heir) takes its addresses back (default true; false = <c>nopreempt</c>).</summary>
    public bool Preempt { get; set; } = true;

    /// <summary>How long a returning node waits before preempting (<c>preempt_delay</c>, 0–1000 s).</summary>
    public TimeSpan PreemptDelay { get; set; }

    /// <summary>The advertisement interval (<c>advert_int</c>, default 1 s; fractions need VRRPv3).</summary>
    public TimeSpan AdvertisementInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The VRRP version (default 2; IPv6 addresses need 3).</summary>
    public VrrpVersion Version { get; set; } = VrrpVersion.V2;

    /// <summary>Adverts go to the other nodes' <see cref="ActiveActiveNode.Address"/> by unicast instead of multicast.</summary>
    public bool Unicast { get; set; }

    /// <summary>Every error in the declaration, each naming the property (and the node or address) it is about.</summary>
    /// <returns>The errors; empty when <see cref="Plan"/> will succeed.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        var nodes = Nodes ?? [];
        var addresses = VirtualAddresses ?? [];
        if (nodes.Count < 2)
        {
            errors.Add($"{nameof(Nodes)}: an active/active layout needs at least 2 nodes, got {nodes.Count}");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var nodeAddresses = new HashSet<IPAddress>();
        for (var n = 0; n < nodes.Count; n++)
        {
            var node = nodes[n];
            if (node is null)
            {
                errors.Add($"{nameof(Nodes)}[{n}]: is null");
                continue;
            }

            if (string.IsNullOrEmpty(node.Name) || !node.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
            {
                errors.Add($"{nameof(Nodes)}[{n}]: name '{node.Name}' must be non-empty letters, digits, '.', '-' or '_'");
            }
            else if (!names.Add(node.Name))
            {
                errors.Add($"{nameof(Nodes)}[{n}]: name '{node.Name}' is used twice");
            }

            var ifName = node.InterfaceName ?? InterfaceName;
            if (string.IsNullOrEmpty(ifName))
            {
                errors.Add($"{nameof(Nodes)}[{n}] '{node.Name}': no interface ({nameof(ActiveActiveNode.InterfaceName)} or the layout's {nameof(InterfaceName)})");
            }
            else if (ifName.Length > 15 || ifName.Any(c => c is ' ' or '/' or '\t'))
            {
                errors.Add($"{nameof(Nodes)}[{n}] '{node.Name}': interface '{ifName}' is not a Linux interface name (at most 15 characters, no space or '/')");
            }

            if (Unicast && node.Address is null)
            {
                errors.Add($"{nameof(Nodes)}[{n}] '{node.Name}': {nameof(Unicast)} needs the node's {nameof(ActiveActiveNode.Address)}");
            }
            else if (node.Address is not null && !nodeAddresses.Add(node.Address))
            {
                errors.Add($"{nameof(Nodes)}[{n}] '{node.Name}': address {node.Address} is used by another node");
            }
        }

        if (addresses.Count == 0)
        {
            errors.Add($"{nameof(VirtualAddresses)}: at least one virtual address is needed");
        }

        var seen = new HashSet<IPAddress>();
        for (var i = 0; i < addresses.Count; i++)
        {
            var a = addresses[i];
            if (a is null)
            {
                errors.Add($"{nameof(VirtualAddresses)}[{i}]: is null");
                continue;
            }

            if (!seen.Add(a))
            {
                errors.Add($"{nameof(VirtualAddresses)}[{i}]: {a} is listed twice");
            }

            if (a.AddressFamily == AddressFamily.InterNetworkV6 && Version != VrrpVersion.V3)
            {
                errors.Add($"{nameof(VirtualAddresses)}[{i}]: {a} is IPv6, which needs {nameof(Version)} 3");
            }

            var max = a.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
            if (PrefixLength is { } p && (p < 0 || p > max))
            {
                errors.Add($"{nameof(PrefixLength)}: {p} is out of range for {a} (0–{max})");
            }
        }

        if (FirstVirtualRouterId < 1 || FirstVirtualRouterId + Math.Max(addresses.Count, 1) - 1 > 255)
        {
            errors.Add($"{nameof(FirstVirtualRouterId)}: {FirstVirtualRouterId} with {addresses.Count} address(es) gives VRIDs outside 1–255");
        }

        if (OwnerPriority is < 1 or > 254)
        {
            errors.Add($"{nameof(OwnerPriority)}: {OwnerPriority} must be 1–254");
        }

        if (PriorityStep < 1)
        {
            errors.Add($"{nameof(PriorityStep)}: {PriorityStep} must be at least 1");
        }
        else if (nodes.Count >= 2 && OwnerPriority - ((nodes.Count - 1) * PriorityStep) < 1)
        {
            errors.Add($"{nameof(PriorityStep)}: {PriorityStep} below {nameof(OwnerPriority)} {OwnerPriority} for {nodes.Count} nodes leaves the last heir at priority {OwnerPriority - ((nodes.Count - 1) * PriorityStep)} (must be ≥ 1)");
        }

        if (string.IsNullOrEmpty(InstanceNamePrefix) || InstanceNamePrefix.Any(char.IsWhiteSpace))
        {
            errors.Add($"{nameof(InstanceNamePrefix)}: '{InstanceNamePrefix}' must be non-empty without white space");
        }

        if (PreemptDelay < TimeSpan.Zero || PreemptDelay > TimeSpan.FromSeconds(1000))
        {
            errors.Add($"{nameof(PreemptDelay)}: {PreemptDelay.TotalSeconds} s must be 0–1000 s");
        }

        return errors;
    }

    /// <summary>Computes every node's instances.</summary>
    /// <returns>The plan.</returns>
    /// <exception cref="ArgumentException">The declaration has errors; the message lists every one (see <see cref="Validate"/>).</exception>
    public ActiveActivePlan Plan()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid active/active layout:" + string.Concat(errors.Select(e => Environment.NewLine + "  " + e)));
        }

        var nodes = Nodes.ToArray();
        var n = nodes.Length;
        var instances = new List<ActiveActiveInstance>(VirtualAddresses.Count);
        for (var i = 0; i < VirtualAddresses.Count; i++)
        {
            var address = VirtualAddresses[i];
            var ranking = Ranking(i, n).Select(r => nodes[r].Name).ToArray();
            instances.Add(new ActiveActiveInstance(
                InstanceNamePrefix + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                FirstVirtualRouterId + i,
                address,
                PrefixLength ?? (address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32),
                ranking,
                OwnerPriority,
                PriorityStep));
        }

        var plan = new ActiveActivePlan(this, nodes, instances);
        var issues = nodes.SelectMany(node => plan.RoutersFor(node.Name)).SelectMany(r => r.Validate()).Where(x => !x.IsWarning).ToList();
        return issues.Count > 0 ? throw new ArgumentException("Invalid active/active layout:" + string.Concat(issues.Select(e => Environment.NewLine + "  " + e))) : plan;
    }

    /// <summary>
    /// The ranking of address <paramref name="index"/> over <paramref name="count"/> nodes, as node indexes: owner
    /// <c>o = index mod N</c>, then <c>o + d[(k + j) mod (N − 1)]</c> for <c>j = 0 … N − 2</c>, where
    /// <c>k = index div N</c> and <c>d = +1, −1, +2, −2, …</c> (all distinct modulo N).
    /// </summary>
    internal static int[] Ranking(int index, int count)
    {
        var owner = index % count;
        var k = index / count;
        var ranking = new int[count];
        ranking[0] = owner;
        for (var j = 0; j < count - 1; j++)
        {
            var t = (k + j) % (count - 1);
            var magnitude = (t / 2) + 1;
            var offset = t % 2 == 0 ? magnitude : -magnitude;
            ranking[j + 1] = (((owner + offset) % count) + count) % count;
        }

        return ranking;
    }
}
