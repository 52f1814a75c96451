using System.Buffers.Binary;
using System.Net;

namespace Ha.Net.Vrrp.Linux.Transport;

/// <summary>Why the transport dropped a packet before the engine saw it (the <c>reason</c> tag of <c>hanet.vrrp.transport.dropped</c>).</summary>
internal enum EnvelopeDropReason
{
    None,
    Truncated,
    NotIPv4,
    NotVrrp,
    Fragment,
    BadLength,
    WrongTtl,
    UnexpectedMulticast,
    UnexpectedUnicast,
    UnknownPeer,
    TooLarge,
}

/// <summary>
/// The IPv4 envelope of a received VRRP packet, read from the header a raw IPv4 socket delivers
/// (RFC 791 §3.1):
/// <code>
///  0                   1                   2                   3
/// |Version|  IHL  |Type of Service|          Total Length         |
/// |         Identification        |Flags|      Fragment Offset    |
/// |  Time to Live |    Protocol   |         Header Checksum       |
/// |                       Source Address                          |
/// |                    Destination Address                        |
/// |                    Options (IHL > 5)                          |
/// </code>
/// The kernel has already verified the header checksum; Ethernet padding after Total Length is ignored.
/// </summary>
internal static class VrrpEnvelope
{
    public const int IPv4HeaderLength = 20;

    public static EnvelopeDropReason ParseIPv4(ReadOnlySpan<byte> packet, out int payloadOffset, out int payloadLength, out byte ttl, out uint source, out uint destination)
    {
        payloadOffset = payloadLength = 0;
        ttl = 0;
        source = destination = 0;
        if (packet.Length < IPv4HeaderLength)
        {
            return EnvelopeDropReason.Truncated;
        }

        if (packet[0] >> 4 != 4)
        {
            return EnvelopeDropReason.NotIPv4;
        }

        var headerLength = (packet[0] & 0x0F) * 4;
        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        if (headerLength < IPv4HeaderLength || totalLength < headerLength || totalLength > packet.Length)
        {
            return EnvelopeDropReason.BadLength;
        }

        if (packet[9] != LinuxVrrpNames.IpProtocolVrrp)
        {
            return EnvelopeDropReason.NotVrrp;
        }

        // More-fragments set or a non-zero offset: VRRP adverts are never fragmented.
        if ((BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3FFF) != 0)
        {
            return EnvelopeDropReason.Fragment;
        }

        ttl = packet[8];
        source = BinaryPrimitives.ReadUInt32BigEndian(packet[12..]);
        destination = BinaryPrimitives.ReadUInt32BigEndian(packet[16..]);
        payloadOffset = headerLength;
        payloadLength = totalLength - headerLength;
        return EnvelopeDropReason.None;
    }

    /// <summary>Writes the 20-byte header keepalived sends (ka: vrrp_build_ip4): TOS 0xC0, id 0 (the kernel picks one), no DF, protocol 112; the kernel fills the checksum.</summary>
    public static void WriteIPv4Header(Span<byte> header, int payloadLength, byte ttl, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte typeOfService = 0xC0)
    {
        header[0] = 0x45;
        header[1] = typeOfService;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(IPv4HeaderLength + payloadLength));
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], 0);
        header[8] = ttl;
        header[9] = LinuxVrrpNames.IpProtocolVrrp;
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], 0);
        source.CopyTo(header[12..]);
        destination.CopyTo(header[16..]);
    }

    public static bool IsIPv4Multicast(uint address) => (address & 0xF0000000) == 0xE0000000;

    public static IPAddress ToAddress(uint address)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, address);
        return new IPAddress(bytes);
    }

    public static uint ToUInt32(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }
}
