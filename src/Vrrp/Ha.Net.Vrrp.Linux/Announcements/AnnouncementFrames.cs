using System.Buffers.Binary;
using System.Net;

namespace Ha.Net.Vrrp.Linux.Announcements;

/// <summary>The frames that move a virtual address to this host in neighbours' caches.</summary>
internal static class AnnouncementFrames
{
    public const int GratuitousArpLength = 42;
    public const int NeighbourAdvertisementLength = 32;

    /// <summary>
    /// keepalived's gratuitous ARP (ka: send_gratuitous_arp_immediate; capture in vrrp-anchors.md §1.5):
    /// an ARP <em>request</em> with sender IP = target IP = the VIP, target MAC broadcast, from the interface's MAC.
    /// <code>
    /// | dst ff:ff:ff:ff:ff:ff | src MAC | 0806 |
    /// | htype 0001 | ptype 0800 | hlen 06 | plen 04 | op 0001 |
    /// | sha MAC | spa VIP | tha ff:ff:ff:ff:ff:ff | tpa VIP |
    /// </code>
    /// </summary>
    public static int WriteGratuitousArp(Span<byte> frame, ReadOnlySpan<byte> mac, IPAddress address)
    {
        if (mac.Length != 6)
        {
            throw new ArgumentException($"An Ethernet MAC has 6 bytes, not {mac.Length}.", nameof(mac));
        }

        Span<byte> ip = stackalloc byte[4];
        if (!address.TryWriteBytes(ip, out var n) || n != 4)
        {
            throw new ArgumentException($"{address} is not an IPv4 address.", nameof(address));
        }

        frame[..6].Fill(0xFF);
        mac.CopyTo(frame[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], 0x0806);
        BinaryPrimitives.WriteUInt16BigEndian(frame[14..], 1); // Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(frame[16..], 0x0800); // IPv4
        frame[18] = 6;
        frame[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(frame[20..], 1); // request
        mac.CopyTo(frame[22..]);
        ip.CopyTo(frame[28..]);
        frame[32..38].Fill(0xFF);
        ip.CopyTo(frame[38..]);
        return GratuitousArpLength;
    }

    /// <summary>
    /// An unsolicited Neighbour Advertisement (RFC 4861 §4.4, §7.2.6) as keepalived sends for IPv6
    /// VIPs (ka: ndisc_send_unsolicited_na): ICMPv6 type 136, Override set (Router when forwarding),
    /// target = the VIP, a Target Link-Layer Address option with the interface's MAC. The checksum is
    /// left zero: a raw ICMPv6 socket has the kernel fill it.
    /// <code>
    /// | 136 | 0 | checksum | R S O reserved (32 bits) | target address (16) | 2 | 1 | MAC (6) |
    /// </code>
    /// </summary>
    public static int WriteNeighbourAdvertisement(Span<byte> message, ReadOnlySpan<byte> mac, IPAddress address, bool router)
    {
        Span<byte> ip = stackalloc byte[16];
        if (!address.TryWriteBytes(ip, out var n) || n != 16)
        {
            throw new ArgumentException($"{address} is not an IPv6 address.", nameof(address));
        }

        message[..NeighbourAdvertisementLength].Clear();
        message[0] = 136;
        message[4] = (byte)(0x20 | (router ? 0x80 : 0)); // Override (+ Router)
        ip.CopyTo(message[8..]);
        message[24] = 2; // Target Link-Layer Address
        message[25] = 1; // 8 bytes
        mac.CopyTo(message[26..]);
        return NeighbourAdvertisementLength;
    }
}
