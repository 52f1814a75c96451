using Ha.Net.Proxy;

namespace Ha.Net.Proxy.Tests;

public class ProxyNamesTests
{
    [Fact]
    public void MeterName_IsThePackageName()
    {
        Assert.Equal("Ha.Net.Proxy", ProxyNames.MeterName);
    }
}
