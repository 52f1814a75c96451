using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Ha.Net.HealthChecks.Adapters;

/// <summary>An <see cref="IHealthCheck"/> run as a probe.</summary>
internal sealed class HealthCheckProbe(IHealthCheck check, HealthCheckRegistration registration, bool degradedPasses, TimeProvider time) : IHealthProbe
{
    public async ValueTask<CheckResult> ProbeAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        HealthCheckResult result;
        try
        {
            result = await check.CheckHealthAsync(new HealthCheckContext { Registration = registration }, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new CheckResult(CheckStatus.L7Timeout, null, $"Health check '{registration.Name}' timed out", time.GetElapsedTime(started));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return new CheckResult(CheckStatus.L7Response, null, $"Health check '{registration.Name}' threw {ex.GetType().Name}: {ex.Message}", time.GetElapsedTime(started));
        }

        var text = result.Description ?? result.Exception?.Message ?? result.Status.ToString();
        var status = result.Status switch
        {
            HealthStatus.Healthy => CheckStatus.L7Ok,
            HealthStatus.Degraded when degradedPasses => CheckStatus.L7OkConditional,
            _ => CheckStatus.L7Status,
        };
        return new CheckResult(status, null, $"{result.Status}: {text}", time.GetElapsedTime(started));
    }
}
