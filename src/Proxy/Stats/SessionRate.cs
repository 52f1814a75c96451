namespace Ha.Net.Proxy.Stats;

/// <summary>
/// New sessions per second, as HAProxy's <c>freq_ctr</c> counts them for the <c>rate</c> and
/// <c>rate_max</c> columns: events in the current one-second period plus the previous period's
/// count weighted by the part of it still inside the last second; the maximum is the most events
/// seen within one period.
/// </summary>
/// <remarks>Touched once per session (not per byte), so a lock is cheaper than it is worth avoiding.</remarks>
internal sealed class SessionRate
{
    private const long PeriodMs = 1000;

    private readonly Lock _gate = new();
    private bool _started;
    private long _periodStart;
    private long _current;
    private long _previous;
    private long _max;

    /// <summary>Counts one new session at <paramref name="nowMs"/> (milliseconds on any steady clock).</summary>
    public void Add(long nowMs)
    {
        lock (_gate)
        {
            Rotate(nowMs);
            _current++;
            if (_current > _max)
            {
                _max = _current;
            }
        }
    }

    /// <summary>Sessions over the last second, at <paramref name="nowMs"/>.</summary>
    public long Read(long nowMs)
    {
        lock (_gate)
        {
            if (!_started)
            {
                return 0;
            }

            Rotate(nowMs);
            long elapsed = Math.Clamp(nowMs - _periodStart, 0, PeriodMs);
            return _current + (_previous * (PeriodMs - elapsed) / PeriodMs);
        }
    }

    /// <summary>The most sessions counted within one period since start (or the last <see cref="ClearMax"/>).</summary>
    public long Max
    {
        get
        {
            lock (_gate)
            {
                return _max;
            }
        }
    }

    /// <summary>
    /// How long from <paramref name="nowMs"/>, in milliseconds, until the count over the last second
    /// falls below <paramref name="limit"/> if no session comes meanwhile: 0 when it is below now
    /// (HAProxy's <c>next_event_delay</c> for <c>rate-limit sessions</c>, computed to the exact
    /// millisecond rather than polled every millisecond).
    /// </summary>
    public long DelayUntilBelow(long limit, long nowMs)
    {
        lock (_gate)
        {
            if (!_started)
            {
                return 0;
            }

            Rotate(nowMs);
            long elapsed = Math.Clamp(nowMs - _periodStart, 0, PeriodMs);
            long room = limit * PeriodMs;
            if ((_current * PeriodMs) + (_previous * (PeriodMs - elapsed)) < room)
            {
                return 0;
            }

            // Still in this period: the first t with current*P + previous*(P - t) < limit*P.
            if (_current < limit && _previous > 0)
            {
                long t = PeriodMs - CeilDiv((limit - _current) * PeriodMs, _previous) + 1;
                if (t < PeriodMs)
                {
                    return Math.Max(1, t - elapsed);
                }
            }

            // In the next period, this one's count weighs current*(P - f): the first f below the limit.
            long f = _current == 0 ? 0 : Math.Max(0, PeriodMs - CeilDiv(room, _current) + 1);
            return (PeriodMs - elapsed) + f;
        }
    }

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;

    /// <summary>Resets the maximum (HAProxy's <c>clear counters</c> zeroes it).</summary>
    public void ClearMax()
    {
        lock (_gate)
        {
            _max = 0;
        }
    }

    private void Rotate(long nowMs)
    {
        if (!_started)
        {
            _started = true;
            _periodStart = nowMs;
            return;
        }

        long elapsed = nowMs - _periodStart;
        if (elapsed < PeriodMs)
        {
            return;
        }

        _previous = elapsed < 2 * PeriodMs ? _current : 0;
        _current = 0;
        _periodStart = nowMs - (elapsed % PeriodMs);
    }
}
