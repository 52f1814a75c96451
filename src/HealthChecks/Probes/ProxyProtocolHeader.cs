using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ha.Net.HealthChecks.Probes;

/// <summary>
/// Writes the PROXY protocol header (spec: haproxy <c>doc/proxy-protocol.txt</c>) that a proxy sends to a server
/// before any client byte (HAProxy <c>send-proxy</c> / <c>send-proxy-v2</c>) and that a health probe sends first
/// with <see cref="NetworkProbeOptions.SendProxy"/>: v1, the text line, or v2, the binary header with command PROXY.
/// </summary>
public static class ProxyProtocolHeader
{
    /// <summary>Longest v1 line, CRLF included (spec §2.1).</summary>
    public const int MaxV1Length = 107;

    /// <summary>v2 header with IPv6 addresses: 16 fixed + 36 address bytes (spec §2.2).</summary>
    public const int MaxV2Length = 16 + 36;

    /// <summary>The 12-byte v2 signature <c>\r\n\r\n\0\r\nQUIT\n</c> (spec §2.2).</summary>
    public static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>The longest header of <paramref name="version"/>: a buffer of this size always fits it.</summary>
    /// <param name="version">The version.</param>
    /// <returns>The length in bytes; 0 for <see cref="ProxyProtocolVersion.None"/>.</returns>
    public static int MaxLength(ProxyProtocolVersion version) => version switch
    {
        ProxyProtocolVersion.V1 => MaxV1Length,
        ProxyProtocolVersion.V2 => MaxV2Length,
        _ => 0,
    };

    /// <summary>Writes the header for a connection from <paramref name="source"/> (the client) to
    /// <paramref name="destination"/> (the address the client connected to).</summary>
    /// <param name="version">The version; <see cref="ProxyProtocolVersion.None"/> writes nothing.</param>
    /// <param name="source">The client's address and port.</param>
    /// <param name="destination">The address and port the client connected to.</param>
    /// <param name="buffer">Where to write; at least <see cref="MaxLength"/> bytes.</param>
    /// <returns>The number of bytes written.</returns>
    public static int Write(ProxyProtocolVersion version, IPEndPoint source, IPEndPoint destination, Span<byte> buffer) => version switch
    {
        ProxyProtocolVersion.V1 => WriteV1(source, destination, buffer),
        ProxyProtocolVersion.V2 => WriteV2(source, destination, buffer),
        _ => 0,
    };

    /// <summary>
    /// v1 (spec §2.1): <c>PROXY TCP4|TCP6 src dst sport dport\r\n</c>. Mixed families are sent as
    /// TCP6 with IPv4-mapped addresses.
    /// </summary>
    /// <param name="source">The client's address and port.</param>
    /// <param name="destination">The address and port the client connected to.</param>
    /// <param name="buffer">Where to write; at least <see cref="MaxV1Length"/> bytes.</param>
    /// <returns>The number of bytes written.</returns>
    public static int WriteV1(IPEndPoint source, IPEndPoint destination, Span<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        var (src, dst) = Normalize(source.Address, destination.Address);
        string family = src.AddressFamily == AddressFamily.InterNetwork ? "TCP4" : "TCP6";
        string line = string.Create(CultureInfo.InvariantCulture,
            $"PROXY {family} {src} {dst} {source.Port} {destination.Port}\r\n");
        return Encoding.ASCII.GetBytes(line, buffer);
    }

    /// <summary>
    /// v2 (spec §2.2): signature, version 2 + command PROXY (0x21), family/transport
    /// (0x11 TCP over IPv4, 0x21 TCP over IPv6), address length (big endian), then source address,
    /// destination address, source port, destination port.
    /// </summary>
    /// <param name="source">The client's address and port.</param>
    /// <param name="destination">The address and port the client connected to.</param>
    /// <param name="buffer">Where to write; at least <see cref="MaxV2Length"/> bytes.</param>
    /// <returns>The number of bytes written.</returns>
    public static int WriteV2(IPEndPoint source, IPEndPoint destination, Span<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        var (src, dst) = Normalize(source.Address, destination.Address);
        bool v4 = src.AddressFamily == AddressFamily.InterNetwork;
        int addressLength = v4 ? 12 : 36;
        int size = addressLength == 12 ? 4 : 16;
        V2Signature.CopyTo(buffer);
        buffer[12] = 0x21;
        buffer[13] = v4 ? (byte)0x11 : (byte)0x21;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[14..], (ushort)addressLength);
        var addresses = buffer[16..];
        if (!src.TryWriteBytes(addresses, out _) || !dst.TryWriteBytes(addresses[size..], out _))
        {
            throw new InvalidOperationException("PROXY v2 address did not fit.");
        }

        BinaryPrimitives.WriteUInt16BigEndian(addresses[(2 * size)..], (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(addresses[((2 * size) + 2)..], (ushort)destination.Port);
        return 16 + addressLength;
    }

    private static (IPAddress Source, IPAddress Destination) Normalize(IPAddress source, IPAddress destination)
    {
        if (source.IsIPv4MappedToIPv6)
        {
            source = source.MapToIPv4();
        }

        if (destination.IsIPv4MappedToIPv6)
        {
            destination = destination.MapToIPv4();
        }

        if (source.AddressFamily != destination.AddressFamily)
        {
            source = source.MapToIPv6();
            destination = destination.MapToIPv6();
        }

        return (source, destination);
    }
}
