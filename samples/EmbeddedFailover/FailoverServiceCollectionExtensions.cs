using System.Net;
using System.Runtime.Versioning;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Linux;
using Ha.Net.Vrrp.Linux.Transport;
using Ha.Net.Vrrp.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.EmbeddedFailover;

/// <summary>Registers the platform seams <c>services.AddVrrp(...)</c> needs: the Linux backend or the in-memory one.</summary>
public static class FailoverServiceCollectionExtensions
{
    /// <summary>The real thing (root or CAP_NET_RAW + CAP_NET_ADMIN): raw VRRP sockets, netlink VIPs, gratuitous ARP.</summary>
    [SupportedOSPlatform("linux")]
    public static IServiceCollection AddLinuxVrrpBackend(this IServiceCollection services)
    {
        services.AddSingleton<IVrrpTransportFactory>(sp => new LinuxTransportFactory(sp.GetService<ILoggerFactory>()));
        services.AddSingleton(sp => LinuxVrrpBackend.OpenAddressBinder(loggerFactory: sp.GetService<ILoggerFactory>()));
        services.AddSingleton<IVirtualAddressBinder>(sp => sp.GetRequiredService<Ha.Net.Vrrp.Linux.Addresses.ILinuxAddressBinder>());
        services.AddSingleton<IAddressAnnouncer>(sp => LinuxVrrpBackend.OpenAnnouncer(sp.GetService<ILoggerFactory>()));
        return services;
    }

    /// <summary>A simulated network (no privileges needed): this node is attached to <paramref name="network"/> as <paramref name="localAddress"/>.</summary>
    public static IServiceCollection AddInMemoryVrrpBackend(this IServiceCollection services, InMemoryVrrpNetwork network, IPAddress localAddress)
    {
        services.AddSingleton<IVrrpTransportFactory>(new InMemoryTransportFactory(network, localAddress));
        services.AddSingleton<InMemoryAddressBinder>();
        services.AddSingleton<IVirtualAddressBinder>(sp => sp.GetRequiredService<InMemoryAddressBinder>());
        services.AddSingleton<IAddressAnnouncer>(sp => sp.GetRequiredService<InMemoryAddressBinder>());
        return services;
    }

    [SupportedOSPlatform("linux")]
    private sealed class LinuxTransportFactory(ILoggerFactory? loggers) : IVrrpTransportFactory
    {
        public IVrrpTransport Create(VirtualRouterOptions options) => LinuxVrrpBackend.OpenTransport(new RawVrrpTransportOptions
        {
            InterfaceName = options.InterfaceName,
            AddressFamily = options.VirtualAddresses.Count > 0 ? options.VirtualAddresses[0].Address.AddressFamily : System.Net.Sockets.AddressFamily.InterNetwork,
            SourceAddress = options.SourceAddress,
            UnicastPeers = [.. options.UnicastPeers],
            MulticastGroup = options.MulticastGroup,
            CheckUnicastSource = options.CheckUnicastSource,
        }, loggers);
    }
}
