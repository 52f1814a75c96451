namespace Ha.Net.HealthChecks;

/// <summary>
/// Probes one target once (a TCP connect, an SMTP dialogue, an HTTP request, a process lookup,
/// a command) and reports what it saw. Scheduling, timeouts, rise and fall belong to the monitor
/// that calls it, not to the probe.
/// </summary>
public interface IHealthProbe
{
    /// <summary>Runs the probe once.</summary>
    /// <param name="cancellationToken">Cancelled when the check's timeout expires or the monitor stops;
    /// a probe observing it returns a timeout result (or throws <see cref="OperationCanceledException"/>,
    /// which the monitor maps to a timeout).</param>
    /// <returns>The outcome; probes report failures as results, not exceptions.</returns>
    ValueTask<CheckResult> ProbeAsync(CancellationToken cancellationToken);
}
