namespace Ha.Net.Vrrp.Wire;

/// <summary>
/// The fixed fields of one VRRP advertisement. The addresses and the VRRPv2 authentication data stay
/// in the message they were read from (<see cref="VrrpPacket.GetAddresses"/>,
/// <see cref="VrrpPacket.GetAuthenticationData"/>), so reading allocates nothing.
/// </summary>
public readonly record struct VrrpAdvertisement
{
    /// <summary>Describes an advertisement to write.</summary>
    /// <param name="version">VRRP version.</param>
    /// <param name="virtualRouterId">Virtual router id, 1–255.</param>
    /// <param name="priority">Priority: 255 owner, 1–254 backup, 0 the master is stopping.</param>
    /// <param name="addressCount">Number of addresses that follow the header.</param>
    /// <param name="interval">
    /// The advertisement interval in wire units: whole seconds for VRRPv2 (1–255),
    /// centiseconds for VRRPv3 (1–4095).
    /// </param>
    /// <param name="isIPv6">Whether the addresses are IPv6 (VRRPv3 only).</param>
    /// <param name="authenticationType">VRRPv2 authentication type; ignored for VRRPv3.</param>
    public VrrpAdvertisement(
        VrrpVersion version,
        byte virtualRouterId,
        byte priority,
        byte addressCount,
        ushort interval,
        bool isIPv6 = false,
        VrrpAuthenticationType authenticationType = VrrpAuthenticationType.None)
    {
        Version = version;
        VirtualRouterId = virtualRouterId;
        Priority = priority;
        AddressCount = addressCount;
        RawInterval = interval;
        IsIPv6 = isIPv6;
        AuthenticationType = version == VrrpVersion.V2 ? authenticationType : VrrpAuthenticationType.None;
    }

    /// <summary>The VRRP version.</summary>
    public VrrpVersion Version { get; init; }

    /// <summary>The virtual router id (VRID).</summary>
    public byte VirtualRouterId { get; init; }

    /// <summary>The sender's priority (0 = the master is stopping, 255 = address owner).</summary>
    public byte Priority { get; init; }

    /// <summary>The number of addresses carried.</summary>
    public byte AddressCount { get; init; }

    /// <summary>The interval as carried on the wire: seconds (v2) or centiseconds (v3, 12 bits).</summary>
    public ushort RawInterval { get; init; }

    /// <summary>Whether the addresses are IPv6 (16 bytes each) rather than IPv4 (4 bytes each).</summary>
    public bool IsIPv6 { get; init; }

    /// <summary>The VRRPv2 authentication type (<see cref="VrrpAuthenticationType.None"/> for VRRPv3).</summary>
    public VrrpAuthenticationType AuthenticationType { get; init; }

    /// <summary>The checksum as carried (filled in by <see cref="VrrpPacket.Read"/>; computed by the writer).</summary>
    public ushort Checksum { get; init; }

    /// <summary>On read, the checksum form that verified (always <see cref="VrrpChecksumMode.MessageOnly"/> for VRRPv2).</summary>
    public VrrpChecksumMode ChecksumMode { get; init; }

    /// <summary>The advertisement interval as a duration.</summary>
    public TimeSpan Interval => Version == VrrpVersion.V2
        ? TimeSpan.FromSeconds(RawInterval)
        : TimeSpan.FromMilliseconds(RawInterval * 10);

    /// <summary>The length in bytes of the message this advertisement occupies.</summary>
    public int Length => VrrpPacket.GetLength(Version, IsIPv6, AddressCount);
}
