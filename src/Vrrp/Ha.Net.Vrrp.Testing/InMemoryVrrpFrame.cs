using System.Net;

namespace Ha.Net.Vrrp.Testing;

/// <summary>One advert sent on an <see cref="InMemoryVrrpNetwork"/> (see <see cref="InMemoryVrrpNetwork.RecordTraffic"/>).</summary>
/// <param name="Time">The network clock's time when it was sent.</param>
/// <param name="Source">The sender's address.</param>
/// <param name="Destination">The IP destination: the VRRP multicast group or a unicast peer.</param>
/// <param name="Message">The VRRP message (no IP header).</param>
public sealed record InMemoryVrrpFrame(DateTimeOffset Time, IPAddress Source, IPAddress Destination, ReadOnlyMemory<byte> Message);
