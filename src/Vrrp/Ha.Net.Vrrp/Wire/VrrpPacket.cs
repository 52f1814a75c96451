using System.Buffers.Binary;

namespace Ha.Net.Vrrp.Wire;

/// <summary>
/// Reads and writes VRRP advertisements (the IP payload of protocol 112) on spans, allocating nothing.
/// </summary>
/// <remarks>
/// <para>VRRPv2, RFC 3768 §5.1 (8 + 4n + 8 bytes):</para>
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Auth Type   |   Adver Int   |          Checksum             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         IP Address (1) … (n)                  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                     Authentication Data (1)                   |
/// |                     Authentication Data (2)                   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// <para>Adver Int is in seconds; the checksum covers the message only (§5.3.8), including the
/// 8 authentication bytes keepalived always sends (zeros for type 0).</para>
/// <para>VRRPv3, RFC 5798 §5.1 / RFC 9568 (8 + 4n or 8 + 16n bytes):</para>
/// <code>
/// |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
/// |(rsvd) |     Max Adver Int     |          Checksum             |
/// |                       IPvX Address(es)                        |
/// </code>
/// <para>Max Adver Int is 12 bits of centiseconds. The IPv6 checksum covers the RFC 8200 §8.1 pseudo-header;
/// for IPv4, keepalived (and RFC 5798 as most read it) prepends an IPv4 pseudo-header, RFC 9568 does not:
/// the writer uses the form it is asked for, the reader accepts either.</para>
/// <para>Receive checks made here (RFC 3768 §7.1, keepalived <c>vrrp_check_packet</c>): version, type,
/// exact length (Ethernet minimum-frame padding tolerated), CARP's 36-byte adverts refused, checksum,
/// non-zero interval. The checks that need the instance's configuration (TTL, VRID, auth, interval match,
/// address list) are made by the virtual router.</para>
/// </remarks>
public static class VrrpPacket
{
    /// <summary>The IP protocol number of VRRP.</summary>
    public const byte IPProtocol = 112;

    /// <summary>The length of the fixed header.</summary>
    public const int HeaderLength = 8;

    /// <summary>The length of the VRRPv2 authentication data trailer.</summary>
    public const int AuthenticationDataLength = 8;

    /// <summary>The length of a CARP/ucarp advertisement, which shares protocol 112, the group and the version/type byte.</summary>
    public const int CarpAdvertisementLength = 36;

    /// <summary>The largest message: VRRPv3 with 255 IPv6 addresses.</summary>
    public const int MaxLength = HeaderLength + (255 * 16);

    /// <summary>The largest VRRPv3 interval in centiseconds (12 bits).</summary>
    public const ushort MaxV3Interval = 0x0FFF;

    private const byte TypeAdvertisement = 1;

    // An IPv4 packet shorter than the 46-byte Ethernet minimum payload is padded; with a 20-byte
    // header, a VRRP message may therefore carry trailing bytes up to 26 bytes in all.
    private const int MaxPaddedIPv4Message = 46 - 20;

    /// <summary>The length of a message with <paramref name="addressCount"/> addresses.</summary>
    /// <param name="version">VRRP version.</param>
    /// <param name="isIPv6">Whether the addresses are IPv6.</param>
    /// <param name="addressCount">Number of addresses.</param>
    public static int GetLength(VrrpVersion version, bool isIPv6, int addressCount) =>
        HeaderLength + (addressCount * (isIPv6 ? 16 : 4)) + (version == VrrpVersion.V2 ? AuthenticationDataLength : 0);

    /// <summary>
    /// Reads and validates one VRRP message.
    /// </summary>
    /// <param name="message">The VRRP message (IP header removed).</param>
    /// <param name="sourceAddress">The IP source of the packet: 4 bytes (IPv4) or 16 (IPv6), network order.</param>
    /// <param name="destinationAddress">The IP destination of the packet, same family as <paramref name="sourceAddress"/>.</param>
    /// <param name="advertisement">The advertisement read, valid when the result is <see cref="VrrpDropReason.None"/>.</param>
    /// <returns><see cref="VrrpDropReason.None"/> when the message is valid, otherwise why it must be dropped.</returns>
    /// <exception cref="ArgumentException">The addresses are not 4 or 16 bytes, or differ in family.</exception>
    public static VrrpDropReason Read(
        ReadOnlySpan<byte> message,
        ReadOnlySpan<byte> sourceAddress,
        ReadOnlySpan<byte> destinationAddress,
        out VrrpAdvertisement advertisement)
    {
        if ((sourceAddress.Length != 4 && sourceAddress.Length != 16) || destinationAddress.Length != sourceAddress.Length)
        {
            ThrowBadAddresses();
        }

        advertisement = default;
        if (message.Length < HeaderLength)
        {
            return VrrpDropReason.TooShort;
        }

        var versionNibble = message[0] >> 4;
        if (versionNibble is not 2 and not 3)
        {
            return VrrpDropReason.UnsupportedVersion;
        }

        if ((message[0] & 0x0F) != TypeAdvertisement)
        {
            return VrrpDropReason.UnknownType;
        }

        var version = (VrrpVersion)versionNibble;
        var isIPv6 = sourceAddress.Length == 16;
        if (version == VrrpVersion.V2 && isIPv6)
        {
            return VrrpDropReason.AddressFamilyMismatch;
        }

        var count = message[3];
        var expected = GetLength(version, isIPv6, count);
        if (version == VrrpVersion.V2 && message.Length == CarpAdvertisementLength && expected != CarpAdvertisementLength)
        {
            // CARP: vhid, advskew, authlen, demote, advbase, cksum, counter[8], SHA1 HMAC[20].
            return VrrpDropReason.CarpAdvertisement;
        }

        if (message.Length != expected && (message.Length < expected || isIPv6 || message.Length > MaxPaddedIPv4Message))
        {
            return VrrpDropReason.LengthMismatch;
        }

        message = message[..expected];
        ushort interval = version == VrrpVersion.V2
            ? message[5]
            : (ushort)(BinaryPrimitives.ReadUInt16BigEndian(message[4..]) & MaxV3Interval);
        if (interval == 0)
        {
            return VrrpDropReason.InvalidInterval;
        }

        var sum = InternetChecksum.Add(0, message);
        VrrpChecksumMode form;
        if (version == VrrpVersion.V3 && (isIPv6 || InternetChecksum.Fold(sum) != 0xFFFF))
        {
            if (InternetChecksum.Fold(InternetChecksum.AddPseudoHeader(sum, sourceAddress, destinationAddress, expected)) != 0xFFFF)
            {
                return VrrpDropReason.InvalidChecksum;
            }

            form = VrrpChecksumMode.PseudoHeader;
        }
        else if (InternetChecksum.Fold(sum) != 0xFFFF)
        {
            return VrrpDropReason.InvalidChecksum;
        }
        else
        {
            form = VrrpChecksumMode.MessageOnly;
        }

        advertisement = new VrrpAdvertisement
        {
            Version = version,
            VirtualRouterId = message[1],
            Priority = message[2],
            AddressCount = count,
            RawInterval = interval,
            IsIPv6 = isIPv6,
            AuthenticationType = version == VrrpVersion.V2 ? (VrrpAuthenticationType)message[4] : VrrpAuthenticationType.None,
            Checksum = BinaryPrimitives.ReadUInt16BigEndian(message[6..]),
            ChecksumMode = form,
        };
        return VrrpDropReason.None;
    }

    /// <summary>The addresses of an advertisement read from <paramref name="message"/> (4 or 16 bytes each, network order).</summary>
    /// <param name="message">The message <paramref name="advertisement"/> was read from.</param>
    /// <param name="advertisement">The advertisement.</param>
    public static ReadOnlySpan<byte> GetAddresses(ReadOnlySpan<byte> message, in VrrpAdvertisement advertisement) =>
        message.Slice(HeaderLength, advertisement.AddressCount * (advertisement.IsIPv6 ? 16 : 4));

    /// <summary>The 8 bytes of VRRPv2 authentication data (empty for VRRPv3).</summary>
    /// <param name="message">The message <paramref name="advertisement"/> was read from.</param>
    /// <param name="advertisement">The advertisement.</param>
    public static ReadOnlySpan<byte> GetAuthenticationData(ReadOnlySpan<byte> message, in VrrpAdvertisement advertisement) =>
        advertisement.Version == VrrpVersion.V2
            ? message.Slice(HeaderLength + (advertisement.AddressCount * 4), AuthenticationDataLength)
            : [];

    /// <summary>Writes one advertisement and its checksum.</summary>
    /// <param name="destination">Where to write.</param>
    /// <param name="advertisement">The fields to write (its <see cref="VrrpAdvertisement.Checksum"/> is ignored).</param>
    /// <param name="addresses">The addresses, <see cref="VrrpAdvertisement.AddressCount"/> × 4 or 16 bytes, network order.</param>
    /// <param name="authenticationData">VRRPv2 simple password, at most 8 bytes, zero-padded (ignored unless type 1).</param>
    /// <param name="checksumMode">The VRRPv3 IPv4 checksum form (IPv6 always uses the pseudo-header, VRRPv2 never).</param>
    /// <param name="sourceAddress">IP source for the pseudo-header (may be empty when no pseudo-header is used).</param>
    /// <param name="destinationAddress">IP destination for the pseudo-header: the group or the unicast peer.</param>
    /// <param name="bytesWritten">The length written.</param>
    /// <returns><see langword="false"/> when <paramref name="destination"/> is too small.</returns>
    /// <exception cref="ArgumentException">The fields are inconsistent (see the message).</exception>
    public static bool TryWrite(
        Span<byte> destination,
        in VrrpAdvertisement advertisement,
        ReadOnlySpan<byte> addresses,
        ReadOnlySpan<byte> authenticationData,
        VrrpChecksumMode checksumMode,
        ReadOnlySpan<byte> sourceAddress,
        ReadOnlySpan<byte> destinationAddress,
        out int bytesWritten)
    {
        var version = advertisement.Version;
        var isIPv6 = advertisement.IsIPv6;
        if (version is not VrrpVersion.V2 and not VrrpVersion.V3)
        {
            throw new ArgumentException($"VRRP version {(int)version} is not 2 or 3.", nameof(advertisement));
        }

        if (version == VrrpVersion.V2 && isIPv6)
        {
            throw new ArgumentException("VRRPv2 carries IPv4 addresses only.", nameof(advertisement));
        }

        if (addresses.Length != advertisement.AddressCount * (isIPv6 ? 16 : 4))
        {
            throw new ArgumentException($"{advertisement.AddressCount} addresses need {advertisement.AddressCount * (isIPv6 ? 16 : 4)} bytes, got {addresses.Length}.", nameof(addresses));
        }

        var interval = advertisement.RawInterval;
        if (interval == 0 || interval > (version == VrrpVersion.V2 ? byte.MaxValue : MaxV3Interval))
        {
            throw new ArgumentException($"Interval {interval} is out of range for VRRPv{(int)version}.", nameof(advertisement));
        }

        if (authenticationData.Length > AuthenticationDataLength)
        {
            throw new ArgumentException("Authentication data is at most 8 bytes.", nameof(authenticationData));
        }

        var pseudo = version == VrrpVersion.V3 && (isIPv6 || checksumMode == VrrpChecksumMode.PseudoHeader);
        var family = isIPv6 ? 16 : 4;
        if (pseudo && (sourceAddress.Length != family || destinationAddress.Length != family))
        {
            throw new ArgumentException($"The pseudo-header needs {family}-byte source and destination addresses.", nameof(sourceAddress));
        }

        var length = GetLength(version, isIPv6, advertisement.AddressCount);
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }

        var d = destination[..length];
        d[0] = (byte)(((int)version << 4) | TypeAdvertisement);
        d[1] = advertisement.VirtualRouterId;
        d[2] = advertisement.Priority;
        d[3] = advertisement.AddressCount;
        if (version == VrrpVersion.V2)
        {
            d[4] = (byte)advertisement.AuthenticationType;
            d[5] = (byte)interval;
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(d[4..], interval);
        }

        d[6] = 0;
        d[7] = 0;
        addresses.CopyTo(d[HeaderLength..]);
        if (version == VrrpVersion.V2)
        {
            var auth = d[(HeaderLength + addresses.Length)..];
            auth.Clear();
            if (advertisement.AuthenticationType == VrrpAuthenticationType.SimplePassword)
            {
                authenticationData.CopyTo(auth);
            }
        }

        var sum = InternetChecksum.Add(0, d);
        if (pseudo)
        {
            sum = InternetChecksum.AddPseudoHeader(sum, sourceAddress, destinationAddress, length);
        }

        BinaryPrimitives.WriteUInt16BigEndian(d[6..], (ushort)~InternetChecksum.Fold(sum));
        bytesWritten = length;
        return true;
    }

    private static void ThrowBadAddresses() =>
        throw new ArgumentException("Source and destination must both be 4-byte IPv4 or both 16-byte IPv6 addresses.");
}
