namespace Ha.Net.HealthChecks;

/// <summary>
/// What a tracked check does to a VRRP instance, with keepalived's <c>vrrp_script</c> /
/// <c>track_script</c> arithmetic (keepalived <c>process_script_update_priority</c>):
/// weight &gt; 0 adds the weight while the check is up; weight &lt; 0 adds it (lowers the priority)
/// while down; weight 0 puts the instance in FAULT while down. <c>reverse</c> negates the weight
/// (a positive weight is subtracted while up, a negative one added while down) and, for weight 0,
/// means FAULT while up.
/// </summary>
/// <param name="PriorityDelta">What to add to the base priority (the caller sums all tracked effects and clamps to 1..254).</param>
/// <param name="Fault">Whether the instance must be in FAULT state.</param>
public readonly record struct TrackingEffect(int PriorityDelta, bool Fault)
{
    /// <summary>Computes the effect of a check in <paramref name="state"/> with <paramref name="weight"/>.</summary>
    /// <param name="state">The check's effective state.</param>
    /// <param name="weight">keepalived weight, −253..253 (a <c>track_script … weight</c> overrides the script's).</param>
    /// <param name="reverse">keepalived <c>reverse</c>.</param>
    public static TrackingEffect Compute(HealthState state, int weight, bool reverse = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(weight, -253);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(weight, 253);
        var up = state == HealthState.Up;
        var multiplier = reverse ? -1 : 1;
        if (weight == 0)
        {
            // keepalived: the instance goes down when script_ok != (multiplier == 1).
            return new TrackingEffect(0, Fault: up == reverse);
        }

        // keepalived: a positive weight counts while OK, a negative one while KO, times the
        // multiplier (−1 with reverse).
        if (weight > 0)
        {
            return new TrackingEffect(up ? weight * multiplier : 0, false);
        }

        return new TrackingEffect(up ? 0 : weight * multiplier, false);
    }
}
