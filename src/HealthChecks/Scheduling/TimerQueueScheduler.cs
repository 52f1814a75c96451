using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ha.Net.HealthChecks.Scheduling;

/// <summary>What a queue entry asks a monitor to do when it falls due.</summary>
internal enum DueKind : byte
{
    /// <summary>Start a check.</summary>
    Check,

    /// <summary>The running check's timeout expired: cancel it.</summary>
    Timeout,

    /// <summary>A cancelled check still has not returned: give up on it.</summary>
    Abandon,
}

/// <summary>
/// One priority queue of deadlines (start a check, time a check out) for every monitor, and one
/// <see cref="ITimer"/> armed for the earliest of them. Monitors never own a timer or a thread:
/// when the timer fires, every due entry is handed to its monitor, which starts its probe (async)
/// or cancels it; results re-enter the queue as the next deadline. Deadlines snap up to a grid
/// of <c>timerResolution</c> (10 ms by default) so wake-ups are shared. Stale entries (a check that
/// finished before its timeout, a reconfigured schedule) carry an old token and are ignored.
/// </summary>
internal sealed partial class TimerQueueScheduler : IHealthCheckScheduler
{
    private readonly object _gate = new();
    private readonly PriorityQueue<Entry, long> _queue = new();
    private readonly ConcurrentDictionary<string, HealthMonitor> _monitors = new(StringComparer.Ordinal);
    private readonly ITimer _timer;
    private readonly long _origin;
    private readonly Random _random;
    private readonly long _resolution;
    private readonly long _slack;
    private long _armedFor = long.MaxValue;
    private bool _disposed;

    public TimerQueueScheduler(TimeProvider timeProvider, Random random, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory, TimeSpan timerResolution)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timerResolution, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(timerResolution, TimeSpan.FromSeconds(1));
        Time = timeProvider;
        _resolution = timerResolution.Ticks;
        _slack = Math.Min(_resolution, TimeSpan.TicksPerMillisecond); // OS timers round to whole milliseconds
        _random = random;
        Logger = (ILogger?)loggerFactory?.CreateLogger("Ha.Net.HealthChecks.Scheduler") ?? NullLogger.Instance;
        Metrics = new HealthCheckMetrics(meterFactory, this);
        _origin = timeProvider.GetTimestamp();
        _timer = timeProvider.CreateTimer(static s => ((TimerQueueScheduler)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    internal TimeProvider Time { get; }

    internal ILogger Logger { get; }

    internal HealthCheckMetrics Metrics { get; }

    /// <summary>Entries waiting in the queue, stale ones included (for tests and diagnostics).</summary>
    internal int QueueLength
    {
        get { lock (_gate) { return _queue.Count; } }
    }

    public IReadOnlyCollection<IHealthMonitor> Monitors => _monitors.Values.ToArray();

    internal IEnumerable<HealthMonitor> AllMonitors => _monitors.Values;

    public IHealthMonitor Add(string name, IHealthProbe probe, HealthMonitorOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid(nameof(options));
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        var monitor = new HealthMonitor(this, name, probe, options);
        if (!_monitors.TryAdd(name, monitor))
        {
            throw new ArgumentException($"A health monitor named '{name}' already exists.", nameof(name));
        }

        monitor.Start();
        return monitor;
    }

    public bool Remove(string name)
    {
        if (!_monitors.TryRemove(name, out var monitor))
        {
            return false;
        }

        monitor.Stop();
        return true;
    }

    public bool TryGet(string name, [NotNullWhen(true)] out IHealthMonitor? monitor)
    {
        var found = _monitors.TryGetValue(name, out var m);
        monitor = m;
        return found;
    }

    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return ValueTask.CompletedTask;
            }

            _disposed = true;
            _queue.Clear();
        }

        _timer.Dispose();
        foreach (var name in _monitors.Keys)
        {
            Remove(name);
        }

        Metrics.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Monotonic time since the scheduler was created, in <see cref="TimeSpan"/> ticks.</summary>
    internal long NowTicks => Time.GetElapsedTime(_origin).Ticks;

    /// <summary>A random delay in [0, <paramref name="max"/>).</summary>
    internal TimeSpan NextJitter(TimeSpan max)
    {
        if (max <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        lock (_gate)
        {
            return TimeSpan.FromTicks((long)(_random.NextDouble() * max.Ticks));
        }
    }

    /// <summary><paramref name="interval"/> spread uniformly by ±<paramref name="percent"/>%.</summary>
    internal TimeSpan Spread(TimeSpan interval, int percent)
    {
        if (percent <= 0)
        {
            return interval;
        }

        double r;
        lock (_gate)
        {
            r = _random.NextDouble();
        }

        var factor = 1 + (((2 * r) - 1) * percent / 100.0);
        return TimeSpan.FromTicks(Math.Max(1, (long)(interval.Ticks * factor)));
    }

    /// <summary>Queues <paramref name="kind"/> for <paramref name="monitor"/> after <paramref name="delay"/>.</summary>
    internal void Schedule(HealthMonitor monitor, TimeSpan delay, DueKind kind, long token)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var now = NowTicks;
            var due = now + Math.Max(0, delay.Ticks);
            if (_resolution > 1)
            {
                // Deadlines snap to the next point of the grid, so the deadlines of thousands of
                // monitors share wake-ups (at most 1 s / resolution a second). One within _slack
                // past a grid point snaps back to it: clocks that round (the OS timer to whole
                // milliseconds, a test clock with an odd frequency) must not push a deadline a
                // whole slot later.
                due = Math.Max(now, (due - _slack + _resolution - 1) / _resolution * _resolution);
            }

            _queue.Enqueue(new Entry(monitor, token, kind), due);
            if (due < _armedFor)
            {
                Arm(due);
            }
        }
    }

    private void Arm(long due)
    {
        _armedFor = due;
        // A hair early (2 µs): a clock whose timestamps round "now" (a test clock with an odd
        // frequency) must not make the timer miss the slot; OnTimer takes entries due within _slack.
        var delay = Math.Max(0, due - NowTicks - Math.Min(_slack, 20));
        _timer.Change(TimeSpan.FromTicks(delay), Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        // Bounded: each pass removes one entry; entries added while we run are either due (and
        // taken here) or later (and the timer is re-armed for them below).
        while (true)
        {
            Entry entry;
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                if (!_queue.TryPeek(out entry, out var due))
                {
                    _armedFor = long.MaxValue;
                    return;
                }

                if (due > NowTicks + _slack)
                {
                    Arm(due);
                    return;
                }

                _queue.Dequeue();
            }

            try
            {
                entry.Monitor.OnDue(entry.Kind, entry.Token);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A monitor must never take the queue down with it.
                Log.DueEntryFailed(Logger, ex, entry.Monitor.Name, entry.Kind.ToString());
            }
        }
    }

    private readonly record struct Entry(HealthMonitor Monitor, long Token, DueKind Kind);
}
