namespace Ha.Net.HealthChecks;

/// <summary>
/// One target under watch: a probe run on a schedule with rise/fall hysteresis. Feeds a proxy
/// backend (server up/down) and VRRP tracking (priority weight, FAULT) alike. Thread-safe.
/// </summary>
public interface IHealthMonitor
{
    /// <summary>The monitor's unique name (e.g. <c>emailservice/dc1server01</c> or <c>chk_haproxy</c>).</summary>
    string Name { get; }

    /// <summary>The options in effect.</summary>
    HealthMonitorOptions Options { get; }

    /// <summary>The effective state: the override when one is set, otherwise what the checks decided.</summary>
    HealthState State { get; }

    /// <summary>A consistent view of everything the monitor knows, taken atomically.</summary>
    HealthSnapshot Snapshot { get; }

    /// <summary>
    /// Raised after the effective state changed, on the thread that completed the check (or called
    /// <see cref="SetOverride"/>), outside any lock, in order. Handlers must be quick and must not throw.
    /// </summary>
    event EventHandler<HealthStateChangedEventArgs>? StateChanged;

    /// <summary>Raised after every completed check, like <see cref="StateChanged"/> (for stats and logs).</summary>
    event EventHandler<CheckCompletedEventArgs>? CheckCompleted;

    /// <summary>Sets or lifts an administrator's override; raises <see cref="StateChanged"/> when the effective state changes.</summary>
    void SetOverride(HealthOverride value);

    /// <summary>
    /// Sets the checks' health counter as HAProxy's <c>set server … health up|down</c> does: fully up
    /// or fully down. Checks keep running and move it again.
    /// </summary>
    void SetHealth(HealthState state);

    /// <summary>Replaces the options, keeping state and counters (a configuration reload); the next check follows the new timing.</summary>
    void Reconfigure(HealthMonitorOptions options);

    /// <summary>Runs a check now (if none is running) instead of waiting for the interval.</summary>
    void CheckNow();

    /// <summary>
    /// Reports that live traffic to the target failed enough times in a row (HAProxy's <c>observe</c> with
    /// <c>error-limit</c>): applies <paramref name="action"/> to the health counter as HAProxy's
    /// <c>on-error</c> does, recording a <see cref="CheckStatus.HealthAnalyze"/> result with
    /// <paramref name="description"/> unless the action is <see cref="ObservedErrorAction.FastInterval"/>,
    /// and brings the next check forward to at most the fast interval from now.
    /// </summary>
    void ReportObservedErrors(ObservedErrorAction action, string description);
}

/// <summary>An atomic view of one monitor.</summary>
/// <param name="Name">The monitor's name.</param>
/// <param name="State">The effective state (override applied).</param>
/// <param name="CheckedState">What the checks alone say.</param>
/// <param name="Override">The administrator's override in effect.</param>
/// <param name="Health">HAProxy's health counter, 0..rise+fall−1: up when ≥ rise (and then reset to the maximum on a pass).</param>
/// <param name="Rise">The rise in effect.</param>
/// <param name="Fall">The fall in effect.</param>
/// <param name="ConsecutivePasses">Passes in a row (0 after a failure).</param>
/// <param name="ConsecutiveFailures">Failures in a row (0 after a pass).</param>
/// <param name="LastResult">The last completed check's result (<see cref="CheckStatus.Unknown"/> before the first).</param>
/// <param name="ChecksCompleted">How many checks completed.</param>
/// <param name="IsChecking">Whether a check is running now (HAProxy shows <c>* </c>).</param>
/// <param name="LastChange">When the effective state last changed (from the monitor's <see cref="TimeProvider"/>), or its creation.</param>
public sealed record HealthSnapshot(
    string Name,
    HealthState State,
    HealthState CheckedState,
    HealthOverride Override,
    int Health,
    int Rise,
    int Fall,
    int ConsecutivePasses,
    int ConsecutiveFailures,
    CheckResult LastResult,
    long ChecksCompleted,
    bool IsChecking,
    DateTimeOffset LastChange)
{
    /// <summary>Whether the checks' state is in transition (HAProxy's "UP 1/3" going down, "DOWN 1/2" going up).</summary>
    public bool IsTransitioning => CheckedState == HealthState.Up ? Health < Rise + Fall - 1 : Health > 0;

    /// <summary>HAProxy's status word for the stats page: <c>UP</c>, <c>DOWN</c>, <c>UP 1/3</c>, <c>DOWN 1/2</c>, or the forced state.</summary>
    public string StatusText => Override switch
    {
        HealthOverride.ForcedUp => "UP (forced)",
        HealthOverride.ForcedDown => "DOWN (forced)",
        _ when !IsTransitioning => CheckedState == HealthState.Up ? "UP" : "DOWN",
        _ when CheckedState == HealthState.Up => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"UP {Health - Rise + 1}/{Fall}"),
        _ => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"DOWN {Health}/{Rise}"),
    };
}

/// <summary>Data of <see cref="IHealthMonitor.StateChanged"/>.</summary>
public sealed class HealthStateChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public HealthStateChangedEventArgs(IHealthMonitor monitor, HealthState previous, HealthState current, HealthChangeReason reason, CheckResult result, HealthSnapshot snapshot)
    {
        Monitor = monitor;
        Previous = previous;
        Current = current;
        Reason = reason;
        Result = result;
        Snapshot = snapshot;
    }

    /// <summary>The monitor whose state changed.</summary>
    public IHealthMonitor Monitor { get; }

    /// <summary>The effective state before.</summary>
    public HealthState Previous { get; }

    /// <summary>The effective state now.</summary>
    public HealthState Current { get; }

    /// <summary>Whether a check or an administrator caused the change.</summary>
    public HealthChangeReason Reason { get; }

    /// <summary>The check result that caused the change (or the last one, for an administrative change).</summary>
    public CheckResult Result { get; }

    /// <summary>The monitor's state right after the change.</summary>
    public HealthSnapshot Snapshot { get; }
}

/// <summary>Data of <see cref="IHealthMonitor.CheckCompleted"/>.</summary>
public sealed class CheckCompletedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public CheckCompletedEventArgs(IHealthMonitor monitor, CheckResult result, HealthSnapshot snapshot)
    {
        Monitor = monitor;
        Result = result;
        Snapshot = snapshot;
    }

    /// <summary>The monitor that ran the check.</summary>
    public IHealthMonitor Monitor { get; }

    /// <summary>The check's result (its duration measured by the monitor's clock).</summary>
    public CheckResult Result { get; }

    /// <summary>The monitor's state right after the check.</summary>
    public HealthSnapshot Snapshot { get; }
}
