using System.Buffers.Binary;
using FsCheck;
using FsCheck.Xunit;
using Ha.Net.Vrrp.Linux.Signals;
using TestData = Ha.Net.Vrrp.Linux.Lab.TestData;

namespace Ha.Net.Vrrp.Linux.Tests.Signals;

/// <summary>The priority-0 advert the SIGTERM handler sends is the armed advert with priority 0 and a valid checksum.</summary>
public class StopAdvertsTests
{
    [Theory]
    [InlineData(TestData.V2AuthPassPacket, 2)]
    [InlineData(TestData.V3Packet, 3)]
    public void Keepalived_adverts_become_valid_priority_zero_adverts(string packetHex, int version)
    {
        var packet = Convert.FromHexString(packetHex);
        var vrrp = packet.AsSpan(20);
        var before = vrrp.ToArray();

        StopAdverts.PriorityZero(vrrp);

        Assert.Equal(0, vrrp[2]);
        Assert.True(ChecksumIsValid(packet, version), "checksum");
        for (var i = 0; i < vrrp.Length; i++)
        {
            if (i is not (2 or 6 or 7))
            {
                Assert.Equal(before[i], vrrp[i]);
            }
        }
    }

    [Property(MaxTest = 500)]
    public void Any_priority_and_addresses_give_the_checksum_a_full_computation_gives(byte priority, byte vrid, uint address, bool v3)
    {
        var p = Math.Max((byte)1, priority);
        var packet = Convert.FromHexString(v3 ? TestData.V3Packet : TestData.V2AuthPassPacket);
        var vrrp = packet.AsSpan(20);
        vrrp[1] = vrid;
        vrrp[2] = p;
        BinaryPrimitives.WriteUInt32BigEndian(vrrp[8..], address);
        WriteChecksum(packet, v3 ? 3 : 2);

        StopAdverts.PriorityZero(vrrp);

        var expected = packet.ToArray();
        expected[22] = 0;
        WriteChecksum(expected, v3 ? 3 : 2);
        Assert.Equal(expected, packet);
    }

    private static bool ChecksumIsValid(byte[] packet, int version) => Sum(packet, version) == 0xFFFF;

    private static void WriteChecksum(byte[] packet, int version)
    {
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(26), 0);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(26), (ushort)~Sum(packet, version));
    }

    /// <summary>The one's-complement sum over the VRRP message, and for v3 the IPv4 pseudo-header (RFC 5798 §5.2.8).</summary>
    private static ushort Sum(byte[] packet, int version)
    {
        uint sum = 0;
        var vrrp = packet.AsSpan(20);
        for (var i = 0; i + 1 < vrrp.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(vrrp[i..]);
        }

        if (version == 3)
        {
            for (var i = 12; i < 20; i += 2)
            {
                sum += BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(i));
            }

            sum += 112;
            sum += (uint)vrrp.Length;
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)sum;
    }
}
