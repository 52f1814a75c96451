using System.Buffers.Binary;

namespace Ha.Net.Vrrp.Wire;

/// <summary>The RFC 1071 Internet checksum: 16-bit one's complement of the one's complement sum.</summary>
internal static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/> as big-endian 16-bit words to <paramref name="sum"/> (odd tail padded with zero).</summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            var v = BinaryPrimitives.ReadUInt64BigEndian(data);
            sum += (v >> 48) + ((v >> 32) & 0xFFFF) + ((v >> 16) & 0xFFFF) + (v & 0xFFFF);
            data = data[8..];
        }

        while (data.Length >= 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data);
            data = data[2..];
        }

        if (data.Length == 1)
        {
            sum += (ulong)data[0] << 8;
        }

        return sum;
    }

    /// <summary>Folds a running sum to 16 bits (end-around carry).</summary>
    public static ushort Fold(ulong sum)
    {
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)sum;
    }

    /// <summary>Adds the pseudo-header that precedes a VRRP message: RFC 768-style for IPv4, RFC 8200 §8.1 for IPv6.</summary>
    public static ulong AddPseudoHeader(ulong sum, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, int length)
    {
        sum = Add(sum, source);
        sum = Add(sum, destination);
        // IPv4: zero, protocol, 16-bit length. IPv6: 32-bit length, three zeros, next header.
        // Both sum to the same words: protocol + length (length < 65536).
        return sum + VrrpPacket.IPProtocol + (ulong)length;
    }
}
