using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Ha.Net.HealthChecks.Probes;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.ProxyProtocol;

namespace Ha.Net.Proxy.Tests.ProxyProtocol;

public class ProxyHeaderParserTests
{
    private static ProxyHeader Parse(string text) => ProxyHeaderParser.Parse(Encoding.ASCII.GetBytes(text));

    [Fact]
    public void V1_Tcp4_GivesTheAddressesAndTheLength()
    {
        var header = Parse("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n");
        Assert.Equal(ProxyHeaderStatus.Complete, header.Status);
        Assert.Equal(47, header.Length);
        Assert.Equal(IPEndPoint.Parse("192.168.0.1:56324"), header.Source);
        Assert.Equal(IPEndPoint.Parse("192.168.0.11:443"), header.Destination);
    }

    [Fact]
    public void V1_Tcp6_GivesTheAddresses()
    {
        var header = Parse("PROXY TCP6 2001:db8::1 ::ffff:10.0.0.1 1000 25\r\n");
        Assert.Equal(ProxyHeaderStatus.Complete, header.Status);
        Assert.Equal(IPEndPoint.Parse("[2001:db8::1]:1000"), header.Source);
        Assert.Equal(IPEndPoint.Parse("[::ffff:10.0.0.1]:25"), header.Destination);
    }

    [Fact]
    public void V1_Unknown_KeepsTheConnectionsAddresses()
    {
        var header = Parse("PROXY UNKNOWN whatever follows\r\nEHLO");
        Assert.Equal(ProxyHeaderStatus.Complete, header.Status);
        Assert.Equal(32, header.Length);
        Assert.Null(header.Source);
        Assert.Null(header.Destination);
    }

    [Theory]
    [InlineData("P")]
    [InlineData("PROXY")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r")]
    public void V1_Prefix_IsIncomplete(string text) => Assert.Equal(ProxyHeaderStatus.Incomplete, Parse(text).Status);

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("EHLO mx\r\n")]
    [InlineData("proxy TCP4 1.2.3.4 1.2.3.5 1 2\r\n")]
    public void SomethingElse_IsNotProxy(string text) => Assert.Equal(ProxyHeaderStatus.NotProxy, Parse(text).Status);

    [Theory]
    [InlineData("PROXY TCP5 1.2.3.4 1.2.3.5 1 2\r\n", "protocol 'TCP5'")]
    [InlineData("PROXY TCP4 1.2.3 1.2.3.5 1 2\r\n", "source address '1.2.3'")]
    [InlineData("PROXY TCP4 1.2.3.4 ::1 1 2\r\n", "destination address '::1'")]
    [InlineData("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "source address '1.2.3.4' is not an IPv6")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.5 65536 2\r\n", "source port '65536'")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.5 1 -2\r\n", "destination port '-2'")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.5 1\r\n", "expected 'TCP4|TCP6")]
    [InlineData("PROXY TCP4  1.2.3.4 1.2.3.5 1 2\r\n", "expected 'TCP4|TCP6")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.5 1 2\n", "LF without CR")]
    public void V1_Malformed_IsInvalid_SayingWhatIsWrong(string text, string expected)
    {
        var header = Parse(text);
        Assert.Equal(ProxyHeaderStatus.Invalid, header.Status);
        Assert.Contains(expected, header.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void V1_WithoutCrlfIn107Bytes_IsInvalid()
    {
        var header = Parse("PROXY UNKNOWN " + new string('x', 200));
        Assert.Equal(ProxyHeaderStatus.Invalid, header.Status);
        Assert.Contains("no CRLF within 107 bytes", header.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void V2_Tcp4_WithTlvs_SkipsTheTlvs()
    {
        var buffer = new byte[ProxyProtocolHeader.MaxV2Length + 7 + 3];
        int n = ProxyProtocolHeader.WriteV2(IPEndPoint.Parse("10.0.10.9:40000"), IPEndPoint.Parse("10.0.10.3:25"), buffer);

        // One TLV (PP2_TYPE_AUTHORITY, 4 bytes) after the addresses; the length field covers it.
        byte[] tlv = [0x02, 0x00, 0x04, (byte)'m', (byte)'x', (byte)'.', (byte)'a'];
        tlv.CopyTo(buffer, n);
        buffer[15] = (byte)(12 + tlv.Length);
        "abc"u8.CopyTo(buffer.AsSpan(n + tlv.Length));
        var header = ProxyHeaderParser.Parse(buffer.AsSpan(0, n + tlv.Length + 3));
        Assert.Equal(ProxyHeaderStatus.Complete, header.Status);
        Assert.Equal(n + tlv.Length, header.Length);
        Assert.Equal(IPEndPoint.Parse("10.0.10.9:40000"), header.Source);
        Assert.Equal(IPEndPoint.Parse("10.0.10.3:25"), header.Destination);
    }

    [Fact]
    public void V2_Local_KeepsTheConnectionsAddresses()
    {
        byte[] local = [.. ProxyProtocolHeader.V2Signature, 0x20, 0x00, 0x00, 0x00];
        var header = ProxyHeaderParser.Parse(local);
        Assert.Equal(ProxyHeaderStatus.Complete, header.Status);
        Assert.Equal(16, header.Length);
        Assert.Null(header.Source);
    }

    [Theory]
    [InlineData(0x31, 0x11, 12, "version 3")]
    [InlineData(0x22, 0x11, 12, "command 2")]
    [InlineData(0x21, 0x11, 8, "needs 12 address bytes, length is 8")]
    [InlineData(0x21, 0x21, 12, "needs 36 address bytes, length is 12")]
    [InlineData(0x21, 0x11, 8000, "length 8000")]
    public void V2_Malformed_IsInvalid_SayingWhatIsWrong(byte versionCommand, byte family, int length, string expected)
    {
        var bytes = new byte[16 + 36];
        ProxyProtocolHeader.V2Signature.CopyTo(bytes);
        bytes[12] = versionCommand;
        bytes[13] = family;
        bytes[14] = (byte)(length >> 8);
        bytes[15] = (byte)length;
        var header = ProxyHeaderParser.Parse(bytes);
        Assert.Equal(ProxyHeaderStatus.Invalid, header.Status);
        Assert.Contains(expected, header.Error, StringComparison.Ordinal);
    }

    // What HAProxy 2.6 refuses in a v2 header (src/connection.c, conn_recv_proxy; every case below
    // was also sent to HAProxy 2.6.12 with "bind ... accept-proxy", which reset the connection):
    // with the PROXY command, a family/transport byte other than 0x11 (TCP over IPv4) or 0x21 (TCP
    // over IPv6), and TLVs that do not tile the bytes after the addresses exactly.

    private static readonly byte[] Ip4Addresses = [10, 0, 0, 1, 10, 0, 0, 2, 0x03, 0xE8, 0x00, 0x19];

    private static readonly byte[] Ip6Addresses = [.. new byte[15], 1, .. new byte[15], 2, 0x03, 0xE8, 0x00, 0x19];

    /// <summary>A v2 header: signature, <paramref name="versionCommand"/>, <paramref name="family"/>,
    /// the length of <paramref name="parts"/>, then the parts.</summary>
    private static byte[] V2(byte versionCommand, byte family, params byte[][] parts)
    {
        int length = parts.Sum(p => p.Length);
        return [.. ProxyProtocolHeader.V2Signature, versionCommand, family, (byte)(length >> 8), (byte)length, .. parts.SelectMany(p => p)];
    }

    /// <summary>A TLV whose length field says <paramref name="declared"/>, followed by <paramref name="value"/>.</summary>
    private static byte[] Tlv(byte type, int declared, params byte[] value) => [type, (byte)(declared >> 8), (byte)declared, .. value];

    private static byte[] Tlv(byte type, byte[] value) => Tlv(type, value.Length, value);

    [Theory]
    [InlineData(0x51, 12)] // the case: family 5 does not exist
    [InlineData(0x00, 0)] // AF_UNSPEC: HAProxy takes it only with LOCAL
    [InlineData(0x00, 12)]
    [InlineData(0x01, 12)]
    [InlineData(0x10, 12)] // IPv4, transport UNSPEC
    [InlineData(0x12, 12)] // UDP over IPv4
    [InlineData(0x13, 12)]
    [InlineData(0x20, 36)] // IPv6, transport UNSPEC
    [InlineData(0x22, 36)] // UDP over IPv6
    [InlineData(0x31, 216)] // UNIX stream
    [InlineData(0x32, 216)] // UNIX datagram
    [InlineData(0xFF, 12)]
    [InlineData(0x51, 2559)] // one byte short of what HAProxy's walk needs (see ..._AtLeast2560Bytes_...)
    public void V2_Proxy_WithAFamilyOtherThanTcp4OrTcp6_IsInvalid(byte family, int length)
    {
        var header = ProxyHeaderParser.Parse([.. V2(0x21, family, new byte[length]), .. "PING"u8]);
        Assert.Equal(ProxyHeaderStatus.Invalid, header.Status);
        Assert.Contains($"family/transport 0x{family:x2} (byte 14)", header.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void V2_Proxy_WithAnotherFamily_AndAtLeast2560Bytes_IsAcceptedAsHaproxy26AcceptsIt()
    {
        // HAProxy 2.6 starts its TLV walk at byte 0 for such a family: the signature reads as a TLV
        // of 0x0A0D = 2573 bytes, so a header of 2576 bytes or more gets through, the rest being
        // TLVs, and keeps the connection's own addresses (HAProxy 2.6.12 forwarded both of these).
        foreach (var bytes in new[] { V2(0x21, 0x51, new byte[2560]), V2(0x21, 0x00, new byte[2560], Tlv(0xEE, [])) })
        {
            var header = ProxyHeaderParser.Parse(bytes);
            Assert.Equal(ProxyHeaderStatus.Complete, header.Status);
            Assert.Equal(bytes.Length, header.Length);
            Assert.Null(header.Source);
            Assert.Null(header.Destination);
        }
    }

    public static TheoryData<string, byte[], string> TlvsHaproxyRefuses() => new()
    {
        // The case: a TLV that declares 65,535 bytes and carries 1.
        { "65535 declared, 1 carried", V2(0x21, 0x11, Ip4Addresses, Tlv(0xE0, 65535, (byte)'x')), "TLV type 0xe0 at byte 29 declares 65535 bytes, 1 left" },
        { "2 declared, 1 carried", V2(0x21, 0x11, Ip4Addresses, Tlv(0x04, 2, 0)), "TLV type 0x04 at byte 29 declares 2 bytes, 1 left" },
        { "after IPv6 addresses", V2(0x21, 0x21, Ip6Addresses, Tlv(0x01, 10, 1, 2, 3)), "TLV type 0x01 at byte 53 declares 10 bytes, 3 left" },
        { "the second one", V2(0x21, 0x11, Ip4Addresses, Tlv(0x04, [1, 2]), Tlv(0xE5, 4, 3)), "TLV type 0xe5 at byte 34 declares 4 bytes, 1 left" },
        { "1 stray byte", V2(0x21, 0x11, Ip4Addresses, [0x04]), "1 byte at byte 29, too few for a TLV's type and length (3 bytes)" },
        { "2 stray bytes", V2(0x21, 0x11, Ip4Addresses, Tlv(0x04, []), [0x04, 0x00]), "2 bytes at byte 32, too few for a TLV's type and length (3 bytes)" },
        { "1 stray byte after the 2560 another family needs", V2(0x21, 0x00, new byte[2561]), "1 byte at byte 2577, too few" },
        { "AUTHORITY of 256 bytes", V2(0x21, 0x11, Ip4Addresses, Tlv(0x02, new byte[256])), "AUTHORITY TLV (0x02) of 256 bytes, more than 255" },
        { "UNIQUE_ID of 129 bytes", V2(0x21, 0x11, Ip4Addresses, Tlv(0x05, new byte[129])), "UNIQUE_ID TLV (0x05) of 129 bytes, more than 128" },
        { "CRC32C of 3 bytes", V2(0x21, 0x11, Ip4Addresses, Tlv(0x03, [1, 2, 3])), "CRC32C TLV (0x03) of 3 bytes, not 4" },
        { "CRC32C not the header's", WithCrc32C(0xde22f817 ^ 1), "CRC32C TLV (0x03) says 0xde22f816, the header's is 0xde22f817" },
    };

    [Theory]
    [MemberData(nameof(TlvsHaproxyRefuses))]
    public void V2_Proxy_WithTlvsHaproxyRefuses_IsInvalid_SayingWhatIsWrong(string name, byte[] bytes, string expected)
    {
        _ = name;
        var header = ProxyHeaderParser.Parse([.. bytes, .. "PING"u8]);
        Assert.Equal(ProxyHeaderStatus.Invalid, header.Status);
        Assert.Contains(expected, header.Error, StringComparison.Ordinal);
    }

    /// <summary>TCP over IPv4 10.0.0.1:1000 to 10.0.0.2:25 with a CRC32C TLV holding <paramref name="crc"/>
    /// and an 0xE0 TLV "hi"; 0xde22f817 is the header's own checksum (HAProxy 2.6.12 took it, and
    /// refused the header with any bit of it changed).</summary>
    private static byte[] WithCrc32C(uint crc) =>
        V2(0x21, 0x11, Ip4Addresses, Tlv(0x03, [(byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc]), Tlv(0xE0, "hi"u8.ToArray()));

    public static TheoryData<string, byte[]> HeadersHaproxyAccepts() => new()
    {
        { "LOCAL, family 0x51", V2(0x20, 0x51) },
        { "LOCAL, family 0xff, addresses", V2(0x20, 0xFF, Ip4Addresses) },
        { "LOCAL, AF_UNSPEC", V2(0x20, 0x00) },
        { "LOCAL, TCP over IPv4 with 3 address bytes", V2(0x20, 0x11, [1, 2, 3]) },
        { "LOCAL, a TLV declaring 65535 bytes (LOCAL's TLVs are not read)", V2(0x20, 0x11, Tlv(0x02, 65535, 1, 2)) },
        { "an empty TLV", V2(0x21, 0x11, Ip4Addresses, Tlv(0x04, [])) },
        { "two TLVs", V2(0x21, 0x11, Ip4Addresses, Tlv(0x04, [1, 2]), Tlv(0xE5, [3, 4, 5])) },
        { "TLVs after IPv6 addresses", V2(0x21, 0x21, Ip6Addresses, Tlv(0x01, "h2"u8.ToArray())) },
        { "AUTHORITY of 255 bytes", V2(0x21, 0x11, Ip4Addresses, Tlv(0x02, new byte[255])) },
        { "UNIQUE_ID of 128 bytes", V2(0x21, 0x11, Ip4Addresses, Tlv(0x05, new byte[128])) },
        { "an unknown NETNS", V2(0x21, 0x11, Ip4Addresses, Tlv(0x30, "nope"u8.ToArray())) },
        { "an SSL TLV of 1 byte", V2(0x21, 0x11, Ip4Addresses, Tlv(0x20, [1])) },
        { "the header's own CRC32C", WithCrc32C(0xde22f817) },
    };

    [Theory]
    [MemberData(nameof(HeadersHaproxyAccepts))]
    public void V2_HeadersHaproxyAccepts_AreComplete(string name, byte[] bytes)
    {
        _ = name;
        var header = ProxyHeaderParser.Parse([.. bytes, .. "PING"u8]);
        Assert.Equal(ProxyHeaderStatus.Complete, header.Status);
        Assert.Equal(bytes.Length, header.Length);
        Assert.Equal(bytes[12] == 0x21, header.Source is not null);
    }

    [Fact]
    public void WhatTheWriterWrites_TheParserReads_AndEveryShorterPrefixIsIncomplete()
    {
        // For both versions and any endpoints: the parser returns the writer's addresses (IPv4-mapped
        // ones written as IPv4, mixed families as IPv6) and length; trailing client data is not
        // part of the header; any strict prefix of the header is Incomplete.
        var endpoint = Gen.Elements(true, false).SelectMany(v4 =>
                (v4 ? Gen.Choose(0, 255).ArrayOf(4) : Gen.Choose(0, 255).ArrayOf(16))
                    .SelectMany(bytes => Gen.Choose(0, 65535).Select(port =>
                        new IPEndPoint(new IPAddress(bytes.Select(b => (byte)b).ToArray()), port))));
        var cases = Gen.Elements(ProxyProtocolVersion.V1, ProxyProtocolVersion.V2)
            .SelectMany(version => endpoint.SelectMany(source => endpoint.Select(destination => (version, source, destination))));
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var buffer = new byte[ProxyProtocolHeader.MaxLength(c.version) + 5];
            int n = ProxyProtocolHeader.Write(c.version, c.source, c.destination, buffer);
            "EHLO\n"u8.CopyTo(buffer.AsSpan(n));
            var header = ProxyHeaderParser.Parse(buffer.AsSpan(0, n + 5));
            bool mixed = Normalized(c.source.Address).AddressFamily != Normalized(c.destination.Address).AddressFamily;
            IPAddress Expected(IPAddress a) => mixed ? a.MapToIPv6() : Normalized(a);
            bool prefixesIncomplete = Enumerable.Range(1, n - 1)
                .All(k => ProxyHeaderParser.Parse(buffer.AsSpan(0, k)).Status == ProxyHeaderStatus.Incomplete);
            return header.Status == ProxyHeaderStatus.Complete
                && header.Length == n
                && header.Source!.Equals(new IPEndPoint(Expected(c.source.Address), c.source.Port))
                && header.Destination!.Equals(new IPEndPoint(Expected(c.destination.Address), c.destination.Port))
                && prefixesIncomplete;
        }).QuickCheckThrowOnFailure();
    }

    private static IPAddress Normalized(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;
}
