using System.Diagnostics.CodeAnalysis;

namespace Ha.Net.HealthChecks;

/// <summary>
/// Runs every monitor's checks from one timer queue (no thread or timer per target), driven by a
/// <see cref="TimeProvider"/>. Create one with <see cref="HealthCheckScheduler"/>.<c>Create</c> or through DI
/// (<c>services.AddHaNetHealthChecks()</c>). Disposing it stops every monitor.
/// </summary>
public interface IHealthCheckScheduler : IAsyncDisposable
{
    /// <summary>All monitors, in no particular order.</summary>
    IReadOnlyCollection<IHealthMonitor> Monitors { get; }

    /// <summary>Adds a monitor and schedules its first check (after its start jitter).</summary>
    /// <param name="name">Unique name.</param>
    /// <param name="probe">What to run each time.</param>
    /// <param name="options">Timing and thresholds; validated (every problem named in one <see cref="ArgumentException"/>).</param>
    /// <exception cref="ArgumentException">The name is taken or the options are invalid.</exception>
    IHealthMonitor Add(string name, IHealthProbe probe, HealthMonitorOptions options);

    /// <summary>Stops and removes a monitor (a running check is cancelled and its result ignored).</summary>
    bool Remove(string name);

    /// <summary>Finds a monitor by name.</summary>
    bool TryGet(string name, [NotNullWhen(true)] out IHealthMonitor? monitor);
}
