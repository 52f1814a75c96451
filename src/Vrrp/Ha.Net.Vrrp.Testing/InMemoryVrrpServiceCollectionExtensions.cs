using System.Net;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Testing;
using Ha.Net.Vrrp.Transport;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the in-memory VRRP backend of Ha.Net.Vrrp.Testing.</summary>
public static class InMemoryVrrpServiceCollectionExtensions
{
    /// <summary>
    /// Registers the seams <c>services.AddVrrp(...)</c> needs on an in-memory network: this service provider is one
    /// machine, attached to <paramref name="network"/> as <paramref name="localAddress"/>, with an
    /// <see cref="InMemoryAddressBinder"/> (also registered, to inspect) and the network's clock as
    /// <see cref="TimeProvider"/> (unless one is registered already).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="network">The network.</param>
    /// <param name="localAddress">This machine's address on it.</param>
    public static IServiceCollection AddInMemoryVrrp(this IServiceCollection services, InMemoryVrrpNetwork network, IPAddress localAddress)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(localAddress);
        services.TryAddSingleton(network.CreateTransportFactory(localAddress));
        services.TryAddSingleton<InMemoryAddressBinder>();
        services.TryAddSingleton<IVirtualAddressBinder>(sp => sp.GetRequiredService<InMemoryAddressBinder>());
        services.TryAddSingleton<IAddressAnnouncer>(sp => sp.GetRequiredService<InMemoryAddressBinder>());
        services.TryAddSingleton(network.TimeProvider);
        return services;
    }
}
