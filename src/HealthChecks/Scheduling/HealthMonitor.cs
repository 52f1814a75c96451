using Microsoft.Extensions.Logging;

namespace Ha.Net.HealthChecks.Scheduling;

/// <summary>
/// One target: HAProxy's health counter (0..rise+fall−1, up when ≥ rise; a pass adds one and
/// jumps to the maximum once rise is reached; a failure takes one and drops to 0 below rise —
/// hap:<c>src/check.c</c> <c>set_server_check_status</c>), HAProxy's interval choice
/// (<c>srv_getinter</c>: inter when fully up, downinter when fully down, fastinter in between),
/// one check at a time, timeouts from the scheduler's queue.
/// </summary>
internal sealed class HealthMonitor : IHealthMonitor
{
    private readonly TimerQueueScheduler _scheduler;
    private readonly IHealthProbe _probe;
    private readonly object _gate = new();
    private readonly object _eventGate = new();
    private HealthMonitorOptions _options;
    private int _health;
    private HealthOverride _override;
    private int _passes;
    private int _failures;
    private CheckResult _lastResult;
    private long _checks;
    private bool _running;
    private bool _stopped;
    private long _checkId;
    private long _scheduleToken;
    private long _checkDueAt;
    private long _startedAt;
    private CancellationTokenSource? _cts;
    private DateTimeOffset _lastChange;
    private HealthState _effective;

    public HealthMonitor(TimerQueueScheduler scheduler, string name, IHealthProbe probe, HealthMonitorOptions options)
    {
        _scheduler = scheduler;
        _probe = probe;
        _options = options;
        Name = name;
        _health = options.InitialState switch
        {
            HealthInitialState.Up => options.Rise,
            HealthInitialState.Unknown => options.Rise - 1,
            _ => 0,
        };
        _lastChange = scheduler.Time.GetUtcNow();
        _effective = Effective();
    }

    public event EventHandler<HealthStateChangedEventArgs>? StateChanged;

    public event EventHandler<CheckCompletedEventArgs>? CheckCompleted;

    public string Name { get; }

    public HealthMonitorOptions Options
    {
        get { lock (_gate) { return _options; } }
    }

    public HealthState State
    {
        get { lock (_gate) { return _effective; } }
    }

    public HealthSnapshot Snapshot
    {
        get { lock (_gate) { return TakeSnapshot(); } }
    }

    private int Max => _options.Rise + _options.Fall - 1;

    private HealthState CheckedState => _health >= _options.Rise ? HealthState.Up : HealthState.Down;

    public void SetOverride(HealthOverride value)
    {
        if (!Enum.IsDefined(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "Undefined health override.");
        }

        lock (_eventGate)
        {
            HealthStateChangedEventArgs? change;
            lock (_gate)
            {
                _override = value;
                change = UpdateEffective(HealthChangeReason.Administrative, _lastResult);
            }

            if (change is not null)
            {
                TimerQueueScheduler.Log.Forced(_scheduler.Logger, Name, change.Current, value);
                Raise(change);
            }
        }
    }

    public void SetHealth(HealthState state)
    {
        lock (_eventGate)
        {
            HealthStateChangedEventArgs? change;
            lock (_gate)
            {
                _health = state == HealthState.Up ? Max : 0;
                change = UpdateEffective(HealthChangeReason.Administrative, _lastResult);
            }

            if (change is not null)
            {
                TimerQueueScheduler.Log.Forced(_scheduler.Logger, Name, change.Current, _override);
                Raise(change);
            }
        }
    }

    public void Reconfigure(HealthMonitorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid(nameof(options));
        lock (_eventGate)
        {
            HealthStateChangedEventArgs? change;
            long token;
            TimeSpan next;
            bool reschedule;
            lock (_gate)
            {
                var wasUp = CheckedState == HealthState.Up;
                var wasFull = _health == Max;
                _options = options;

                // Keep the meaning of the counter: fully up stays fully up, down stays down.
                _health = wasFull ? Max : wasUp ? Math.Clamp(_health, options.Rise, Max) : Math.Min(_health, options.Rise - 1);
                change = UpdateEffective(HealthChangeReason.Administrative, _lastResult);
                reschedule = !_running && !_stopped;
                next = NextInterval();
                token = NextCheckToken(next);
            }

            if (reschedule)
            {
                _scheduler.Schedule(this, next, DueKind.Check, token);
            }

            if (change is not null)
            {
                Raise(change);
            }
        }
    }

    public void CheckNow()
    {
        long token;
        lock (_gate)
        {
            if (_running || _stopped)
            {
                return;
            }

            token = NextCheckToken(TimeSpan.Zero);
        }

        _scheduler.Schedule(this, TimeSpan.Zero, DueKind.Check, token);
    }

    public void ReportObservedErrors(ObservedErrorAction action, string description)
    {
        if (!Enum.IsDefined(action))
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, "Undefined observed-error action.");
        }

        lock (_eventGate)
        {
            HealthStateChangedEventArgs? change = null;
            CheckCompletedEventArgs? completed = null;
            CheckResult result = default;
            long token = 0;
            TimeSpan next = default;
            lock (_gate)
            {
                if (_stopped)
                {
                    return;
                }

                if (action != ObservedErrorAction.FastInterval)
                {
                    // hap:src/check.c health_adjust: sudden-death leaves an up server one failure above
                    // down, mark-down leaves it at rise (so the failure counted next takes it down).
                    if (action == ObservedErrorAction.SuddenDeath && _health > _options.Rise)
                    {
                        _health = _options.Rise + 1;
                    }
                    else if (action == ObservedErrorAction.MarkDown)
                    {
                        _health = Math.Min(_health, _options.Rise);
                    }

                    result = new CheckResult(CheckStatus.HealthAnalyze, null, description, TimeSpan.Zero);
                    Apply(result);
                    change = UpdateEffective(HealthChangeReason.ObservedErrors, result);
                    if (CheckCompleted is not null)
                    {
                        completed = new CheckCompletedEventArgs(this, result, change?.Snapshot ?? TakeSnapshot());
                    }
                }

                // The next check comes at most fastinter from now (not later than it was due).
                next = _options.EffectiveFastInterval;
                if (!_running && DueAt(next) < _checkDueAt)
                {
                    token = NextCheckToken(next);
                }
            }

            if (token != 0)
            {
                _scheduler.Schedule(this, next, DueKind.Check, token);
            }

            Publish(result, change, completed);
        }
    }

    /// <summary>A new schedule token for a check due <paramref name="delay"/> from now (under _gate).</summary>
    private long NextCheckToken(TimeSpan delay)
    {
        _checkDueAt = DueAt(delay);
        return ++_scheduleToken;
    }

    /// <summary>The timestamp <paramref name="delay"/> from now.</summary>
    private long DueAt(TimeSpan delay) => _scheduler.Time.GetTimestamp() + (long)(delay.TotalSeconds * _scheduler.Time.TimestampFrequency);

    public override string ToString() => $"{Name}: {Snapshot.StatusText}";

    internal void Start()
    {
        long token;
        TimeSpan delay;
        lock (_gate)
        {
            delay = _scheduler.NextJitter(_options.EffectiveJitter);
            token = NextCheckToken(delay);
        }

        _scheduler.Schedule(this, delay, DueKind.Check, token);
    }

    internal void Stop()
    {
        CancellationTokenSource? cts;
        lock (_gate)
        {
            _stopped = true;
            cts = _running ? _cts : null;
            _running = false;
            _checkId++;
        }

        cts?.Cancel();
    }

    internal void OnDue(DueKind kind, long token)
    {
        switch (kind)
        {
            case DueKind.Check:
                StartCheck(token);
                break;
            case DueKind.Timeout:
                OnTimeout(token);
                break;
            case DueKind.Abandon:
                OnAbandon(token);
                break;
        }
    }

    private void StartCheck(long token)
    {
        long id;
        CancellationToken ct;
        TimeSpan timeout;
        lock (_gate)
        {
            if (_stopped || _running || token != _scheduleToken)
            {
                return;
            }

            _running = true;
            id = ++_checkId;
            _cts ??= new CancellationTokenSource();
            ct = _cts.Token;
            _startedAt = _scheduler.Time.GetTimestamp();
            timeout = _options.EffectiveTimeout;
        }

        _scheduler.Schedule(this, timeout, DueKind.Timeout, id);
        _ = RunAsync(id, ct);
    }

    private async Task RunAsync(long id, CancellationToken ct)
    {
        CheckResult result;
        try
        {
            result = await _probe.ProbeAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            result = new CheckResult(CheckStatus.L7Timeout, null, "Check timed out", default);
        }
        catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode is System.Net.Sockets.SocketError.TooManyOpenSockets or System.Net.Sockets.SocketError.NoBufferSpaceAvailable)
        {
            // The checker itself is out of descriptors or buffers: that says nothing about the target,
            // so the check is not counted (a proxy at its descriptor limit must not mark healthy servers down).
            TimerQueueScheduler.Log.ProbeLocalFailure(_scheduler.Logger, Name, ex.Message);
            Complete(id, null);
            return;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            TimerQueueScheduler.Log.ProbeThrew(_scheduler.Logger, ex, Name);
            result = new CheckResult(CheckStatus.SocketError, null, $"Probe failed: {ex.GetType().Name}: {ex.Message}", default);
        }

        Complete(id, result);
    }

    private void OnTimeout(long id)
    {
        CancellationTokenSource? cts;
        TimeSpan timeout;
        lock (_gate)
        {
            if (id != _checkId || !_running)
            {
                return;
            }

            cts = _cts;
            timeout = _options.EffectiveTimeout;
        }

        // Probes observe the token and report their own timeout status (L4TOUT, L7TOUT, PROCTOUT);
        // one that ignores it is given up on after another timeout.
        _scheduler.Schedule(this, timeout, DueKind.Abandon, id);
        cts?.Cancel();
    }

    private void OnAbandon(long id)
    {
        long timeoutMs;
        lock (_gate)
        {
            if (id != _checkId || !_running)
            {
                return;
            }

            timeoutMs = (long)_options.EffectiveTimeout.TotalMilliseconds;
        }

        TimerQueueScheduler.Log.ProbeAbandoned(_scheduler.Logger, Name, timeoutMs);
        Complete(id, new CheckResult(CheckStatus.L7Timeout, null, "Check timed out (the probe ignored cancellation)", default));
    }

    /// <summary>Ends a check: applies its result (<paramref name="outcome"/>) to the health (rise/fall), or, when
    /// <see langword="null"/> (the check could not run for a local reason), only schedules the next one.</summary>
    private void Complete(long id, CheckResult? outcome)
    {
        if (outcome is not { } result)
        {
            lock (_eventGate)
            {
                long skipToken;
                TimeSpan skipNext;
                lock (_gate)
                {
                    if (_stopped || !_running || id != _checkId)
                    {
                        return;
                    }

                    _running = false;
                    if (_cts is { } skipped && !skipped.TryReset())
                    {
                        skipped.Dispose();
                        _cts = null;
                    }

                    skipNext = NextInterval();
                    skipToken = NextCheckToken(skipNext);
                }

                _scheduler.Schedule(this, skipNext, DueKind.Check, skipToken);
            }

            return;
        }

        lock (_eventGate)
        {
            HealthStateChangedEventArgs? change;
            CheckCompletedEventArgs? completed = null;
            long token;
            TimeSpan next;
            lock (_gate)
            {
                if (_stopped || !_running || id != _checkId)
                {
                    return;
                }

                _running = false;
                result = result with { Duration = _scheduler.Time.GetElapsedTime(_startedAt) };
                if (_cts is { } cts && !cts.TryReset())
                {
                    cts.Dispose();
                    _cts = null;
                }

                Apply(result);
                change = UpdateEffective(HealthChangeReason.Check, result);
                next = NextInterval();
                token = NextCheckToken(next);
                if (CheckCompleted is not null)
                {
                    completed = new CheckCompletedEventArgs(this, result, change?.Snapshot ?? TakeSnapshot());
                }
            }

            _scheduler.Schedule(this, next, DueKind.Check, token);
            _scheduler.Metrics.CheckCompleted(result);
            TimerQueueScheduler.Log.Completed(_scheduler.Logger, Name, result, result.HaproxyStatusName);
            Publish(result, change, completed);
        }
    }

    /// <summary>After a counted result (inside _eventGate, outside _gate): logs an UP/DOWN change, then raises
    /// <see cref="CheckCompleted"/> and <see cref="StateChanged"/>, in that order.</summary>
    private void Publish(in CheckResult result, HealthStateChangedEventArgs? change, CheckCompletedEventArgs? completed)
    {
        if (change is not null)
        {
            long ms = (long)result.Duration.TotalMilliseconds;
            if (change.Current == HealthState.Up)
            {
                TimerQueueScheduler.Log.Up(_scheduler.Logger, Name, result.HaproxyStatusDescription, result.Description, ms);
            }
            else
            {
                TimerQueueScheduler.Log.Down(_scheduler.Logger, Name, result.HaproxyStatusDescription, result.Description, ms);
            }
        }

        if (completed is not null)
        {
            try
            {
                CheckCompleted?.Invoke(this, completed);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                TimerQueueScheduler.Log.HandlerThrew(_scheduler.Logger, ex, Name, nameof(CheckCompleted));
            }
        }

        if (change is not null)
        {
            Raise(change);
        }
    }

    private void Apply(in CheckResult result)
    {
        _lastResult = result;
        _checks++;
        if (result.Passed)
        {
            _passes++;
            _failures = 0;
            if (_health < Max)
            {
                _health++;
                if (_health >= _options.Rise)
                {
                    _health = Max;
                }
            }
        }
        else
        {
            _failures++;
            _passes = 0;
            if (_health > 0)
            {
                _health--;
                if (_health < _options.Rise)
                {
                    _health = 0;
                }
            }
        }
    }

    private TimeSpan NextInterval()
    {
        var nominal = _health == Max && CheckedState == HealthState.Up ? _options.EffectiveInterval
            : _health == 0 ? _options.EffectiveDownInterval
            : _options.EffectiveFastInterval;
        return _scheduler.Spread(nominal, _options.SpreadPercent);
    }

    private HealthState Effective() => _override switch
    {
        HealthOverride.ForcedUp => HealthState.Up,
        HealthOverride.ForcedDown => HealthState.Down,
        _ => CheckedState,
    };

    // Under _gate. Returns the event to raise (outside _gate, inside _eventGate) when the effective state changed.
    private HealthStateChangedEventArgs? UpdateEffective(HealthChangeReason reason, CheckResult result)
    {
        var now = Effective();
        if (now == _effective)
        {
            return null;
        }

        var previous = _effective;
        _effective = now;
        _lastChange = _scheduler.Time.GetUtcNow();
        _scheduler.Metrics.StateChanged(now);
        return new HealthStateChangedEventArgs(this, previous, now, reason, result, TakeSnapshot());
    }

    private HealthSnapshot TakeSnapshot() => new(
        Name, _effective, CheckedState, _override, _health, _options.Rise, _options.Fall,
        _passes, _failures, _lastResult, _checks, _running, _lastChange);

    private void Raise(HealthStateChangedEventArgs change)
    {
        try
        {
            StateChanged?.Invoke(this, change);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            TimerQueueScheduler.Log.HandlerThrew(_scheduler.Logger, ex, Name, nameof(StateChanged));
        }
    }
}
