using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Ha.Net.HealthChecks.Adapters;

/// <summary>A monitor's current state reported as an <see cref="IHealthCheck"/> (no probing of its own).</summary>
internal sealed class MonitorHealthCheck(Func<IHealthMonitor> monitor) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var s = monitor().Snapshot;
        var data = new Dictionary<string, object>
        {
            ["state"] = s.State.ToString(),
            ["checked_state"] = s.CheckedState.ToString(),
            ["status"] = s.StatusText,
            ["health"] = s.Health,
            ["rise"] = s.Rise,
            ["fall"] = s.Fall,
            ["check_status"] = s.LastResult.HaproxyStatusName,
            ["check_duration_ms"] = (long)s.LastResult.Duration.TotalMilliseconds,
        };
        if (s.LastResult.Code is { } code)
        {
            data["check_code"] = code;
        }

        if (s.LastResult.Description is { } d)
        {
            data["check_description"] = d;
        }

        var description = string.Create(CultureInfo.InvariantCulture, $"{s.Name} is {s.StatusText}; last check {s.LastResult}");
        var status = s.State == HealthState.Down
            ? context.Registration?.FailureStatus ?? HealthStatus.Unhealthy
            : s.IsTransitioning && s.Override == HealthOverride.None ? HealthStatus.Degraded : HealthStatus.Healthy;
        return Task.FromResult(new HealthCheckResult(status, description, null, data));
    }
}
