namespace Ha.Net.HealthChecks;

/// <summary>A monitor to create when the scheduler is resolved (see <c>services.AddHealthMonitor(...)</c>).</summary>
/// <param name="Name">The monitor's unique name.</param>
/// <param name="ProbeFactory">Creates its probe.</param>
/// <param name="Options">Its options.</param>
public sealed record HealthMonitorRegistration(string Name, Func<IServiceProvider, IHealthProbe> ProbeFactory, HealthMonitorOptions Options);
