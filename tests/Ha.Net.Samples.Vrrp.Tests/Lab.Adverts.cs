using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Ha.Net.Samples.Vrrp.Tests;

internal sealed partial class Lab
{
    /// <summary>
    /// Puts one VRRPv2 advertisement on the wire out of vd1 (so vd0 receives it): IPv4 from 198.18.0.2 (an address no
    /// interface holds) to 224.0.0.18, TTL 255, protocol 112, one VIP, no authentication, a valid checksum. The IP
    /// header is the test's own (IPPROTO_RAW); the kernel fills its checksum.
    /// </summary>
    public Task SendAdvertFromVd1Async(int vrid, int priority, int advertIntervalSeconds, IPAddress vip) => InNamespaceAsync(() =>
    {
        var vrrp = new byte[20];
        vrrp[0] = 0x21; // version 2, type 1 (ADVERTISEMENT)
        vrrp[1] = (byte)vrid;
        vrrp[2] = (byte)priority;
        vrrp[3] = 1; // address count
        vrrp[4] = 0; // auth type none
        vrrp[5] = (byte)advertIntervalSeconds;
        vip.GetAddressBytes().CopyTo(vrrp, 8);
        BinaryPrimitives.WriteUInt16BigEndian(vrrp.AsSpan(6), Checksum(vrrp));

        var packet = new byte[20 + vrrp.Length];
        packet[0] = 0x45;
        packet[1] = 0xc0;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 255; // TTL
        packet[9] = 112; // VRRP
        IPAddress.Parse("198.18.0.2").GetAddressBytes().CopyTo(packet, 12);
        IPAddress.Parse("224.0.0.18").GetAddressBytes().CopyTo(packet, 16);
        vrrp.CopyTo(packet, 20);

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Raw);
        socket.SetRawSocketOption(1 /* SOL_SOCKET */, 25 /* SO_BINDTODEVICE */, "vd1\0"u8);
        socket.SendTo(packet, new IPEndPoint(IPAddress.Parse("224.0.0.18"), 0));
        return 0;
    });

    private static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
