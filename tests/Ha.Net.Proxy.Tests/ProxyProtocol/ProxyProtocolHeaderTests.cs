using System.Net;
using System.Text;
using Ha.Net.HealthChecks.Probes;
using Ha.Net.Proxy.ProxyProtocol;

namespace Ha.Net.Proxy.Tests.ProxyProtocol;

public class ProxyProtocolHeaderTests
{
    [Fact]
    public void V1_Tcp4_IsTheSpecLine()
    {
        var buffer = new byte[ProxyProtocolHeader.MaxV1Length];
        int n = ProxyProtocolHeader.WriteV1(IPEndPoint.Parse("192.168.0.1:56324"), IPEndPoint.Parse("192.168.0.11:443"), buffer);
        Assert.Equal("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", Encoding.ASCII.GetString(buffer, 0, n));
    }

    [Fact]
    public void V1_MixedFamilies_AreSentAsTcp6()
    {
        var buffer = new byte[ProxyProtocolHeader.MaxV1Length];
        int n = ProxyProtocolHeader.WriteV1(IPEndPoint.Parse("[::1]:1000"), IPEndPoint.Parse("10.0.0.1:25"), buffer);
        Assert.Equal("PROXY TCP6 ::1 ::ffff:10.0.0.1 1000 25\r\n", Encoding.ASCII.GetString(buffer, 0, n));
    }

    [Fact]
    public void V1_LongestLine_FitsTheSpecBound()
    {
        var buffer = new byte[ProxyProtocolHeader.MaxV1Length];
        var wide = IPAddress.Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
        int n = ProxyProtocolHeader.WriteV1(new IPEndPoint(wide, 65535), new IPEndPoint(wide, 65535), buffer);
        Assert.True(n <= 107);
    }

    [Fact]
    public void V2_Tcp4_GoldenBytes()
    {
        var buffer = new byte[ProxyProtocolHeader.MaxV2Length];
        int n = ProxyProtocolHeader.WriteV2(IPEndPoint.Parse("10.0.10.9:40000"), IPEndPoint.Parse("10.0.10.3:25"), buffer);
        byte[] expected =
        [
            0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, // signature
            0x21,       // version 2, PROXY
            0x11,       // AF_INET, STREAM
            0x00, 0x0C, // 12 address bytes
            10, 0, 10, 9, 10, 0, 10, 3,
            0x9C, 0x40, // 40000
            0x00, 0x19, // 25
        ];
        Assert.Equal(expected, buffer[..n]);
    }

    [Fact]
    public void V2_Tcp6_Is52Bytes()
    {
        var buffer = new byte[ProxyProtocolHeader.MaxV2Length];
        int n = ProxyProtocolHeader.WriteV2(IPEndPoint.Parse("[2001:db8::1]:1"), IPEndPoint.Parse("[2001:db8::2]:2"), buffer);
        Assert.Equal(52, n);
        Assert.Equal(0x21, buffer[13]);
        Assert.Equal(36, buffer[15]);
        Assert.Equal(1, buffer[49]);
        Assert.Equal(2, buffer[51]);
    }
}
