using System.Diagnostics.Metrics;
using Ha.Net.HealthChecks.Scheduling;
using Microsoft.Extensions.Logging;

namespace Ha.Net.HealthChecks;

/// <summary>Creates schedulers without dependency injection.</summary>
public static class HealthCheckScheduler
{
    /// <summary>Creates a scheduler: one timer queue for any number of monitors.</summary>
    /// <param name="timeProvider">The clock (default <see cref="TimeProvider.System"/>; tests pass a manual clock).</param>
    /// <param name="random">Draws start jitter and spread (default <see cref="Random.Shared"/>; tests pass a seeded one). Used under a lock.</param>
    /// <param name="loggerFactory">Logging (default none).</param>
    /// <param name="meterFactory">Metrics (meter <c>Ha.Net.HealthChecks</c>; default a meter of its own).</param>
    public static IHealthCheckScheduler Create(TimeProvider? timeProvider = null, Random? random = null, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null) =>
        new TimerQueueScheduler(timeProvider ?? TimeProvider.System, random ?? Random.Shared, loggerFactory, meterFactory);
}
