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
