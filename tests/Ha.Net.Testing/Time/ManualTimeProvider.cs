namespace Ha.Net.Testing.Time;

/// <summary>
/// A <see cref="TimeProvider"/> that moves only when told to, for deterministic tests of async
/// hosts (VRRP host, health-check scheduler, proxy timeouts). API-compatible with
/// Microsoft.Extensions.Time.Testing.FakeTimeProvider (not on this project's registry):
/// <see cref="Advance"/>, <see cref="SetUtcNow"/>, <see cref="Start"/>, <see cref="AutoAdvanceAmount"/>.
/// </summary>
/// <remarks>
/// Due timers fire during <see cref="Advance"/> in due-time order (ties in creation order), with
/// the clock set to each timer's due time while its callback runs; periodic timers re-arm;
/// <see cref="ITimer.Change"/> and <see cref="IDisposable.Dispose"/> work. Like YARP's test clock it
/// reports an odd <see cref="TimestampFrequency"/> to flush out code that mixes tick units.
/// Callbacks run synchronously on the thread that calls <see cref="Advance"/>; code that awaits
/// <c>Task.Delay(..., provider)</c> continues on the thread pool, so tests advance and then
/// await the observable effect with a generous bound.
/// </remarks>
public sealed class ManualTimeProvider : TimeProvider
{
    private const long Frequency = 999_983; // odd and not a power of ten: catches unit mixing
    private readonly object _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now;
    private long _elapsedTicks; // TimeSpan ticks since construction
    private long _sequence;

    /// <summary>Creates a clock starting at 2000-01-01T00:00:00Z.</summary>
    public ManualTimeProvider()
        : this(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    /// <summary>Creates a clock starting at <paramref name="start"/>.</summary>
    public ManualTimeProvider(DateTimeOffset start)
    {
        _now = start;
        Start = start;
    }

    /// <summary>The time the clock started at.</summary>
    public DateTimeOffset Start { get; }

    /// <summary>Added to the clock after each <see cref="GetUtcNow"/> call (zero by default).</summary>
    public TimeSpan AutoAdvanceAmount { get; set; }

    /// <summary>How much time has passed since the clock was created.</summary>
    public TimeSpan Elapsed
    {
        get { lock (_gate) { return TimeSpan.FromTicks(_elapsedTicks); } }
    }

    /// <summary>The number of timers currently armed (not disposed, with a finite due time).</summary>
    public int ActiveTimerCount
    {
        get { lock (_gate) { return _timers.Count(t => t.DueAt is not null); } }
    }

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc />
    public override long TimestampFrequency => Frequency;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow()
    {
        DateTimeOffset now;
        lock (_gate)
        {
            now = _now;
        }

        if (AutoAdvanceAmount > TimeSpan.Zero)
        {
            Advance(AutoAdvanceAmount);
        }

        return now;
    }

    /// <inheritdoc />
    public override long GetTimestamp()
    {
        lock (_gate)
        {
            // Ticks (100 ns) → our frequency, exactly enough for tests.
            return (long)Math.Round((decimal)_elapsedTicks * Frequency / TimeSpan.TicksPerSecond);
        }
    }

    /// <summary>Moves the clock forward by <paramref name="delta"/>, firing every timer that falls due.</summary>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        long target;
        lock (_gate)
        {
            target = _elapsedTicks + delta.Ticks;
        }

        while (true)
        {
            ManualTimer? due = null;
            lock (_gate)
            {
                foreach (var timer in _timers)
                {
                    if (timer.DueAt is { } at && at <= target &&
                        (due is null || at < due.DueAt || (at == due.DueAt && timer.Sequence < due.Sequence)))
                    {
                        due = timer;
                    }
                }

                if (due is null)
                {
                    MoveTo(target);
                    return;
                }

                MoveTo(Math.Max(_elapsedTicks, due.DueAt!.Value));
                due.DueAt = due.Period is { } p ? _elapsedTicks + Math.Max(p, 1) : null;
            }

            due.Fire();
        }
    }

    /// <summary>Sets the wall clock to <paramref name="value"/>, which must not be earlier than now; fires due timers.</summary>
    public void SetUtcNow(DateTimeOffset value)
    {
        TimeSpan delta;
        lock (_gate)
        {
            delta = value - _now;
        }

        if (delta < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "The manual clock cannot go backwards.");
        }

        Advance(delta);
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ManualTimer(this, callback, state);
        lock (_gate)
        {
            timer.Sequence = _sequence++;
            _timers.Add(timer);
            Arm(timer, dueTime, period);
        }

        return timer;
    }

    /// <inheritdoc />
    public override string ToString() => $"ManualTimeProvider({_now:O}, +{Elapsed})";

    private void MoveTo(long ticks)
    {
        _now += TimeSpan.FromTicks(ticks - _elapsedTicks);
        _elapsedTicks = ticks;
    }

    private void Arm(ManualTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        timer.DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : _elapsedTicks + Math.Max(dueTime.Ticks, 0);
        timer.Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period.Ticks;
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public long? DueAt { get; set; }

        public long? Period { get; set; }

        public long Sequence { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._gate)
            {
                if (!owner._timers.Contains(this))
                {
                    return false;
                }

                owner.Arm(this, dueTime, period);
                return true;
            }
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (owner._gate)
            {
                owner._timers.Remove(this);
                DueAt = null;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
