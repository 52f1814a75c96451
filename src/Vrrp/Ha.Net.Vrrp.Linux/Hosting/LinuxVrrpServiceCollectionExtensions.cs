using System.Diagnostics.Metrics;
using System.Runtime.Versioning;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Linux;
using Ha.Net.Vrrp.Linux.Addresses;
using Ha.Net.Vrrp.Linux.Announcements;
using Ha.Net.Vrrp.Linux.Hosting;
using Ha.Net.Vrrp.Linux.Links;
using Ha.Net.Vrrp.Transport;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Linux backend of Ha.Net.Vrrp.</summary>
public static class LinuxVrrpServiceCollectionExtensions
{
    /// <summary>
    /// Registers the raw-socket transport factory, the rtnetlink binder, the gratuitous-ARP announcer and the
    /// link monitor as the seams <c>services.AddVrrp(...)</c> needs, plus a hosted service that removes stale
    /// VIPs before the routers start and then feeds them link state (the instance interface and tracked objects
    /// named after an interface) and VIPs deleted behind their back. Call it before <c>AddVrrp</c>.
    /// Sockets are opened in the network namespace of the thread that first resolves them.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Adjusts the backend's options, or <see langword="null"/>.</param>
    /// <remarks>
    /// Callable from an app that builds for every platform without a CA1416 warning: on another OS it throws
    /// <see cref="PlatformNotSupportedException"/> at once, before anything is registered.
    /// </remarks>
    /// <exception cref="ArgumentException">The options are invalid (every problem listed).</exception>
    /// <exception cref="PlatformNotSupportedException">Not running on Linux.</exception>
    public static IServiceCollection AddLinuxVrrp(this IServiceCollection services, Action<LinuxVrrpOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Ha.Net.Vrrp.Linux runs on Linux only (raw sockets, rtnetlink, AF_PACKET).");
        }

        var options = new LinuxVrrpOptions();
        configure?.Invoke(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid Linux VRRP options: " + string.Join(" ", errors), nameof(configure));
        }

        return Register(services, options);
    }

    [SupportedOSPlatform("linux")]
    private static IServiceCollection Register(IServiceCollection services, LinuxVrrpOptions options)
    {
        services.TryAddSingleton(options);
        services.TryAddSingleton<IVrrpTransportFactory>(sp => new LinuxVrrpTransportFactory(options, sp.GetService<ILoggerFactory>(), sp.GetService<IMeterFactory>()));
        services.TryAddSingleton(sp => LinuxVrrpBackend.OpenAddressBinder(options.AddressBinder, sp.GetService<ILoggerFactory>(), sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<IVirtualAddressBinder>(sp => sp.GetRequiredService<ILinuxAddressBinder>());
        services.TryAddSingleton(sp => LinuxVrrpBackend.OpenAnnouncer(sp.GetService<ILoggerFactory>(), sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<IAddressAnnouncer>(sp => sp.GetRequiredService<ILinuxAddressAnnouncer>());
        services.TryAddSingleton(sp => LinuxVrrpBackend.StartLinkMonitor(sp.GetService<ILoggerFactory>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, LinuxVrrpHostedService>());
        return services;
    }
}
