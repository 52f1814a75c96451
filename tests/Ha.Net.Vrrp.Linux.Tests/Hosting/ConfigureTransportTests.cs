using System.Net;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Linux.Transport;
using Ha.Net.Vrrp.Transport;
using Microsoft.Extensions.DependencyInjection;

namespace Ha.Net.Vrrp.Linux.Tests.Hosting;

/// <summary><c>AddLinuxVrrp(o => o.ConfigureTransport = ...)</c>: every transport option reachable per instance.</summary>
public class ConfigureTransportTests
{
    [Fact]
    public void ConfigureTransport_SeesEachInstanceAndTheOptionsMadeForIt_AndWhatItReturnsIsWhatOpens()
    {
        var seen = new List<(string Instance, RawVrrpTransportOptions Made)>();
        var services = new ServiceCollection();
        services.AddLinuxVrrp(o =>
        {
            o.UnicastTtl = 64;
            o.ConfigureTransport = (instance, made) =>
            {
                seen.Add((instance.InstanceName, made));
                return made with { InterfaceName = "", UnicastTtl = 0 }; // refused when the transport opens: proves it is used
            };
        });
        using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IVrrpTransportFactory>();
        var instance = new VirtualRouterOptions
        {
            InstanceName = "VI_7",
            InterfaceName = "eth9",
            VirtualRouterId = 7,
            UnicastPeers = [IPAddress.Parse("198.18.0.12")],
            VirtualAddresses = [new VirtualAddress(IPAddress.Parse("198.18.0.100"), 24, "eth9")],
        };

        var refused = Assert.Throws<ArgumentException>(() => factory.Create(instance));

        var (name, made) = Assert.Single(seen);
        Assert.Equal("VI_7", name);
        Assert.Equal(("eth9", (byte)64), (made.InterfaceName, made.UnicastTtl)); // made from the instance and UnicastTtl
        Assert.Equal([IPAddress.Parse("198.18.0.12")], made.UnicastPeers);
        Assert.Contains("InterfaceName", refused.Message, StringComparison.Ordinal);
        Assert.Contains("UnicastTtl", refused.Message, StringComparison.Ordinal);
    }
}
