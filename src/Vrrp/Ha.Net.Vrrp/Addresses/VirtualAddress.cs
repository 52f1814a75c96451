using System.Net;
using System.Net.Sockets;

namespace Ha.Net.Vrrp.Addresses;

/// <summary>The scope of an address as the kernel records it (<c>ip addr add ... scope</c>).</summary>
public enum AddressScope : byte
{
    /// <summary>Valid everywhere (RT_SCOPE_UNIVERSE, 0).</summary>
    Global = 0,

    /// <summary>Site-local (RT_SCOPE_SITE, 200).</summary>
    Site = 200,

    /// <summary>Valid only on this link (RT_SCOPE_LINK, 253).</summary>
    Link = 253,

    /// <summary>Valid only on this host (RT_SCOPE_HOST, 254).</summary>
    Host = 254,
}

/// <summary>
/// A virtual IP address as keepalived's <c>virtual_ipaddress</c> block describes it:
/// <c>198.18.0.100/24 brd 198.18.0.255 dev eth0 scope global label eth0:1</c>.
/// </summary>
public sealed record VirtualAddress
{
    /// <summary>Creates a virtual address.</summary>
    /// <param name="address">The address itself.</param>
    /// <param name="prefixLength">The prefix length (keepalived's default is /32 for IPv4, /128 for IPv6).</param>
    /// <param name="interfaceName">The interface the address is bound to.</param>
    public VirtualAddress(IPAddress address, int prefixLength, string interfaceName)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentException.ThrowIfNullOrEmpty(interfaceName);
        var max = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, max);
        Address = address;
        PrefixLength = prefixLength;
        InterfaceName = interfaceName;
    }

    /// <summary>The address.</summary>
    public IPAddress Address { get; }

    /// <summary>The prefix length.</summary>
    public int PrefixLength { get; }

    /// <summary>The interface the address is bound to (<c>dev</c>).</summary>
    public string InterfaceName { get; }

    /// <summary>The broadcast address (<c>brd</c>), or <see langword="null"/> for none.</summary>
    public IPAddress? Broadcast { get; init; }

    /// <summary>The address scope (<c>scope</c>).</summary>
    public AddressScope Scope { get; init; } = AddressScope.Global;

    /// <summary>The IPv4 label (<c>label eth0:1</c>), or <see langword="null"/> for none.</summary>
    public string? Label { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Address}/{PrefixLength} dev {InterfaceName}" +
        (Broadcast is null ? "" : $" brd {Broadcast}") +
        (Scope == AddressScope.Global ? "" : $" scope {Scope.ToString().ToLowerInvariant()}") +
        (Label is null ? "" : $" label {Label}");
}
