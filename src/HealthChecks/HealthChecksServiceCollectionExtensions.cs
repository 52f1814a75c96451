using System.Diagnostics.Metrics;
using Ha.Net.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Ha.Net health monitoring.</summary>
public static class HealthChecksServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <see cref="IHealthCheckScheduler"/> singleton (and <see cref="TimeProvider.System"/>
    /// when no <see cref="TimeProvider"/> is registered). Monitors added with
    /// <see cref="AddHealthMonitor"/> are created when the scheduler is first resolved.
    /// </summary>
    public static IServiceCollection AddHaNetHealthChecks(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IHealthCheckScheduler>(sp =>
        {
            var scheduler = HealthCheckScheduler.Create(
                sp.GetRequiredService<TimeProvider>(),
                random: null,
                sp.GetService<ILoggerFactory>(),
                sp.GetService<IMeterFactory>());
            foreach (var registration in sp.GetServices<HealthMonitorRegistration>())
            {
                scheduler.Add(registration.Name, registration.ProbeFactory(sp), registration.Options);
            }

            return scheduler;
        });
        return services;
    }

    /// <summary>Adds a monitor to the scheduler registered by <see cref="AddHaNetHealthChecks"/> (which this calls).</summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The monitor's unique name.</param>
    /// <param name="probeFactory">Creates the probe (e.g. <c>_ =&gt; HealthProbes.Smtp(...)</c>).</param>
    /// <param name="options">Timing and thresholds (default HAProxy's); validated now.</param>
    public static IServiceCollection AddHealthMonitor(this IServiceCollection services, string name, Func<IServiceProvider, IHealthProbe> probeFactory, HealthMonitorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(probeFactory);
        options ??= new HealthMonitorOptions();
        options.ThrowIfInvalid(nameof(options));
        services.AddHaNetHealthChecks();
        services.AddSingleton(new HealthMonitorRegistration(name, probeFactory, options));
        return services;
    }
}
