using System.Diagnostics.Metrics;
using Ha.Net.HealthChecks.Scheduling;
using Microsoft.Extensions.Logging;

namespace Ha.Net.HealthChecks;

/// <summary>Creates schedulers without dependency injection.</summary>
public static class HealthCheckScheduler
{
    /// <summary>The default granularity of check deadlines (10 ms): deadlines round up to it, so checks falling due together share one wake-up.</summary>
    public static readonly TimeSpan DefaultTimerResolution = TimeSpan.FromMilliseconds(10);

    /// <summary>Creates a scheduler: one timer queue for any number of monitors, deadlines on a <see cref="DefaultTimerResolution"/> grid.</summary>
    /// <param name="timeProvider">The clock (default <see cref="TimeProvider.System"/>; tests pass a manual clock).</param>
    /// <param name="random">Draws start jitter and spread (default <see cref="Random.Shared"/>; tests pass a seeded one). Used under a lock.</param>
    /// <param name="loggerFactory">Logging (default none).</param>
    /// <param name="meterFactory">Metrics (meter <c>Ha.Net.HealthChecks</c>; default a meter of its own).</param>
    public static IHealthCheckScheduler Create(TimeProvider? timeProvider = null, Random? random = null, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null) =>
        Create(timeProvider, random, loggerFactory, meterFactory, DefaultTimerResolution);

    /// <summary>Creates a scheduler whose check deadlines round up to <paramref name="timerResolution"/> (zero: exact deadlines, one wake-up each).</summary>
    /// <param name="timeProvider">The clock (default <see cref="TimeProvider.System"/>; tests pass a manual clock).</param>
    /// <param name="random">Draws start jitter and spread (default <see cref="Random.Shared"/>; tests pass a seeded one). Used under a lock.</param>
    /// <param name="loggerFactory">Logging (default none).</param>
    /// <param name="meterFactory">Metrics (meter <c>Ha.Net.HealthChecks</c>; default a meter of its own).</param>
    /// <param name="timerResolution">0 to 1 s.</param>
    public static IHealthCheckScheduler Create(TimeProvider? timeProvider, Random? random, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory, TimeSpan timerResolution) =>
        new TimerQueueScheduler(timeProvider ?? TimeProvider.System, random ?? Random.Shared, loggerFactory, meterFactory, timerResolution);
}
