using System.Diagnostics.Metrics;

namespace Ha.Net.HealthChecks.Scheduling;

/// <summary>
/// Meter <c>Ha.Net.HealthChecks</c>: <c>hanet.health_check.checks</c> (counter, tag
/// <c>hanet.check.status</c> = HAProxy's name), <c>hanet.health_check.duration</c> (histogram, s),
/// <c>hanet.health_check.state_changes</c> (counter, tag <c>hanet.health.state</c>),
/// <c>hanet.health_check.monitors</c> (observable, tag <c>hanet.health.state</c>).
/// </summary>
internal sealed class HealthCheckMetrics : IDisposable
{
    public const string MeterName = "Ha.Net.HealthChecks";
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _checks;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _changes;

    public HealthCheckMetrics(IMeterFactory? factory, TimerQueueScheduler scheduler)
    {
        _ownsMeter = factory is null;
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _checks = _meter.CreateCounter<long>("hanet.health_check.checks", "{check}", "Completed health checks by HAProxy check status.");
        _duration = _meter.CreateHistogram<double>("hanet.health_check.duration", "s", "Duration of completed health checks.");
        _changes = _meter.CreateCounter<long>("hanet.health_check.state_changes", "{change}", "Effective state changes of health monitors.");
        _meter.CreateObservableUpDownCounter("hanet.health_check.monitors", () => Observe(scheduler), "{monitor}", "Health monitors by effective state.");
    }

    public void CheckCompleted(in CheckResult result)
    {
        if (_checks.Enabled)
        {
            _checks.Add(1, new KeyValuePair<string, object?>("hanet.check.status", result.HaproxyStatusName));
        }

        if (_duration.Enabled)
        {
            _duration.Record(result.Duration.TotalSeconds, new KeyValuePair<string, object?>("hanet.check.status", result.HaproxyStatusName));
        }
    }

    public void StateChanged(HealthState state)
    {
        if (_changes.Enabled)
        {
            _changes.Add(1, new KeyValuePair<string, object?>("hanet.health.state", state == HealthState.Up ? "up" : "down"));
        }
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static IEnumerable<Measurement<long>> Observe(TimerQueueScheduler scheduler)
    {
        long up = 0, down = 0;
        foreach (var m in scheduler.AllMonitors)
        {
            if (m.State == HealthState.Up) { up++; } else { down++; }
        }

        return
        [
            new Measurement<long>(up, new KeyValuePair<string, object?>("hanet.health.state", "up")),
            new Measurement<long>(down, new KeyValuePair<string, object?>("hanet.health.state", "down")),
        ];
    }
}
