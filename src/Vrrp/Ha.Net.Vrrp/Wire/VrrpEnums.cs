namespace Ha.Net.Vrrp.Wire;

/// <summary>The VRRP protocol version (the high nibble of the first byte).</summary>
public enum VrrpVersion : byte
{
    /// <summary>VRRPv2, RFC 3768: IPv4 only, interval in seconds, 8 bytes of authentication data. keepalived's default for IPv4.</summary>
    V2 = 2,

    /// <summary>VRRPv3, RFC 5798 / RFC 9568: IPv4 and IPv6, interval in centiseconds, no authentication.</summary>
    V3 = 3,
}

/// <summary>The VRRPv2 authentication type (RFC 2338 §5.3.6; reserved by RFC 3768).</summary>
public enum VrrpAuthenticationType : byte
{
    /// <summary>No authentication (keepalived's default). The 8 authentication bytes are sent as zeros.</summary>
    None = 0,

    /// <summary>Simple text password (keepalived <c>auth_type PASS</c>): 8 bytes, zero-padded, compared over all 8.</summary>
    SimplePassword = 1,

    /// <summary>IP Authentication Header (keepalived <c>auth_type AH</c>, IP protocol 51). Recognised, not supported.</summary>
    IPAuthenticationHeader = 2,
}

/// <summary>Which bytes the VRRPv3 checksum covers for IPv4 (RFC 5798 §5.2.8 versus RFC 9568 §5.2.8).</summary>
public enum VrrpChecksumMode
{
    /// <summary>
    /// The VRRP message plus an IPv4 pseudo-header (source, destination, zero, protocol 112, length):
    /// keepalived's default, FRR's <c>checksum-with-ipv4-pseudoheader</c>.
    /// </summary>
    PseudoHeader = 0,

    /// <summary>The VRRP message only, as VRRPv2 does: RFC 9568, keepalived's <c>v3_checksum_as_v2</c>.</summary>
    MessageOnly = 1,
}
