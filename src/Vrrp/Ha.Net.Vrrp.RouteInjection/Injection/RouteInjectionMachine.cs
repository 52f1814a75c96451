namespace Ha.Net.Vrrp.RouteInjection;

/// <summary>
/// The injector's decision, pure: samples in, the wanted route state out. No clock, no I/O; the host
/// (<see cref="RouteInjector"/>) samples on its timer and makes the BGP speaker match <see cref="Wanted"/>.
/// <code>
/// state      input                               -> wanted     note
/// any        Sample(healthy), passes+1 >= rise   -> announced  unless drained or stopped
/// announced  Sample(unhealthy), fails+1 >= fall  -> withdrawn  damping: fewer failures keep it
/// withdrawn  Sample(unhealthy)                   -> withdrawn  passes reset to 0
/// any        Drain                               -> withdrawn  at once, no damping; passes reset
/// drained    Resume                              -> withdrawn  until rise fresh passes
/// any        Stop                                -> withdrawn  final: later samples change nothing
/// any        Reconfigure(rise, fall, same)       -> unchanged  counters kept; the new rise/fall count from the next sample
/// any        Reconfigure(rise, fall, changed)    -> unchanged  passes and failures reset to 0: the new conditions
///                                                              need rise passes to announce, fall failures to withdraw
/// </code>
/// </summary>
internal sealed class RouteInjectionMachine
{
    private int _rise;
    private int _fall;

    public RouteInjectionMachine(int rise, int fall)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rise, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(fall, 1);
        _rise = rise;
        _fall = fall;
    }

    /// <summary>Whether the route should be announced now.</summary>
    public bool Wanted { get; private set; }

    public bool Drained { get; private set; }

    public bool Stopped { get; private set; }

    public int ConsecutivePasses { get; private set; }

    public int ConsecutiveFailures { get; private set; }

    /// <summary>Takes one sample; returns whether <see cref="Wanted"/> changed.</summary>
    public bool Sample(bool healthy)
    {
        if (Stopped)
        {
            return false;
        }

        if (healthy)
        {
            ConsecutivePasses++;
            ConsecutiveFailures = 0;
        }
        else
        {
            ConsecutiveFailures++;
            ConsecutivePasses = 0;
        }

        var before = Wanted;
        if (!Wanted && !Drained && ConsecutivePasses >= _rise)
        {
            Wanted = true;
        }
        else if (Wanted && ConsecutiveFailures >= _fall)
        {
            Wanted = false;
        }

        return before != Wanted;
    }

    /// <summary>Withdraws at once and keeps the route withdrawn until <see cref="Resume"/>; returns whether <see cref="Wanted"/> changed.</summary>
    public bool Drain()
    {
        var before = Wanted;
        Drained = true;
        Wanted = false;
        ConsecutivePasses = 0;
        return before;
    }

    /// <summary>Lifts a drain: the route comes back after rise fresh passing samples.</summary>
    public void Resume()
    {
        Drained = false;
        ConsecutivePasses = 0;
    }

    /// <summary>
    /// New thresholds for the next samples. <see cref="Wanted"/>, <see cref="Drained"/> and <see cref="Stopped"/> never
    /// change here (no withdrawal or announcement from a reconfiguration alone); the consecutive counts are kept when the
    /// conditions are the same and reset when <paramref name="conditionsChanged"/> (old samples say nothing about new conditions).
    /// </summary>
    public void Reconfigure(int rise, int fall, bool conditionsChanged)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rise, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(fall, 1);
        _rise = rise;
        _fall = fall;
        if (conditionsChanged)
        {
            ConsecutivePasses = 0;
            ConsecutiveFailures = 0;
        }
    }

    /// <summary>Final withdrawal (shutdown); returns whether <see cref="Wanted"/> changed.</summary>
    public bool Stop()
    {
        var before = Wanted;
        Stopped = true;
        Wanted = false;
        return before;
    }
}
