using System.Net;
using Ha.Net.Vrrp.Addresses;

namespace Ha.Net.Vrrp.Tests;

public class VirtualAddressTests
{
    [Fact]
    public void ToString_ReadsLikeKeepalivedVirtualIpaddressLine()
    {
        var vip = new VirtualAddress(IPAddress.Parse("198.18.0.100"), 24, "eth0")
        {
            Broadcast = IPAddress.Parse("198.18.0.255"),
            Label = "eth0:1",
        };
        Assert.Equal("198.18.0.100/24 dev eth0 brd 198.18.0.255 label eth0:1", vip.ToString());
    }

    [Fact]
    public void Constructor_RefusesPrefixLongerThanTheFamilyAllows()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new VirtualAddress(IPAddress.Parse("198.18.0.100"), 33, "eth0"));
    }
}
