namespace Ha.Net.HealthChecks;

/// <summary>Whether a monitored target is in service, as its checks (or an administrator) decided.</summary>
public enum HealthState
{
    /// <summary>Out of service: <c>fall</c> consecutive failures, or not yet risen, or forced down.</summary>
    Down,

    /// <summary>In service: <c>rise</c> consecutive passes, or not yet fallen, or forced up.</summary>
    Up,
}

/// <summary>Where a monitor starts, before any check has run.</summary>
public enum HealthInitialState
{
    /// <summary>
    /// HAProxy's default: up, but a single failure takes it down (health counter at <c>rise</c>);
    /// the first pass makes it fully up.
    /// </summary>
    Up,

    /// <summary>keepalived's default for <c>vrrp_script</c>: down until the first pass, which is enough
    /// to go up (health counter at <c>rise − 1</c>).</summary>
    Unknown,

    /// <summary>Fully down: <c>rise</c> passes are needed (HAProxy <c>init-state down</c>, keepalived <c>init_fail</c>).</summary>
    Down,
}

/// <summary>
/// An administrator's override of what the checks say (HAProxy's <c>set server … health</c> /
/// <c>disable health</c>; a drained or maintained server is the proxy's business, not this one's).
/// </summary>
public enum HealthOverride
{
    /// <summary>No override: the checks decide.</summary>
    None,

    /// <summary>Forced up whatever the checks say; checks keep running and their state stays visible.</summary>
    ForcedUp,

    /// <summary>Forced down whatever the checks say; checks keep running and their state stays visible.</summary>
    ForcedDown,
}

/// <summary>Why a monitor's effective state changed.</summary>
public enum HealthChangeReason
{
    /// <summary>The checks passed <c>rise</c> times or failed <c>fall</c> times in a row.</summary>
    Check,

    /// <summary>An administrator forced the state, or lifted an override.</summary>
    Administrative,

    /// <summary>Errors observed on live traffic were counted as a failed check (<see cref="IHealthMonitor.ReportObservedErrors"/>).</summary>
    ObservedErrors,
}

/// <summary>What <see cref="IHealthMonitor.ReportObservedErrors"/> does once the user of a monitor has seen
/// enough consecutive errors on live traffic (HAProxy's <c>on-error</c>). Every action also brings the next
/// check forward to at most the fast interval from now.</summary>
public enum ObservedErrorAction
{
    /// <summary>Only bring the next check forward (<c>fastinter</c>, HAProxy's default).</summary>
    FastInterval,

    /// <summary>Count one failed check (<c>fail-check</c>).</summary>
    FailCheck,

    /// <summary>Leave an up target one failure from down, then count one failed check, so the next failed
    /// check marks it down (<c>sudden-death</c>).</summary>
    SuddenDeath,

    /// <summary>Mark the target down now (<c>mark-down</c>); passing checks bring it back up after rise.</summary>
    MarkDown,
}
