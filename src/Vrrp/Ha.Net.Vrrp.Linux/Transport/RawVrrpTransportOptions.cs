using System.Net;
using System.Net.Sockets;

namespace Ha.Net.Vrrp.Linux.Transport;

/// <summary>
/// Options of the raw-socket VRRP transport: one interface, one address family, multicast (the
/// default) or unicast to a peer list — keepalived's <c>interface</c>, <c>mcast_src_ip</c>,
/// <c>unicast_src_ip</c>, <c>unicast_peer</c>, <c>unicast_ttl</c> and <c>check_unicast_src</c>.
/// </summary>
public sealed record RawVrrpTransportOptions
{
    /// <summary>The VRRP multicast group for IPv4 (RFC 3768 §5.2.2).</summary>
    public static readonly IPAddress IPv4Group = IPAddress.Parse("224.0.0.18");

    /// <summary>The VRRP multicast group for IPv6 (RFC 5798 §5.1.2.2).</summary>
    public static readonly IPAddress IPv6Group = IPAddress.Parse("ff02::12");

    /// <summary>
    /// The transport options of a VRRP instance: its interface, address family (its first VIP's; with no VIP, its
    /// source address's or first unicast peer's; IPv4 otherwise), source address, group or unicast peers and
    /// <c>check_unicast_src</c>. The one mapping <c>services.AddLinuxVrrp()</c> and hanet-vrrpd use.
    /// </summary>
    /// <param name="instance">The instance.</param>
    /// <param name="unicastTtl">TTL of unicast adverts (keepalived <c>unicast_ttl</c>, 1–255).</param>
    public static RawVrrpTransportOptions ForInstance(Ha.Net.Vrrp.Configuration.VirtualRouterOptions instance, byte unicastTtl = 255)
    {
        ArgumentNullException.ThrowIfNull(instance);
        return new RawVrrpTransportOptions
        {
            InterfaceName = instance.InterfaceName,
            AddressFamily = instance.ResolveAddressFamily(),
            SourceAddress = instance.SourceAddress,
            UnicastPeers = [.. instance.UnicastPeers ?? []],
            MulticastGroup = instance.MulticastGroup,
            CheckUnicastSource = instance.CheckUnicastSource,
            UnicastTtl = unicastTtl,
        };
    }

    /// <summary>The interface adverts are sent and received on (keepalived <c>interface</c>). Required.</summary>
    public string InterfaceName { get; init; } = "";

    /// <summary>IPv4 (<see cref="AddressFamily.InterNetwork"/>, the default) or IPv6 (<see cref="AddressFamily.InterNetworkV6"/>, VRRPv3 only).</summary>
    public AddressFamily AddressFamily { get; init; } = AddressFamily.InterNetwork;

    /// <summary>
    /// The source address of sent adverts (<c>mcast_src_ip</c> / <c>unicast_src_ip</c>). Default: the
    /// interface's first primary IPv4 address, or its IPv6 link-local address.
    /// </summary>
    public IPAddress? SourceAddress { get; init; }

    /// <summary>Unicast peers (<c>unicast_peer</c>). Empty (the default) means multicast mode; non-empty means unicast mode, where the group is not joined.</summary>
    public IReadOnlyList<IPAddress> UnicastPeers { get; init; } = [];

    /// <summary>The multicast group (<c>mcast_dst_ip</c>); default 224.0.0.18 or ff02::12.</summary>
    public IPAddress? MulticastGroup { get; init; }

    /// <summary>TTL / hop limit of unicast adverts (<c>unicast_ttl</c>); default 255. Multicast adverts always use 255.</summary>
    public byte UnicastTtl { get; init; } = 255;

    /// <summary>In unicast mode, drop adverts whose source is not a configured peer (<c>check_unicast_src</c>); default off, as keepalived.</summary>
    public bool CheckUnicastSource { get; init; }

    /// <summary>Drop multicast adverts whose TTL/hop limit is not 255 (RFC 3768 §7.1; keepalived skips the check for unicast); default on.</summary>
    public bool CheckMulticastTtl { get; init; } = true;

    /// <summary>Whether this is unicast mode.</summary>
    public bool IsUnicast => UnicastPeers.Count > 0;

    /// <summary>The group used in multicast mode.</summary>
    public IPAddress EffectiveMulticastGroup => MulticastGroup ?? (AddressFamily == AddressFamily.InterNetworkV6 ? IPv6Group : IPv4Group);

    /// <summary>Every problem with these options, each naming its key; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(InterfaceName))
        {
            errors.Add($"{nameof(InterfaceName)}: required (the interface adverts are sent on, e.g. 'eth0').");
        }
        else if (InterfaceName.Length > 15 || InterfaceName.Contains('/', StringComparison.Ordinal) || InterfaceName.Any(char.IsWhiteSpace))
        {
            errors.Add($"{nameof(InterfaceName)}: '{InterfaceName}' is not a Linux interface name (at most 15 characters, no '/' or spaces).");
        }

        if (AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            errors.Add($"{nameof(AddressFamily)}: {AddressFamily} is not supported (InterNetwork or InterNetworkV6).");
            return errors;
        }

        if (SourceAddress is { } source && source.AddressFamily != AddressFamily)
        {
            errors.Add($"{nameof(SourceAddress)}: {source} is not an {Describe(AddressFamily)} address.");
        }

        for (var i = 0; i < UnicastPeers.Count; i++)
        {
            var peer = UnicastPeers[i];
            if (peer is null || peer.AddressFamily != AddressFamily || IsMulticast(peer))
            {
                errors.Add($"{nameof(UnicastPeers)}[{i}]: '{peer}' is not a unicast {Describe(AddressFamily)} address.");
            }
        }

        if (MulticastGroup is { } group && (group.AddressFamily != AddressFamily || !IsMulticast(group)))
        {
            errors.Add($"{nameof(MulticastGroup)}: {group} is not an {Describe(AddressFamily)} multicast address.");
        }

        if (UnicastTtl == 0)
        {
            errors.Add($"{nameof(UnicastTtl)}: must be 1–255.");
        }

        return errors;
    }

    internal static bool IsMulticast(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6
        ? address.IsIPv6Multicast
        : (address.GetAddressBytes()[0] & 0xF0) == 0xE0;

    private static string Describe(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
}
