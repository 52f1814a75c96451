using System.Net;

namespace Ha.Net.Vrrp.RouteInjection;

/// <summary>What a <see cref="RouteInjector"/> announces and how it damps.</summary>
public sealed record RouteInjectorOptions
{
    /// <summary>The service addresses to originate, usually one /32 (or /128) held on the node's loopback.</summary>
    public IReadOnlyList<IPNetwork> Prefixes { get; init; } = [];

    /// <summary>How often the conditions are sampled (500 ms by default).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Passing samples in a row before the route is announced (3 by default).</summary>
    public int Rise { get; init; } = 3;

    /// <summary>Failing samples in a row before the route is withdrawn (2 by default).</summary>
    public int Fall { get; init; } = 2;

    /// <summary>
    /// On stop, how long to wait after the withdrawal before returning, so routers move new flows elsewhere
    /// before the caller closes its listeners (2 s by default; BGP withdrawal plus the router's FIB update).
    /// </summary>
    public TimeSpan WithdrawGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often the wanted state is applied again even when nothing changed, so a BGP daemon restarted by
    /// watchfrr (which loses run-time changes) gets the route back (30 s by default; <see cref="TimeSpan.Zero"/> never).
    /// </summary>
    public TimeSpan ReassertInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A file whose existence drains the node (the route is withdrawn at the next sample, without damping,
    /// and stays withdrawn while the file exists): <c>touch</c> it to drain, remove it to return.
    /// </summary>
    public string? DrainFile { get; init; }

    /// <summary>Every problem with these options, each naming its key; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Prefixes.Count == 0)
        {
            errors.Add("Prefixes: at least one prefix to announce is required.");
        }

        if (Interval <= TimeSpan.Zero)
        {
            errors.Add("Interval must be positive.");
        }

        if (Rise < 1)
        {
            errors.Add("Rise must be at least 1.");
        }

        if (Fall < 1)
        {
            errors.Add("Fall must be at least 1.");
        }

        if (WithdrawGrace < TimeSpan.Zero)
        {
            errors.Add("WithdrawGrace must not be negative.");
        }

        if (ReassertInterval < TimeSpan.Zero)
        {
            errors.Add("ReassertInterval must not be negative.");
        }

        if (DrainFile is { Length: 0 })
        {
            errors.Add("DrainFile must be a path or null.");
        }

        return errors;
    }
}

/// <summary>Where a <see cref="RouteInjector"/> stands.</summary>
public enum RouteInjectionState
{
    /// <summary>Not announced: starting, not yet risen, or failed.</summary>
    Withdrawn,

    /// <summary>Announced: every condition held for rise samples and no fall since.</summary>
    Announced,

    /// <summary>Withdrawn on purpose (<see cref="RouteInjector.DrainAsync"/> or the drain file) until resumed.</summary>
    Drained,

    /// <summary>Withdrawn for good: <see cref="RouteInjector.StopAsync"/> ran.</summary>
    Stopped,
}
