using System.Net;

namespace Ha.Net.Vrrp.Transport;

/// <summary>
/// Sends and receives VRRP messages (the IP payload of protocol 112) on one link.
/// </summary>
/// <remarks>
/// The transport owns the IP envelope: it sends with TTL/hop limit 255 to the destination it is
/// given (the VRRP multicast group or a unicast peer) from <see cref="LocalAddress"/>, and it
/// reports the IP source, destination and TTL of every message it receives so the host can check
/// them (RFC 3768 §7.1) and verify VRRPv3 checksums that cover an IPv4 pseudo-header.
/// Implementations must be safe for one concurrent sender and one concurrent receiver.
/// </remarks>
public interface IVrrpTransport : IAsyncDisposable
{
    /// <summary>The address used as the IP source of sent advertisements (the interface's primary address, or <c>unicast_src_ip</c>).</summary>
    IPAddress LocalAddress { get; }

    /// <summary>Sends one VRRP message (no IP header) to <paramref name="destination"/>.</summary>
    /// <param name="message">The VRRP message, checksum already computed for this destination.</param>
    /// <param name="destination">The VRRP multicast group (224.0.0.18, ff02::12) or a unicast peer.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    ValueTask SendAsync(ReadOnlyMemory<byte> message, IPAddress destination, CancellationToken cancellationToken);

    /// <summary>Receives the next VRRP message into <paramref name="buffer"/> (IP header stripped).</summary>
    /// <param name="buffer">Where the VRRP message is written.</param>
    /// <param name="cancellationToken">Cancels the receive.</param>
    /// <returns>The length and the IP envelope facts of the received message.</returns>
    ValueTask<VrrpReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);
}

/// <summary>One received VRRP message: its length and the facts of its IP envelope.</summary>
/// <param name="BytesReceived">Length of the VRRP message written to the buffer (IP header excluded).</param>
/// <param name="Source">IP source address of the packet.</param>
/// <param name="Destination">IP destination address of the packet (multicast group or our unicast address).</param>
/// <param name="TimeToLive">IPv4 TTL or IPv6 hop limit the packet arrived with.</param>
public readonly record struct VrrpReceiveResult(int BytesReceived, IPAddress Source, IPAddress Destination, byte TimeToLive);
