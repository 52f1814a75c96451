using System.Net;
using System.Net.Sockets;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Linux.Transport;

namespace Ha.Net.Vrrp.Linux.Tests.Transport;

/// <summary>The one mapping from an instance's options to its raw transport's (AddLinuxVrrp and hanet-vrrpd use it).</summary>
public sealed class TransportOptionsMappingTests
{
    [Fact]
    public void ForInstance_CarriesEveryTransportKey()
    {
        var instance = new VirtualRouterOptions
        {
            InstanceName = "VI_1",
            InterfaceName = "eth1",
            VirtualRouterId = 51,
            VirtualAddresses = [new VirtualAddress(IPAddress.Parse("198.18.0.100"), 24, "eth1")],
            SourceAddress = IPAddress.Parse("198.18.0.1"),
            UnicastPeers = [IPAddress.Parse("198.18.0.2"), IPAddress.Parse("198.18.0.3")],
            CheckUnicastSource = true,
        };

        var t = RawVrrpTransportOptions.ForInstance(instance, unicastTtl: 64);

        Assert.Equal("eth1", t.InterfaceName);
        Assert.Equal(AddressFamily.InterNetwork, t.AddressFamily);
        Assert.Equal(IPAddress.Parse("198.18.0.1"), t.SourceAddress);
        Assert.Equal([IPAddress.Parse("198.18.0.2"), IPAddress.Parse("198.18.0.3")], t.UnicastPeers);
        Assert.True(t.CheckUnicastSource);
        Assert.Equal(64, t.UnicastTtl);
        Assert.Empty(t.Validate());
    }

    [Fact]
    public void ForInstance_WithoutAVirtualAddress_TakesTheFamilyOfTheSourceOrPeers()
    {
        var v6 = new VirtualRouterOptions { InstanceName = "jobs", InterfaceName = "eth0", VirtualRouterId = 7, Version = Ha.Net.Vrrp.Wire.VrrpVersion.V3, SourceAddress = IPAddress.Parse("fe80::1") };
        var peers = new VirtualRouterOptions { InstanceName = "jobs", InterfaceName = "eth0", VirtualRouterId = 7, Version = Ha.Net.Vrrp.Wire.VrrpVersion.V3, UnicastPeers = [IPAddress.Parse("2001:db8::2")] };
        var plain = new VirtualRouterOptions { InstanceName = "jobs", InterfaceName = "eth0", VirtualRouterId = 7 };

        Assert.Equal(AddressFamily.InterNetworkV6, RawVrrpTransportOptions.ForInstance(v6).AddressFamily);
        Assert.Equal(AddressFamily.InterNetworkV6, RawVrrpTransportOptions.ForInstance(peers).AddressFamily);
        Assert.Equal(AddressFamily.InterNetwork, RawVrrpTransportOptions.ForInstance(plain).AddressFamily);
        Assert.Equal(255, RawVrrpTransportOptions.ForInstance(plain).UnicastTtl);
        Assert.DoesNotContain(plain.Validate(), i => !i.IsWarning);
    }
}
