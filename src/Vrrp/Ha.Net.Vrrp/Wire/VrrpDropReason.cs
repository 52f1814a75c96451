namespace Ha.Net.Vrrp.Wire;

/// <summary>
/// Why a received VRRP message was not handed to the election (RFC 3768 §7.1, RFC 5798 §7.1 and
/// keepalived's <c>vrrp_check_packet</c>). Every dropped message is counted under one of these.
/// </summary>
/// <remarks>
/// The first group is decided by the codec alone (<see cref="VrrpPacket.Read"/>); the second by
/// the virtual router that received it, against its configuration.
/// </remarks>
public enum VrrpDropReason
{
    /// <summary>Not dropped: the message is valid.</summary>
    None = 0,

    /// <summary>Shorter than the 8-byte VRRP header.</summary>
    TooShort,

    /// <summary>The version nibble is neither 2 nor 3.</summary>
    UnsupportedVersion,

    /// <summary>The type nibble is not 1 (ADVERTISEMENT); RFC 3768 §5.3.2 says discard.</summary>
    UnknownType,

    /// <summary>The length does not match the address count (keepalived: exact length, Ethernet minimum-frame padding tolerated).</summary>
    LengthMismatch,

    /// <summary>A 36-byte CARP/ucarp advertisement (same protocol 112, same group, version 2 type 1), not VRRP.</summary>
    CarpAdvertisement,

    /// <summary>The checksum does not verify (for VRRPv3 over IPv4, in neither the pseudo-header nor the message-only form).</summary>
    InvalidChecksum,

    /// <summary>The advertisement interval is zero.</summary>
    InvalidInterval,

    /// <summary>A VRRPv2 message carried over IPv6 (VRRPv2 is IPv4 only).</summary>
    AddressFamilyMismatch,

    /// <summary>IPv4 TTL or IPv6 hop limit is not 255 on a multicast advertisement (RFC 3768 §7.1; keepalived skips this in unicast mode).</summary>
    InvalidTimeToLive,

    /// <summary>A valid message of the other VRRP version than this instance is configured for (keepalived: "wrong VRRP version").</summary>
    VersionMismatch,

    /// <summary>An advertisement for another virtual router id.</summary>
    VirtualRouterIdMismatch,

    /// <summary>The authentication type differs from the configured one.</summary>
    AuthenticationTypeMismatch,

    /// <summary>The simple password differs from the configured one (keepalived: "received an invalid passwd").</summary>
    AuthenticationFailure,

    /// <summary>VRRPv2: the advertisement interval differs from the local one (RFC 3768 §7.1, keepalived: "advertisement interval mismatch").</summary>
    IntervalMismatch,

    /// <summary>The address list differs from ours and the instance is configured to drop such adverts (keepalived 2.2.7 behaviour).</summary>
    AddressListMismatch,

    /// <summary>A multicast advertisement reached an instance configured with unicast peers.</summary>
    UnexpectedMulticast,

    /// <summary>A unicast advertisement reached an instance configured for multicast.</summary>
    UnexpectedUnicast,

    /// <summary>A unicast advertisement from an address that is not a configured peer (keepalived <c>check_unicast_src</c>).</summary>
    UnknownUnicastSource,

    /// <summary>Our own advertisement, looped back.</summary>
    OwnAdvertisement,
}
