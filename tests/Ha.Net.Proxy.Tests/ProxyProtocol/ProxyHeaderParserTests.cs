using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
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
