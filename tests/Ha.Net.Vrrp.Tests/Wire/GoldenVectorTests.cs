using System.Net;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Vrrp.Tests.Wire;

public class GoldenVectorTests
{
    private static VrrpAdvertisement ReadValid(KeepalivedCaptures.Capture c)
    {
        var reason = VrrpPacket.Read(c.Bytes, c.SourceBytes, c.DestinationBytes, out var advert);
        Assert.Equal(VrrpDropReason.None, reason);
        return advert;
    }

    [Fact]
    public void Read_V2AuthPass_DecodesEveryField()
    {
        var c = KeepalivedCaptures.V2AuthPass;
        var a = ReadValid(c);
        Assert.Equal(VrrpVersion.V2, a.Version);
        Assert.Equal(51, a.VirtualRouterId);
        Assert.Equal(101, a.Priority);
        Assert.Equal(1, a.AddressCount);
        Assert.Equal(VrrpAuthenticationType.SimplePassword, a.AuthenticationType);
        Assert.Equal(TimeSpan.FromSeconds(1), a.Interval);
        Assert.Equal(0x0da5, a.Checksum);
        Assert.Equal(IPAddress.Parse("198.18.0.100"), new IPAddress(VrrpPacket.GetAddresses(c.Bytes, a)));
        Assert.Equal("hbsecret"u8.ToArray(), VrrpPacket.GetAuthenticationData(c.Bytes, a).ToArray());
    }

    [Fact]
    public void Read_V2NoAuth_HasEightZeroAuthBytes()
    {
        var c = KeepalivedCaptures.V2NoAuth;
        var a = ReadValid(c);
        Assert.Equal(VrrpAuthenticationType.None, a.AuthenticationType);
        Assert.Equal(new byte[8], VrrpPacket.GetAuthenticationData(c.Bytes, a).ToArray());
        Assert.Equal(20, a.Length);
    }

    [Fact]
    public void Read_V3_UsesThePseudoHeaderForm()
    {
        var a = ReadValid(KeepalivedCaptures.V3);
        Assert.Equal(VrrpVersion.V3, a.Version);
        Assert.Equal(100, a.RawInterval);
        Assert.Equal(TimeSpan.FromSeconds(1), a.Interval);
        Assert.Equal(VrrpChecksumMode.PseudoHeader, a.ChecksumMode);
    }

    [Fact]
    public void Read_V3TwoVips_HalfSecondInterval()
    {
        var c = KeepalivedCaptures.V3TwoVips;
        var a = ReadValid(c);
        Assert.Equal(52, a.VirtualRouterId);
        Assert.Equal(200, a.Priority);
        Assert.Equal(TimeSpan.FromMilliseconds(500), a.Interval);
        var addrs = VrrpPacket.GetAddresses(c.Bytes, a);
        Assert.Equal(IPAddress.Parse("10.99.0.52"), new IPAddress(addrs[..4]));
        Assert.Equal(IPAddress.Parse("10.99.0.152"), new IPAddress(addrs[4..]));
    }

    [Fact]
    public void Read_V3Unicast_PseudoHeaderUsesThePeerAddress()
    {
        var c = KeepalivedCaptures.V3Unicast;
        Assert.Equal(VrrpChecksumMode.PseudoHeader, ReadValid(c).ChecksumMode);
        // The same bytes with the group as destination do not verify: keepalived ≥1.3.7 puts the peer there.
        var reason = VrrpPacket.Read(c.Bytes, c.SourceBytes, IPAddress.Parse("224.0.0.18").GetAddressBytes(), out _);
        Assert.Equal(VrrpDropReason.InvalidChecksum, reason);
    }

    [Fact]
    public void Read_V3IPv6_DecodesLinkLocalFirst()
    {
        var c = KeepalivedCaptures.V3IPv6;
        var a = ReadValid(c);
        Assert.True(a.IsIPv6);
        Assert.Equal(2, a.AddressCount);
        var addrs = VrrpPacket.GetAddresses(c.Bytes, a);
        Assert.Equal(IPAddress.Parse("fe80::54"), new IPAddress(addrs[..16]));
        Assert.Equal(IPAddress.Parse("2001:db8::54"), new IPAddress(addrs[16..]));
    }

    [Theory]
    [MemberData(nameof(KeepalivedCaptures.Names), MemberType = typeof(KeepalivedCaptures))]
    public void Write_ReproducesKeepalivedByteForByte(string name)
    {
        var c = KeepalivedCaptures.ByName(name);
        var a = ReadValid(c);
        var bytes = c.Bytes;
        var written = new byte[VrrpPacket.MaxLength];
        Assert.True(VrrpPacket.TryWrite(
            written, a, VrrpPacket.GetAddresses(bytes, a), VrrpPacket.GetAuthenticationData(bytes, a),
            VrrpChecksumMode.PseudoHeader, c.SourceBytes, c.DestinationBytes, out var n));
        Assert.Equal(c.Hex, Convert.ToHexStringLower(written, 0, n));
    }

    [Fact]
    public void Write_FromFields_V2TruncatedPassword()
    {
        var advert = new VrrpAdvertisement(VrrpVersion.V2, 51, 150, 1, 1, authenticationType: VrrpAuthenticationType.SimplePassword);
        var buf = new byte[64];
        Assert.True(VrrpPacket.TryWrite(buf, advert, IPAddress.Parse("10.99.0.100").GetAddressBytes(), "secretpa"u8,
            VrrpChecksumMode.PseudoHeader, [], [], out var n));
        Assert.Equal(KeepalivedCaptures.V2TruncatedPassword.Hex, Convert.ToHexStringLower(buf, 0, n));
    }

    [Theory]
    [InlineData(VrrpChecksumMode.PseudoHeader, "3134c8020032060e0a6300340a630098")]
    [InlineData(VrrpChecksumMode.MessageOnly, "3134c8020032f1040a6300340a630098")]
    public void Write_V3_ChecksumFormFollowsTheMode(VrrpChecksumMode mode, string expected)
    {
        var c = KeepalivedCaptures.V3TwoVips;
        var advert = new VrrpAdvertisement(VrrpVersion.V3, 52, 200, 2, 50);
        var buf = new byte[64];
        Assert.True(VrrpPacket.TryWrite(buf, advert, Convert.FromHexString("0a6300340a630098"), [], mode, c.SourceBytes, c.DestinationBytes, out var n));
        Assert.Equal(expected, Convert.ToHexStringLower(buf, 0, n));
        // Either form is accepted on receive, and the reader says which one it was.
        Assert.Equal(VrrpDropReason.None, VrrpPacket.Read(buf.AsSpan(0, n), c.SourceBytes, c.DestinationBytes, out var read));
        Assert.Equal(mode, read.ChecksumMode);
    }

    [Theory]
    [InlineData("224.0.0.18", "10da")]
    [InlineData(null, "fbcc")]
    public void Write_V3Unicast_ChecksumsDocumentedForTheOtherForms(string? destination, string checksum)
    {
        var c = KeepalivedCaptures.V3Unicast;
        var advert = new VrrpAdvertisement(VrrpVersion.V3, 53, 200, 1, 100);
        var buf = new byte[64];
        var mode = destination is null ? VrrpChecksumMode.MessageOnly : VrrpChecksumMode.PseudoHeader;
        var dst = destination is null ? c.DestinationBytes : IPAddress.Parse(destination).GetAddressBytes();
        Assert.True(VrrpPacket.TryWrite(buf, advert, Convert.FromHexString("0a630035"), [], mode, c.SourceBytes, dst, out var n));
        Assert.Equal(checksum, Convert.ToHexStringLower(buf, 6, 2));
        Assert.Equal(12, n);
    }

    [Fact]
    public void Read_CarpAdvertisement_IsRefusedWithItsOwnReason()
    {
        // ucarp/OpenBSD CARP: version 2, type 1, vhid 1, advskew 0, authlen 7, demote 0, advbase 1,
        // checksum, 8-byte counter, 20-byte SHA1 HMAC: 36 bytes to 224.0.0.18 over protocol 112.
        var carp = new byte[36];
        carp[0] = 0x21; carp[1] = 1; carp[2] = 0; carp[3] = 7; carp[4] = 0; carp[5] = 1;
        for (var i = 8; i < 36; i++)
        {
            carp[i] = (byte)(i * 37);
        }

        var reason = VrrpPacket.Read(carp, [198, 18, 0, 1], [224, 0, 0, 18], out _);
        Assert.Equal(VrrpDropReason.CarpAdvertisement, reason);
    }

    [Fact]
    public void Read_V2WithFiveAddresses_Is36BytesAndStillVrrp()
    {
        var advert = new VrrpAdvertisement(VrrpVersion.V2, 9, 100, 5, 1);
        var buf = new byte[36];
        Assert.True(VrrpPacket.TryWrite(buf, advert, new byte[20], [], VrrpChecksumMode.MessageOnly, [], [], out var n));
        Assert.Equal(36, n);
        Assert.Equal(VrrpDropReason.None, VrrpPacket.Read(buf, [198, 18, 0, 1], [224, 0, 0, 18], out _));
    }

    [Fact]
    public void Read_EthernetPaddingAfterAShortV3Message_IsTolerated()
    {
        var c = KeepalivedCaptures.V3;
        var padded = c.Bytes.Concat(new byte[14]).ToArray(); // 12 + 14 = 26 bytes: a 46-byte IP packet
        Assert.Equal(VrrpDropReason.None, VrrpPacket.Read(padded, c.SourceBytes, c.DestinationBytes, out _));
        var tooLong = c.Bytes.Concat(new byte[15]).ToArray();
        Assert.Equal(VrrpDropReason.LengthMismatch, VrrpPacket.Read(tooLong, c.SourceBytes, c.DestinationBytes, out _));
    }

    [Fact]
    public void Read_V2OverIPv6_IsAFamilyMismatch()
    {
        var c = KeepalivedCaptures.V2NoAuth;
        var v6 = IPAddress.Parse("fe80::1").GetAddressBytes();
        Assert.Equal(VrrpDropReason.AddressFamilyMismatch, VrrpPacket.Read(c.Bytes, v6, v6, out _));
    }

    [Fact]
    public void Write_InconsistentAddresses_IsCallerMisuse()
    {
        var advert = new VrrpAdvertisement(VrrpVersion.V2, 9, 100, 2, 1);
        Assert.Throws<ArgumentException>(() => VrrpPacket.TryWrite(new byte[64], advert, new byte[4], [], VrrpChecksumMode.MessageOnly, [], [], out _));
    }

    [Fact]
    public void Write_DestinationTooSmall_ReturnsFalse()
    {
        var advert = new VrrpAdvertisement(VrrpVersion.V2, 9, 100, 1, 1);
        Assert.False(VrrpPacket.TryWrite(new byte[19], advert, new byte[4], [], VrrpChecksumMode.MessageOnly, [], [], out var n));
        Assert.Equal(0, n);
    }
}
