using System.Diagnostics.CodeAnalysis;
using Ha.Net.Vrrp.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers VRRP virtual routers.</summary>
public static class VrrpServiceCollectionExtensions
{
    /// <summary>
    /// Adds the VRRP instances configured by <paramref name="configure"/>, started and stopped with the host
    /// (<see cref="IHostedService"/>) and reachable through <see cref="IVirtualRouterCollection"/>, whose
    /// <see cref="IVirtualRouterCollection.ApplyAsync"/> reloads them (unchanged instances keep running untouched).
    /// </summary>
    /// <remarks>
    /// The platform seams must be registered too: <see cref="Ha.Net.Vrrp.Transport.IVrrpTransportFactory"/>,
    /// <see cref="Ha.Net.Vrrp.Addresses.IVirtualAddressBinder"/> and <see cref="Ha.Net.Vrrp.Addresses.IAddressAnnouncer"/>
    /// (Ha.Net.Vrrp.Linux provides them). <see cref="TimeProvider"/>, logging and <c>IMeterFactory</c> are used when
    /// registered. Options are validated at start-up, every error naming its keepalived key. May be called more than once.
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Adds and configures instances.</param>
    public static IServiceCollection AddVrrp(this IServiceCollection services, Action<VrrpOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<VrrpOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<VrrpOptions>, VrrpOptionsValidator>());
        services.TryAddSingleton<IVirtualRouterCollection, VirtualRouterCollection>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, VrrpHostedService>());
        return services;
    }

    /// <summary>
    /// Runs <typeparamref name="TWorker"/> (a singleton) only while the instance <paramref name="instanceName"/> is
    /// MASTER: started on each term of mastership, its token cancelled when the instance leaves MASTER (before its
    /// virtual addresses are released on a graceful handover) or the host stops. See <see cref="MasterOnlyService"/>.
    /// </summary>
    /// <remarks>For "one active instance" with no floating IP, configure the instance with no virtual addresses.</remarks>
    /// <typeparam name="TWorker">The work.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="instanceName">The instance (added with <see cref="AddVrrp"/>) whose mastership gates the work.</param>
    public static IServiceCollection AddMasterOnly<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TWorker>(this IServiceCollection services, string instanceName)
        where TWorker : class, IMasterOnlyWorker
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(instanceName);
        services.TryAddSingleton<TWorker>();
        services.AddSingleton<IHostedService>(sp => new MasterOnlyWorkerService<TWorker>(
            sp.GetRequiredService<IVirtualRouterCollection>()[instanceName], sp.GetRequiredService<TWorker>()));
        return services;
    }
}
