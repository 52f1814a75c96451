using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Text;
using Ha.Net.HealthChecks.Probes;

namespace Ha.Net.Proxy.ProxyProtocol;

/// <summary>What <see cref="ProxyHeaderParser.Parse"/> made of the bytes a client sent first.</summary>
internal enum ProxyHeaderStatus
{
    /// <summary>The bytes so far are the start of a header: wait for more.</summary>
    Incomplete,

    /// <summary>A whole, valid header of <see cref="ProxyHeader.Length"/> bytes.</summary>
    Complete,

    /// <summary>The bytes do not start with either version's signature.</summary>
    NotProxy,

    /// <summary>A header signature followed by something the specification does not allow, or HAProxy 2.6 refuses
    /// (see <see cref="ProxyHeader.Error"/>).</summary>
    Invalid,
}

/// <summary>A parsed PROXY header: its length on the wire, and the addresses it carries.</summary>
/// <param name="Status">The outcome.</param>
/// <param name="Length">Bytes the header takes (only for <see cref="ProxyHeaderStatus.Complete"/>).</param>
/// <param name="Source">The original client; <see langword="null"/> for <c>LOCAL</c>, <c>UNKNOWN</c> and
/// families other than TCP over IPv4/IPv6, where the connection's own addresses stand.</param>
/// <param name="Destination">The address the original client connected to; null with <paramref name="Source"/>.</param>
/// <param name="Error">What is wrong, for <see cref="ProxyHeaderStatus.Invalid"/>.</param>
internal readonly record struct ProxyHeader(ProxyHeaderStatus Status, int Length = 0, IPEndPoint? Source = null, IPEndPoint? Destination = null, string? Error = null);

/// <summary>
/// Reads the PROXY protocol header a client (another proxy, a cloud load balancer) puts in front of
/// its data, version 1 or 2 (HAProxy <c>bind ... accept-proxy</c>; spec: haproxy <c>doc/proxy-protocol.txt</c>).
/// </summary>
/// <remarks>
/// The parser only looks: the caller peeks at the socket (<c>MSG_PEEK</c>), parses, and consumes
/// exactly <see cref="ProxyHeader.Length"/> bytes once the header is complete, so no byte of the
/// client's own data is taken with it (spec §2: a receiver must not read past the header).
/// </remarks>
internal static class ProxyHeaderParser
{
    /// <summary>The longest header accepted: v2 with up to 4 KiB of TLVs after the fixed part.
    /// The specification lets a receiver bound it; HAProxy's bound is its buffer size.</summary>
    public const int MaxLength = 16 + 4096;

    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    /// <summary>Parses the first bytes of a connection.</summary>
    public static ProxyHeader Parse(ReadOnlySpan<byte> data)
    {
        var v2 = ProxyProtocolHeader.V2Signature;
        if (StartsWithOrIsPrefixOf(data, v2))
        {
            return data.Length < 16 ? new ProxyHeader(ProxyHeaderStatus.Incomplete) : ParseV2(data);
        }

        if (StartsWithOrIsPrefixOf(data, V1Prefix))
        {
            return data.Length < V1Prefix.Length ? new ProxyHeader(ProxyHeaderStatus.Incomplete) : ParseV1(data);
        }

        return new ProxyHeader(ProxyHeaderStatus.NotProxy);
    }

    /// <summary>True when <paramref name="data"/> starts with <paramref name="signature"/>, or is a
    /// (non-empty) beginning of it.</summary>
    private static bool StartsWithOrIsPrefixOf(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        int n = Math.Min(data.Length, signature.Length);
        return n > 0 && data[..n].SequenceEqual(signature[..n]);
    }

    /// <summary>v1 (spec §2.1): <c>PROXY TCP4|TCP6 src dst sport dport\r\n</c> or <c>PROXY UNKNOWN ...\r\n</c>,
    /// at most 107 bytes with the CRLF.</summary>
    private static ProxyHeader ParseV1(ReadOnlySpan<byte> data)
    {
        var window = data[..Math.Min(data.Length, ProxyProtocolHeader.MaxV1Length)];
        int cr = window.IndexOf("\r\n"u8);
        if (cr < 0)
        {
            if (window.Contains((byte)'\n'))
            {
                return Invalid("v1 header: the line ends in LF without CR");
            }

            return window.Length < ProxyProtocolHeader.MaxV1Length
                ? new ProxyHeader(ProxyHeaderStatus.Incomplete)
                : Invalid($"v1 header: no CRLF within {ProxyProtocolHeader.MaxV1Length} bytes");
        }

        int length = cr + 2;
        string line = Encoding.ASCII.GetString(window[V1Prefix.Length..cr]);
        if (line.StartsWith("UNKNOWN", StringComparison.Ordinal))
        {
            // The receiver ignores the rest of the line and keeps the connection's own addresses.
            return new ProxyHeader(ProxyHeaderStatus.Complete, length);
        }

        string[] fields = line.Split(' ');
        if (fields.Length != 5)
        {
            return Invalid($"v1 header: expected 'TCP4|TCP6 <src> <dst> <sport> <dport>', got '{Printable(line)}'");
        }

        var family = fields[0] switch
        {
            "TCP4" => AddressFamily.InterNetwork,
            "TCP6" => AddressFamily.InterNetworkV6,
            _ => AddressFamily.Unknown,
        };
        if (family == AddressFamily.Unknown)
        {
            return Invalid($"v1 header: protocol '{Printable(fields[0])}' is none of TCP4, TCP6, UNKNOWN");
        }

        if (!TryAddress(fields[1], family, out var source))
        {
            return Invalid($"v1 header: source address '{Printable(fields[1])}' is not {(family == AddressFamily.InterNetwork ? "an IPv4" : "an IPv6")} address");
        }

        if (!TryAddress(fields[2], family, out var destination))
        {
            return Invalid($"v1 header: destination address '{Printable(fields[2])}' is not {(family == AddressFamily.InterNetwork ? "an IPv4" : "an IPv6")} address");
        }

        if (!TryPort(fields[3], out int sourcePort))
        {
            return Invalid($"v1 header: source port '{Printable(fields[3])}' is not 0-65535");
        }

        if (!TryPort(fields[4], out int destinationPort))
        {
            return Invalid($"v1 header: destination port '{Printable(fields[4])}' is not 0-65535");
        }

        return new ProxyHeader(ProxyHeaderStatus.Complete, length, new IPEndPoint(source, sourcePort), new IPEndPoint(destination, destinationPort));
    }

    /// <summary>v2 (spec §2.2): 12-byte signature, version/command, family/transport, length
    /// (big endian), then addresses and TLVs, refused where HAProxy 2.6 refuses them.</summary>
    private static ProxyHeader ParseV2(ReadOnlySpan<byte> data)
    {
        byte versionCommand = data[12];
        if (versionCommand >> 4 != 2)
        {
            return Invalid($"v2 header: version {versionCommand >> 4} (byte 13 = 0x{versionCommand:x2}), expected 2");
        }

        int command = versionCommand & 0x0F;
        if (command > 1)
        {
            return Invalid($"v2 header: command {command} (byte 13 = 0x{versionCommand:x2}) is neither LOCAL (0) nor PROXY (1)");
        }

        int addressLength = BinaryPrimitives.ReadUInt16BigEndian(data[14..]);
        int length = 16 + addressLength;
        if (length > MaxLength)
        {
            return Invalid($"v2 header: length {addressLength} (bytes 15-16) exceeds the {MaxLength - 16} accepted");
        }

        if (data.Length < length)
        {
            return new ProxyHeader(ProxyHeaderStatus.Incomplete);
        }

        byte familyTransport = data[13];
        if (command == 0)
        {
            // LOCAL: the sender's own connection (a health check); its addresses stand. HAProxy 2.6
            // reads neither its family nor its TLVs, so any of either is taken.
            return new ProxyHeader(ProxyHeaderStatus.Complete, length);
        }

        // What follows is HAProxy 2.6's conn_recv_proxy (src/connection.c): for PROXY, only TCP over
        // IPv4 or IPv6 gives addresses and a place where TLVs start; TLVs must tile the rest exactly.
        var header = data[..length];
        IPEndPoint? source = null, destination = null;
        int tlvOffset;
        switch (familyTransport)
        {
            case 0x11:
                if (addressLength < 12)
                {
                    return Invalid($"v2 header: TCP over IPv4 needs 12 address bytes, length is {addressLength}");
                }

                source = new IPEndPoint(new IPAddress(header.Slice(16, 4)), BinaryPrimitives.ReadUInt16BigEndian(header[24..]));
                destination = new IPEndPoint(new IPAddress(header.Slice(20, 4)), BinaryPrimitives.ReadUInt16BigEndian(header[26..]));
                tlvOffset = 16 + 12;
                break;
            case 0x21:
                if (addressLength < 36)
                {
                    return Invalid($"v2 header: TCP over IPv6 needs 36 address bytes, length is {addressLength}");
                }

                source = new IPEndPoint(new IPAddress(header.Slice(16, 16)), BinaryPrimitives.ReadUInt16BigEndian(header[48..]));
                destination = new IPEndPoint(new IPAddress(header.Slice(32, 16)), BinaryPrimitives.ReadUInt16BigEndian(header[50..]));
                tlvOffset = 16 + 36;
                break;
            default:
                // Any other family or transport (UNSPEC, UDP, UNIX, or none the specification
                // defines): HAProxy 2.6 sets no TLV start, so its TLV walk starts at byte 0, where the
                // signature reads as a TLV of type 0x0D and 0x0A0D = 2573 bytes. A shorter header
                // overruns it and is refused; a longer one (length 2560 or more) goes on being walked,
                // and if its TLVs land on the end it is taken, keeping the connection's own addresses.
                if (length < TlvHeaderLength + 0x0A0D)
                {
                    return Invalid($"v2 header: family/transport 0x{familyTransport:x2} (byte 14) is neither TCP over IPv4 (0x11) nor TCP over IPv6 (0x21), which the PROXY command needs");
                }

                tlvOffset = 0;
                break;
        }

        string? error = CheckTlvs(header, tlvOffset);
        return error is null ? new ProxyHeader(ProxyHeaderStatus.Complete, length, source, destination) : Invalid(error);
    }

    /// <summary>A TLV's type (1 byte) and length (2, big endian) before its value.</summary>
    private const int TlvHeaderLength = 3;

    /// <summary>Walks the TLVs of a v2 PROXY header from <paramref name="offset"/> to its end as HAProxy 2.6
    /// does: each must fit in what is left; the types it reads must be well formed (AUTHORITY at most
    /// 255 bytes, UNIQUE_ID at most 128, CRC32C 4 bytes and the header's checksum); the rest are skipped.</summary>
    /// <returns>What is wrong, or <see langword="null"/>.</returns>
    private static string? CheckTlvs(ReadOnlySpan<byte> header, int offset)
    {
        byte[]? zeroedCrcs = null;
        while (offset < header.Length)
        {
            int left = header.Length - offset;
            if (left < TlvHeaderLength)
            {
                return $"v2 header: {left} byte{(left == 1 ? "" : "s")} at byte {offset + 1}, too few for a TLV's type and length ({TlvHeaderLength} bytes)";
            }

            byte type = header[offset];
            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(header[(offset + 1)..]);
            if (valueLength > left - TlvHeaderLength)
            {
                return $"v2 header: TLV type 0x{type:x2} at byte {offset + 1} declares {valueLength} bytes, {left - TlvHeaderLength} left";
            }

            int valueOffset = offset + TlvHeaderLength;
            switch (type)
            {
                case 0x02 when valueLength > 255:
                    return $"v2 header: AUTHORITY TLV (0x02) of {valueLength} bytes, more than 255";
                case 0x05 when valueLength > 128:
                    return $"v2 header: UNIQUE_ID TLV (0x05) of {valueLength} bytes, more than 128";
                case 0x03:
                    if (valueLength != 4)
                    {
                        return $"v2 header: CRC32C TLV (0x03) of {valueLength} bytes, not 4";
                    }

                    // The checksum of the whole header with this value as zeros; HAProxy zeroes it in
                    // place, so a further CRC32C TLV is checked with this one zeroed too.
                    zeroedCrcs ??= header.ToArray();
                    uint stated = BinaryPrimitives.ReadUInt32BigEndian(zeroedCrcs.AsSpan(valueOffset));
                    zeroedCrcs.AsSpan(valueOffset, 4).Clear();
                    uint actual = Crc32C(zeroedCrcs);
                    if (stated != actual)
                    {
                        return $"v2 header: CRC32C TLV (0x03) says 0x{stated:x8}, the header's is 0x{actual:x8}";
                    }

                    break;
            }

            offset = valueOffset + valueLength;
        }

        return null;
    }

    /// <summary>CRC-32C (Castagnoli) as HAProxy's <c>hash_crc32c</c>: initial and final XOR with all ones.</summary>
    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = uint.MaxValue;
        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }

    private static bool TryAddress(string text, AddressFamily family, out IPAddress address)
    {
        address = IPAddress.None;
        if (text.Length == 0 || text.Contains('%', StringComparison.Ordinal))
        {
            return false;
        }

        if (family == AddressFamily.InterNetwork)
        {
            // Strictly a dotted quad: IPAddress.TryParse also takes "10.1" and "0x0a000001".
            var parts = text.Split('.');
            if (parts.Length != 4)
            {
                return false;
            }

            foreach (var part in parts)
            {
                if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit))
                {
                    return false;
                }
            }
        }

        return IPAddress.TryParse(text, out address!) && address.AddressFamily == family;
    }

    private static bool TryPort(string text, out int port)
    {
        port = 0;
        return text.Length is > 0 and <= 5 && text.All(char.IsAsciiDigit)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535;
    }

    private static ProxyHeader Invalid(string error) => new(ProxyHeaderStatus.Invalid, Error: error);

    /// <summary>A header field as it can be quoted in a log line: control characters escaped, long ones cut.</summary>
    private static string Printable(string text)
    {
        var builder = new StringBuilder();
        foreach (char c in text.Length > 48 ? text[..48] : text)
        {
            builder.Append(c is >= ' ' and < (char)127 ? c.ToString() : $"\\x{(int)c:x2}");
        }

        return text.Length > 48 ? builder.Append("...").ToString() : builder.ToString();
    }
}
