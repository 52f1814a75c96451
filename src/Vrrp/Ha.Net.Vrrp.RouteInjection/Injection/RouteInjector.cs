using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ha.Net.Vrrp.RouteInjection;

/// <summary>
/// Route health injection: samples its <see cref="RouteCondition"/>s every <see cref="RouteInjectorOptions.Interval"/>,
/// damps them with rise/fall, and makes the BGP speaker (<see cref="IRouteAnnouncer"/>) originate the service
/// prefixes while the node can serve and not otherwise. Drain withdraws at once; stop withdraws, waits
/// <see cref="RouteInjectorOptions.WithdrawGrace"/> and only then returns, so a daemon closes its listeners
/// after routers have moved new flows away. A speaker that refuses is retried at every sample; the wanted state
/// is re-applied every <see cref="RouteInjectorOptions.ReassertInterval"/>. At start the prefixes are withdrawn
/// (a crashed predecessor may have left them announced). <see cref="ApplyAsync"/> reconfigures a running injector
/// in place (a configuration reload) without withdrawing a prefix that stays announced. Thread-safe.
/// </summary>
public sealed partial class RouteInjector : IAsyncDisposable
{
    private readonly IRouteAnnouncer _announcer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RouteInjectionMachine _machine;
    private readonly HashSet<IPNetwork> _pendingWithdrawals = []; // prefixes a reconfiguration removed, until the speaker accepts their withdrawal (under the gate)
    private volatile RouteInjectorOptions _options;
    private volatile string _prefixText;
    private RouteCondition[] _conditions; // replaced under the gate
    private bool _started; // the speaker has been made to match at least once (StartAsync, a sample, a drain; under the gate)
    private bool _pendingFailing;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private bool? _applied;
    private volatile bool _isAnnounced;
    private bool _failing;
    private long _lastApplied;
    private string _lastDetail = "starting";
    private bool _fileDrained;
    private Task? _loop;

    /// <summary>Creates an injector; nothing happens until <see cref="StartAsync"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every error.</exception>
    public RouteInjector(RouteInjectorOptions options, IRouteAnnouncer announcer, IEnumerable<RouteCondition> conditions, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(announcer);
        ArgumentNullException.ThrowIfNull(conditions);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(options));
        }

        _options = options;
        _announcer = announcer;
        _conditions = [.. conditions];
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _machine = new RouteInjectionMachine(options.Rise, options.Fall);
        _prefixText = string.Join(", ", options.Prefixes.Select(p => p.ToString()));
    }

    /// <summary>Where the injector stands (what it wants; <see cref="IsAnnounced"/> says what the speaker last accepted).</summary>
    public RouteInjectionState State
    {
        get
        {
            lock (_machine)
            {
                return _machine.Stopped ? RouteInjectionState.Stopped
                    : _machine.Drained ? RouteInjectionState.Drained
                    : _machine.Wanted ? RouteInjectionState.Announced
                    : RouteInjectionState.Withdrawn;
            }
        }
    }

    /// <summary>Whether the speaker last accepted an announcement (not a withdrawal) of the prefixes.</summary>
    public bool IsAnnounced => _isAnnounced;

    /// <summary>Withdraws the prefixes (a predecessor's leftovers) and starts sampling.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("The route injector is already started.");
        }

        LogStarting(_logger, _prefixText, _announcer.Description, _options.Rise, _options.Fall, _options.Interval.TotalMilliseconds);
        await TickAsync(cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(() => LoopAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Drains the node: withdraws now (no damping) and keeps the route withdrawn until <see cref="ResumeAsync"/>.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_machine)
            {
                _machine.Drain();
            }

            LogDrained(_logger, _prefixText, "drain requested");
            await ReconcileAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Lifts a drain: the route returns after rise passing samples.</summary>
    public Task ResumeAsync(CancellationToken cancellationToken = default)
    {
        lock (_machine)
        {
            if (!_machine.Drained || _fileDrained)
            {
                return Task.CompletedTask;
            }

            _machine.Resume();
        }

        LogResumed(_logger, _prefixText);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops sampling, withdraws the prefixes, then waits <see cref="RouteInjectorOptions.WithdrawGrace"/> (cut short
    /// by <paramref name="cancellationToken"/>). Call it before closing the listeners.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            lock (_machine)
            {
                if (_machine.Stopped)
                {
                    return;
                }

                _machine.Stop();
            }

            LogStopping(_logger, _prefixText, _options.WithdrawGrace.TotalMilliseconds);
            _applied = null; // withdraw even when it looks withdrawn: the last word on shutdown
            await ReconcileAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }

        if (_options.WithdrawGrace > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(_options.WithdrawGrace, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>
    /// Reconfigures the injector in place, e.g. on a daemon's configuration reload. <paramref name="options"/> are
    /// validated first and the conditions checked for <see langword="null"/>: a bad set throws and nothing changes.
    /// An identical set (the same prefixes in the same order, the same settings, conditions with the same
    /// <see cref="RouteCondition.Name"/>s) changes nothing, calls no speaker and returns <see langword="false"/>.
    /// Otherwise:
    /// <list type="bullet">
    /// <item><description><b>Kept</b>: the wanted state (announced, withdrawn, drained — a <see cref="DrainAsync"/> drain
    /// stays until <see cref="ResumeAsync"/>), what the speaker was last told, and the reassert timer. A prefix in both
    /// the old and the new set is never withdrawn or announced again by the reconfiguration: no blip for the routers' ECMP.</description></item>
    /// <item><description><b>Conditions</b> are compared by name, as a set (a condition is what it tests, e.g.
    /// <c>backend be_app &gt;= 2 server(s)</c>). When the names are the same, the new instances replace the old ones and
    /// the rise/fall counters (consecutive passes and failures) are kept. When they differ, the counters restart at
    /// zero: an announced route stays announced until the new conditions fail <see cref="RouteInjectorOptions.Fall"/>
    /// samples in a row, a withdrawn one waits for <see cref="RouteInjectorOptions.Rise"/> passes of the new conditions.</description></item>
    /// <item><description><b>Prefixes</b>: added ones are brought now to what the speaker was last told for the others
    /// (announced when the injector is announced, withdrawn otherwise, as leftovers are at start); then removed ones are
    /// withdrawn (make before break). A speaker that refuses is retried at every sample, as for any change; a removed
    /// prefix whose withdrawal was refused is retried at every sample and on stop.</description></item>
    /// <item><description><b>Settings</b>: new <see cref="RouteInjectorOptions.Rise"/> and <see cref="RouteInjectorOptions.Fall"/>
    /// count from the next sample (with the kept counters when the conditions are the same); the new
    /// <see cref="RouteInjectorOptions.Interval"/> from the next wait (the one under way finishes);
    /// <see cref="RouteInjectorOptions.DrainFile"/> is looked at from the next sample (a drain by the old file is
    /// lifted when the new one does not exist); <see cref="RouteInjectorOptions.WithdrawGrace"/> and
    /// <see cref="RouteInjectorOptions.ReassertInterval"/> at their next use.</description></item>
    /// </list>
    /// Before <see cref="StartAsync"/> only the configuration is replaced (no speaker call). The speaker stays the one
    /// given to the constructor. <paramref name="cancellationToken"/> bounds the wait for a sample under way; once
    /// the change has begun it completes.
    /// </summary>
    /// <returns><see langword="true"/> when anything changed.</returns>
    /// <exception cref="ArgumentException">The options are invalid (the message lists every error) or a condition is null.</exception>
    /// <exception cref="InvalidOperationException">The injector is stopped.</exception>
    public async Task<bool> ApplyAsync(RouteInjectorOptions options, IEnumerable<RouteCondition> conditions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(conditions);
        RouteCondition[] next = [.. conditions];
        var errors = new List<string>(options.Validate());
        if (Array.IndexOf(next, null) >= 0)
        {
            errors.Add("Conditions: a condition is null.");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(options));
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_machine)
            {
                if (_machine.Stopped)
                {
                    throw new InvalidOperationException("The route injector is stopped.");
                }
            }

            var old = _options;
            var conditionsChanged = !_conditions.Select(c => c.Name).Order(StringComparer.Ordinal)
                .SequenceEqual(next.Select(c => c.Name).Order(StringComparer.Ordinal), StringComparer.Ordinal);
            if (!conditionsChanged && SameSettings(old, options))
            {
                _conditions = next;
                return false;
            }

            IPNetwork[] added = [.. options.Prefixes.Distinct().Except(old.Prefixes)];
            IPNetwork[] removed = [.. old.Prefixes.Distinct().Except(options.Prefixes)];
            _options = options;
            _conditions = next;
            _prefixText = string.Join(", ", options.Prefixes.Select(p => p.ToString()));
            lock (_machine)
            {
                _machine.Reconfigure(options.Rise, options.Fall, conditionsChanged);
            }

            var addedText = Text(added);
            var removedText = Text(removed);
            LogReconfigured(_logger, _prefixText, addedText, removedText, options.Rise, options.Fall, options.Interval.TotalMilliseconds,
                conditionsChanged ? "conditions changed: rise/fall counters restarted" : "same conditions: rise/fall counters kept");
            _pendingWithdrawals.ExceptWith(added);
            if (!_started)
            {
                return true;
            }

            if (_applied is { } told && added.Length > 0)
            {
                try
                {
                    foreach (var prefix in added)
                    {
                        await Tell(prefix, told, CancellationToken.None).ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (IsSpeakerFailure(ex))
                {
                    Failed(told, ex); // the next sample applies the wanted state to every prefix again
                }
            }

            if (_applied is not false)
            {
                // Possibly announced (or unknown): withdraw for sure; a prefix the speaker never had is an idempotent success.
                _pendingWithdrawals.UnionWith(removed);
            }

            await WithdrawPendingAsync(CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _gate.Release();
        }

        static string Text(IPNetwork[] prefixes) => prefixes.Length == 0 ? "none" : string.Join(", ", prefixes.Select(p => p.ToString()));
    }

    private static bool SameSettings(RouteInjectorOptions a, RouteInjectorOptions b) =>
        a.Prefixes.SequenceEqual(b.Prefixes) && a.Interval == b.Interval && a.Rise == b.Rise && a.Fall == b.Fall
        && a.WithdrawGrace == b.WithdrawGrace && a.ReassertInterval == b.ReassertInterval && a.DrainFile == b.DrainFile;

    /// <summary>Stops (withdrawing) if not stopped yet, without the grace wait.</summary>
    public async ValueTask DisposeAsync()
    {
        using var now = new CancellationTokenSource();
        await now.CancelAsync().ConfigureAwait(false);
        await StopAsync(now.Token).ConfigureAwait(false);
        _stop.Dispose();
        _gate.Dispose();
    }

    /// <summary>One sample: the drain file, the conditions, the machine, then the speaker made to match.</summary>
    internal async Task TickAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            SampleDrainFile();
            var healthy = true;
            var detail = "all conditions hold";
            foreach (var condition in _conditions)
            {
                RouteConditionResult result;
                try
                {
                    result = condition.Evaluate();
                }
#pragma warning disable CA1031 // a condition that throws counts as failing; the loop must go on
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    result = new(false, $"{condition.Name} failed: {ex.Message}");
                }

                if (!result.Satisfied)
                {
                    healthy = false;
                    detail = result.Detail;
                    break;
                }
            }

            lock (_machine)
            {
                _machine.Sample(healthy);
            }

            if (!healthy)
            {
                _lastDetail = detail;
            }

            await ReconcileAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void SampleDrainFile()
    {
        // A reconfiguration may have removed the drain file option: a drain by the old file is lifted then.
        var path = _options.DrainFile;
        var exists = path is not null && File.Exists(path);
        if (exists == _fileDrained)
        {
            return;
        }

        _fileDrained = exists;
        lock (_machine)
        {
            if (exists)
            {
                _machine.Drain();
            }
            else
            {
                _machine.Resume();
            }
        }

        if (exists)
        {
            LogDrained(_logger, _prefixText, "drain file " + path + " exists");
        }
        else
        {
            LogResumed(_logger, _prefixText);
        }
    }

    /// <summary>Makes the speaker match the machine (called under the gate).</summary>
    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        _started = true;
        if (_pendingWithdrawals.Count > 0)
        {
            await WithdrawPendingAsync(cancellationToken).ConfigureAwait(false);
        }

        bool wanted;
        lock (_machine)
        {
            wanted = _machine.Wanted;
        }

        var now = _time.GetTimestamp();
        var reassert = _options.ReassertInterval > TimeSpan.Zero && _applied is not null
            && _time.GetElapsedTime(_lastApplied, now) >= _options.ReassertInterval;
        if (_applied == wanted && !reassert)
        {
            return;
        }

        try
        {
            foreach (var prefix in _options.Prefixes)
            {
                await Tell(prefix, wanted, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (IsSpeakerFailure(ex))
        {
            Failed(wanted, ex);
            return;
        }

        var previous = _applied;
        _applied = wanted;
        _isAnnounced = wanted;
        _lastApplied = now;
        _failing = false;
        if (previous == wanted)
        {
            return;
        }

        if (wanted)
        {
            LogAnnounced(_logger, _prefixText, _announcer.Description);
        }
        else
        {
            LogWithdrawn(_logger, _prefixText, _announcer.Description, State.ToString().ToUpperInvariant(), _lastDetail);
        }
    }

    private Task Tell(IPNetwork prefix, bool announce, CancellationToken cancellationToken) =>
        announce ? _announcer.AnnounceAsync(prefix, cancellationToken) : _announcer.WithdrawAsync(prefix, cancellationToken);

    // An announcer of your own may fail with I/O or state errors too: the same retry, never a dead loop.
    private static bool IsSpeakerFailure(Exception ex) =>
        ex is RouteAnnouncerException or IOException or InvalidOperationException or System.ComponentModel.Win32Exception;

    /// <summary>The speaker refused (called under the gate): logged once, and the wanted state applied again at the next sample.</summary>
    private void Failed(bool wanted, Exception ex)
    {
        if (!_failing)
        {
            LogSpeakerFailed(_logger, _prefixText, wanted ? "announce" : "withdraw", ex.Message);
        }

        _failing = true;
        _applied = null; // unknown: apply again at the next sample
        _isAnnounced = false;
    }

    /// <summary>Withdraws the prefixes a reconfiguration removed (called under the gate); a refusal keeps them for the next sample.</summary>
    private async Task WithdrawPendingAsync(CancellationToken cancellationToken)
    {
        foreach (var prefix in _pendingWithdrawals.ToArray())
        {
            try
            {
                await _announcer.WithdrawAsync(prefix, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsSpeakerFailure(ex))
            {
                if (!_pendingFailing)
                {
                    LogSpeakerFailed(_logger, prefix.ToString(), "withdraw", ex.Message);
                }

                _pendingFailing = true;
                return;
            }

            _pendingWithdrawals.Remove(prefix);
            _pendingFailing = false;
            LogWithdrawn(_logger, prefix.ToString(), _announcer.Description, "REMOVED", "no longer in the configuration");
        }
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.Interval, _time, cancellationToken).ConfigureAwait(false);
                await TickAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }


    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Route injection for {Prefixes} through {Speaker} starting (rise {Rise}, fall {Fall}, interval {IntervalMs} ms).")]
    private static partial void LogStarting(ILogger logger, string prefixes, string speaker, int rise, int fall, double intervalMs);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Route {Prefixes} announced through {Speaker}.")]
    private static partial void LogAnnounced(ILogger logger, string prefixes, string speaker);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "Route {Prefixes} withdrawn through {Speaker} ({State}: {Reason}).")]
    private static partial void LogWithdrawn(ILogger logger, string prefixes, string speaker, string state, string reason);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Warning, Message = "Route {Prefixes} drained: {Reason}.")]
    private static partial void LogDrained(ILogger logger, string prefixes, string reason);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Warning, Message = "Route {Prefixes} resumed after drain; announced again after rise passing samples.")]
    private static partial void LogResumed(ILogger logger, string prefixes);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Warning, Message = "Route {Prefixes} stopping: withdrawing, then waiting {GraceMs} ms before listeners close.")]
    private static partial void LogStopping(ILogger logger, string prefixes, double graceMs);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Error, Message = "Route {Prefixes}: cannot {Action}: {Reason} (retrying at every sample).")]
    private static partial void LogSpeakerFailed(ILogger logger, string prefixes, string action, string reason);

    [LoggerMessage(EventId = 7008, Level = LogLevel.Information, Message = "Route injection for {Prefixes} reconfigured (added: {Added}; removed: {Removed}; rise {Rise}, fall {Fall}, interval {IntervalMs} ms; {Counters}).")]
    private static partial void LogReconfigured(ILogger logger, string prefixes, string added, string removed, int rise, int fall, double intervalMs, string counters);
}
