using System.Globalization;

namespace Ha.Net.HealthChecks;

/// <summary>
/// How one target is checked: HAProxy's <c>inter</c>, <c>fastinter</c>, <c>downinter</c>,
/// <c>timeout check</c>, <c>rise</c>, <c>fall</c>, <c>spread-checks</c>, and keepalived's <c>vrrp_script</c>
/// timing (<see cref="VrrpScript"/>). Defaults are HAProxy's (inter 2 s, rise 2, fall 3). What a check's state does to a
/// VRRP priority (keepalived's <c>weight</c> / <c>reverse</c>) is the VRRP engine's rule: <c>TrackedObject</c> in Ha.Net.Vrrp.
/// </summary>
public sealed record HealthMonitorOptions
{
    /// <summary>HAProxy's default check interval (<c>inter 2s</c>).</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(2);

    /// <summary>Time between the end of one check and the start of the next while fully up (HAProxy <c>inter</c>, keepalived <c>interval</c>). Default 2 s.</summary>
    public TimeSpan Interval { get; init; } = DefaultInterval;

    /// <summary>Interval while the state is changing (going up or going down; HAProxy <c>fastinter</c>). Default: <see cref="Interval"/>.</summary>
    public TimeSpan? FastInterval { get; init; }

    /// <summary>Interval while fully down (HAProxy <c>downinter</c>). Default: <see cref="Interval"/>.</summary>
    public TimeSpan? DownInterval { get; init; }

    /// <summary>
    /// How long one check may take before it counts as a timeout failure (HAProxy <c>timeout check</c>,
    /// keepalived <c>timeout</c>). Default: <see cref="Interval"/>, as HAProxy does without <c>timeout check</c>.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Consecutive passes needed to go up (HAProxy <c>rise</c>, default 2).</summary>
    public int Rise { get; init; } = 2;

    /// <summary>Consecutive failures needed to go down (HAProxy <c>fall</c>, default 3).</summary>
    public int Fall { get; init; } = 3;

    /// <summary>
    /// The first check starts after a random delay in [0, <see cref="Jitter"/>), drawn from the
    /// scheduler's <see cref="Random"/>, so thousands of targets do not all fire together.
    /// Default: <see cref="Interval"/> (HAProxy spreads server start times across one interval). Zero: check at once.
    /// </summary>
    public TimeSpan? Jitter { get; init; }

    /// <summary>
    /// Random spread applied to every interval, in percent (HAProxy <c>spread-checks</c>, 0–50):
    /// each interval is drawn uniformly from ±<see cref="SpreadPercent"/>% around its nominal value. Default 0.
    /// </summary>
    public int SpreadPercent { get; init; }

    /// <summary>The state before the first check. Default <see cref="HealthInitialState.Up"/> (HAProxy).</summary>
    public HealthInitialState InitialState { get; init; } = HealthInitialState.Up;

    /// <summary>The interval used while fully up.</summary>
    public TimeSpan EffectiveInterval => Interval;

    /// <summary>The interval used while going up or down.</summary>
    public TimeSpan EffectiveFastInterval => FastInterval ?? Interval;

    /// <summary>The interval used while fully down.</summary>
    public TimeSpan EffectiveDownInterval => DownInterval ?? Interval;

    /// <summary>The check timeout in effect.</summary>
    public TimeSpan EffectiveTimeout => Timeout ?? Interval;

    /// <summary>The start jitter in effect.</summary>
    public TimeSpan EffectiveJitter => Jitter ?? Interval;

    /// <summary>
    /// keepalived's <c>vrrp_script</c> defaults: interval 1 s, rise 1, fall 1, no start jitter,
    /// initially unknown (one pass to go up), timeout = interval.
    /// </summary>
    public static HealthMonitorOptions VrrpScript(TimeSpan? interval = null) => new()
    {
        Interval = interval ?? TimeSpan.FromSeconds(1),
        Rise = 1,
        Fall = 1,
        Jitter = TimeSpan.Zero,
        InitialState = HealthInitialState.Unknown,
    };

    /// <summary>Checks every value; returns all problems, each naming its key (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        Positive(errors, nameof(Interval), Interval);
        if (FastInterval is { } f) { Positive(errors, nameof(FastInterval), f); }
        if (DownInterval is { } d) { Positive(errors, nameof(DownInterval), d); }
        if (Timeout is { } t) { Positive(errors, nameof(Timeout), t); }
        if (Jitter is { } j && (j < TimeSpan.Zero || j > TimeSpan.FromDays(1)))
        {
            errors.Add(Invariant($"{nameof(Jitter)} must be between 0 and 1 day, was {j}."));
        }

        if (Rise is < 1 or > 1_000_000) { errors.Add(Invariant($"{nameof(Rise)} must be between 1 and 1000000, was {Rise}.")); }
        if (Fall is < 1 or > 1_000_000) { errors.Add(Invariant($"{nameof(Fall)} must be between 1 and 1000000, was {Fall}.")); }
        if (SpreadPercent is < 0 or > 50) { errors.Add(Invariant($"{nameof(SpreadPercent)} must be between 0 and 50 (HAProxy spread-checks), was {SpreadPercent}.")); }
        if (!Enum.IsDefined(InitialState)) { errors.Add(Invariant($"{nameof(InitialState)} has an undefined value {(int)InitialState}.")); }
        return errors;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> listing every problem found by <see cref="Validate"/>.</summary>
    /// <param name="paramName">The parameter or configuration key the options came from.</param>
    public void ThrowIfInvalid(string paramName = "options")
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid health monitor options: " + string.Join(" ", errors), paramName);
        }
    }

    private static void Positive(List<string> errors, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero || value > TimeSpan.FromDays(1))
        {
            errors.Add(Invariant($"{key} must be greater than 0 and at most 1 day, was {value}."));
        }
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
