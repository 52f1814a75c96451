using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Ha.Net.HealthChecks.Adapters;

/// <summary>
/// Bridges to Microsoft.Extensions.Diagnostics.HealthChecks: any <see cref="IHealthCheck"/> can be
/// scheduled as a probe (with rise/fall and intervals), and any monitor can be exposed as an
/// <see cref="IHealthCheck"/> for a host's <c>/healthz</c>.
/// </summary>
public static class HealthCheckAdapters
{
    /// <summary>
    /// Wraps <paramref name="check"/> as a probe: Healthy → L7OK, Degraded → L7OKC (a pass unless
    /// <paramref name="degradedPasses"/> is false, then L7STS), Unhealthy → L7STS, a thrown exception → L7RSP,
    /// cancellation by the monitor's timeout → L7TOUT. The description is the check's (or its exception's).
    /// </summary>
    /// <param name="check">The check to run.</param>
    /// <param name="name">The registration name the check sees in its <see cref="HealthCheckContext"/>.</param>
    /// <param name="degradedPasses">Whether Degraded counts as a pass (default <see langword="true"/>).</param>
    /// <param name="timeProvider">Measures durations (default <see cref="TimeProvider.System"/>).</param>
    public static IHealthProbe ToProbe(this IHealthCheck check, string name, bool degradedPasses = true, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(check);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new HealthCheckProbe(check, new HealthCheckRegistration(name, check, HealthStatus.Unhealthy, null), degradedPasses, timeProvider ?? TimeProvider.System);
    }

    /// <summary>
    /// Exposes <paramref name="monitor"/> as an <see cref="IHealthCheck"/>: Up → Healthy (Degraded while
    /// going down, HAProxy's "UP 1/3"), Down → the registration's failure status. Data carries the
    /// state, the health counter and the last check result.
    /// </summary>
    public static IHealthCheck AsHealthCheck(this IHealthMonitor monitor)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        return new MonitorHealthCheck(() => monitor);
    }

    /// <summary>
    /// A registration for <c>services.AddHealthChecks().Add(...)</c> that reports the monitor named
    /// <paramref name="monitorName"/> of the <see cref="IHealthCheckScheduler"/> in the container.
    /// </summary>
    /// <param name="monitorName">The monitor's name (also the registration's name unless <paramref name="registrationName"/> is given).</param>
    /// <param name="failureStatus">What Down reports (default Unhealthy).</param>
    /// <param name="tags">Registration tags.</param>
    /// <param name="registrationName">The health check's name in reports.</param>
    public static HealthCheckRegistration Registration(string monitorName, HealthStatus failureStatus = HealthStatus.Unhealthy, IEnumerable<string>? tags = null, string? registrationName = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(monitorName);
        return new HealthCheckRegistration(
            registrationName ?? monitorName,
            sp => new MonitorHealthCheck(() =>
                sp.GetRequiredService<IHealthCheckScheduler>().TryGet(monitorName, out var m)
                    ? m
                    : throw new InvalidOperationException($"No health monitor named '{monitorName}' is registered.")),
            failureStatus,
            tags);
    }
}
