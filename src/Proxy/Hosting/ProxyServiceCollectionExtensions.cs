using System.Diagnostics.Metrics;
using Ha.Net.HealthChecks;
using Ha.Net.Proxy;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Ha.Net proxy in a generic host.</summary>
public static class ProxyServiceCollectionExtensions
{
    /// <summary>
    /// Adds an <see cref="ITcpProxy"/> built from <paramref name="options"/> and a hosted service that
    /// starts it with the host and stops it gracefully (bounded by <see cref="ProxyOptions.HardStopAfter"/>
    /// and the host's shutdown timeout). Uses the container's <see cref="ILoggerFactory"/>,
    /// <see cref="IMeterFactory"/>, <see cref="TimeProvider"/> and <see cref="IHealthCheckScheduler"/> when registered.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="options">The proxy configuration; validated now, every error listed.</param>
    /// <param name="probeFactory">Makes each checked server's probe (e.g. <c>HaproxyMapping.CreateProbeFactory()</c>);
    /// <see langword="null"/> = a TCP connect check.</param>
    public static IServiceCollection AddHaNetProxy(this IServiceCollection services, ProxyOptions options,
        Func<string, ServerOptions, IHealthProbe>? probeFactory = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ProxyOptionsValidator.ThrowIfInvalid(options);
        services.TryAddSingleton<ITcpProxy>(sp => new TcpProxy(
            options,
            sp.GetService<ILoggerFactory>(),
            sp.GetService<IMeterFactory>(),
            sp.GetService<TimeProvider>(),
            random: null,
            sp.GetService<IHealthCheckScheduler>(),
            probeFactory));
        services.AddHostedService<TcpProxyHostedService>();
        return services;
    }
}
