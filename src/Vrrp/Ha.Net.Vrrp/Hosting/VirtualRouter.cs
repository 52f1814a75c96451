using System.Diagnostics.Metrics;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ha.Net.Vrrp.Hosting;

/// <summary>Creates virtual routers without dependency injection.</summary>
public static class VirtualRouter
{
    /// <summary>The logger category virtual routers log under.</summary>
    public const string LoggerCategory = "Ha.Net.Vrrp.VirtualRouter";

    /// <summary>Creates a virtual router (not started: call <see cref="IVirtualRouter.StartAsync"/>).</summary>
    /// <param name="options">The instance's options; validated, every error reported at once.</param>
    /// <param name="transport">The transport; the router owns it and disposes it.</param>
    /// <param name="binder">Adds and removes the virtual addresses.</param>
    /// <param name="announcer">Sends gratuitous ARP / unsolicited NA, one frame per call.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> by default.</param>
    /// <param name="loggerFactory">Where logs go; none by default.</param>
    /// <param name="meterFactory">Where metrics go; a private meter named <see cref="VrrpMetricNames.MeterName"/> by default.</param>
    /// <exception cref="VrrpConfigurationException">The options have errors (all listed).</exception>
    public static IVirtualRouter Create(
        VirtualRouterOptions options,
        IVrrpTransport transport,
        IVirtualAddressBinder binder,
        IAddressAnnouncer announcer,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(binder);
        ArgumentNullException.ThrowIfNull(announcer);
        var settings = VirtualRouterSettings.CreateOrThrow(options, out var warnings);
        return new VirtualRouterHost(
            settings,
            warnings,
            transport,
            binder,
            announcer,
            timeProvider ?? TimeProvider.System,
            (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(LoggerCategory),
            new VrrpMetrics(meterFactory),
            ownsMetrics: true);
    }

    /// <summary>
    /// Creates an empty, running router collection without dependency injection: <see cref="IVirtualRouterCollection.ApplyAsync"/>
    /// builds, starts, restarts and stops its routers (a daemon's start and every reload), and
    /// <see cref="IVirtualRouterCollection.StopAsync"/> stops them all.
    /// </summary>
    /// <param name="transports">Opens each instance's transport (Ha.Net.Vrrp.Linux: <c>LinuxVrrpBackend</c>).</param>
    /// <param name="binder">Adds and removes the virtual addresses of every router.</param>
    /// <param name="announcer">Sends gratuitous ARP / unsolicited NA for every router.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> by default.</param>
    /// <param name="loggerFactory">Where logs go; none by default.</param>
    /// <param name="meterFactory">Where metrics go; a private meter named <see cref="VrrpMetricNames.MeterName"/> by default.</param>
    public static IVirtualRouterCollection CreateCollection(
        IVrrpTransportFactory transports,
        IVirtualAddressBinder binder,
        IAddressAnnouncer announcer,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(transports);
        ArgumentNullException.ThrowIfNull(binder);
        ArgumentNullException.ThrowIfNull(announcer);
        return new VirtualRouterCollection(transports, binder, announcer, timeProvider, loggerFactory, meterFactory, running: true);
    }

    internal static IVirtualRouter CreateShared(
        VirtualRouterOptions options,
        IVrrpTransport transport,
        IVirtualAddressBinder binder,
        IAddressAnnouncer announcer,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory,
        VrrpMetrics metrics)
    {
        var settings = VirtualRouterSettings.CreateOrThrow(options, out var warnings);
        return new VirtualRouterHost(settings, warnings, transport, binder, announcer, timeProvider, loggerFactory.CreateLogger(LoggerCategory), metrics, ownsMetrics: false);
    }
}
