using System.Net;
using FsCheck.Xunit;
using Ha.Net.Vrrp.Linux.Lab;
using Ha.Net.Vrrp.Linux.Transport;
using TestData = Ha.Net.Vrrp.Linux.Lab.TestData;

namespace Ha.Net.Vrrp.Linux.Tests.Transport;

public class VrrpEnvelopeTests
{
    [Theory]
    [InlineData(TestData.V2AuthPassPacket, TestData.V2AuthPass)]
    [InlineData(TestData.V3Packet, TestData.V3)]
    public void Keepalived_packets_yield_their_message_and_envelope(string packetHex, string messageHex)
    {
        var packet = Convert.FromHexString(packetHex);

        var reason = VrrpEnvelope.ParseIPv4(packet, out var offset, out var length, out var ttl, out var source, out var destination);

        Assert.Equal(EnvelopeDropReason.None, reason);
        Assert.Equal(Convert.FromHexString(messageHex), packet.AsSpan(offset, length).ToArray());
        Assert.Equal(255, ttl);
        Assert.Equal(IPAddress.Parse("198.18.0.11"), VrrpEnvelope.ToAddress(source));
        Assert.Equal(IPAddress.Parse("224.0.0.18"), VrrpEnvelope.ToAddress(destination));
    }

    [Fact]
    public void Ethernet_padding_after_the_total_length_is_ignored()
    {
        var packet = Convert.FromHexString(TestData.V3Packet + "000000000000000000000000000000");
        Assert.Equal(EnvelopeDropReason.None, VrrpEnvelope.ParseIPv4(packet, out _, out var length, out _, out _, out _));
        Assert.Equal(12, length);
    }

    [Fact]
    public void Written_header_is_keepalived_s()
    {
        var header = new byte[20];
        VrrpEnvelope.WriteIPv4Header(header, 20, 255, IPAddress.Parse("198.18.0.11").GetAddressBytes(), IPAddress.Parse("224.0.0.18").GetAddressBytes());
        // As captured, except the id (kernel-chosen) and header checksum (kernel-computed), both zero here.
        Assert.Equal(Convert.FromHexString("45c00028" + "0000" + "0000" + "ff70" + "0000" + "c612000b" + "e0000012"), header);
    }

    [Theory]
    [InlineData(0, 0x46, nameof(EnvelopeDropReason.BadLength))]   // IHL 6 (24-byte header) but total length 22
    [InlineData(0, 0x65, nameof(EnvelopeDropReason.NotIPv4))]
    [InlineData(9, 51, nameof(EnvelopeDropReason.NotVrrp))]       // AH
    [InlineData(6, 0x20, nameof(EnvelopeDropReason.Fragment))]    // more fragments
    public void Bad_envelopes_have_a_reason(int index, byte value, string expectedName)
    {
        var expected = Enum.Parse<EnvelopeDropReason>(expectedName);
        var packet = Convert.FromHexString(TestData.V3Packet);
        packet[index] = value;
        if (expected == EnvelopeDropReason.BadLength)
        {
            packet[3] = 22; // total length 22 < 24-byte header
        }

        Assert.Equal(expected, VrrpEnvelope.ParseIPv4(packet, out _, out _, out _, out _, out _));
    }

    [Fact]
    public void Every_truncation_is_refused_with_a_reason()
    {
        var packet = Convert.FromHexString(TestData.V2AuthPassPacket);
        for (var n = 0; n < packet.Length; n++)
        {
            var reason = VrrpEnvelope.ParseIPv4(packet.AsSpan(0, n), out _, out _, out _, out _, out _);
            Assert.True(reason is EnvelopeDropReason.Truncated or EnvelopeDropReason.BadLength, $"{n} bytes: {reason}");
        }
    }

    [Property]
    public bool Any_bytes_are_parsed_or_refused_without_an_exception(byte[] bytes)
    {
        var reason = VrrpEnvelope.ParseIPv4(bytes, out var offset, out var length, out _, out _, out _);
        return reason != EnvelopeDropReason.None || (offset >= 20 && offset + length <= bytes.Length);
    }

    [Fact]
    public void Ancillary_data_yields_hop_limit_and_destination()
    {
        // Two cmsgs as glibc x86-64 lays them out: cmsghdr {size_t len; int level; int type;} + data, CMSG_ALIGN 8.
        var control = new byte[64];
        BitConverter.TryWriteBytes(control.AsSpan(0), 20L);   // CMSG_LEN(4)
        BitConverter.TryWriteBytes(control.AsSpan(8), 41);
        BitConverter.TryWriteBytes(control.AsSpan(12), 52);   // IPV6_HOPLIMIT
        BitConverter.TryWriteBytes(control.AsSpan(16), 255);
        BitConverter.TryWriteBytes(control.AsSpan(24), 36L);  // CMSG_LEN(20)
        BitConverter.TryWriteBytes(control.AsSpan(32), 41);
        BitConverter.TryWriteBytes(control.AsSpan(36), 50);   // IPV6_PKTINFO
        IPAddress.Parse("ff02::12").GetAddressBytes().CopyTo(control, 40);
        byte hop = 0;
        IPAddress? destination = null;

        RawIPv6VrrpTransport.ParseControl(control.AsSpan(0, 60), ref hop, ref destination);

        Assert.Equal(255, hop);
        Assert.Equal(IPAddress.Parse("ff02::12"), destination);
    }

    [Fact]
    public void Options_default_to_the_vrrp_groups_and_validate()
    {
        var v4 = new RawVrrpTransportOptions { InterfaceName = "eth0" };
        var v6 = v4 with { AddressFamily = System.Net.Sockets.AddressFamily.InterNetworkV6 };
        Assert.Empty(v4.Validate());
        Assert.Empty(v6.Validate());
        Assert.Equal(IPAddress.Parse("224.0.0.18"), v4.EffectiveMulticastGroup);
        Assert.Equal(IPAddress.Parse("ff02::12"), v6.EffectiveMulticastGroup);
        Assert.False(v4.IsUnicast);
        Assert.True((v4 with { UnicastPeers = [IPAddress.Parse("198.18.0.2")] }).IsUnicast);
        Assert.Contains(new RawVrrpTransportOptions().Validate(), e => e.StartsWith("InterfaceName", StringComparison.Ordinal));
    }
}
