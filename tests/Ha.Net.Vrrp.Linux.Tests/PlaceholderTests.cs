using Ha.Net.Vrrp.Linux;

namespace Ha.Net.Vrrp.Linux.Tests;

public class LinuxVrrpNamesTests
{
    [Fact]
    public void IpProtocolVrrp_Is112()
    {
        Assert.Equal(112, LinuxVrrpNames.IpProtocolVrrp);
    }
}
