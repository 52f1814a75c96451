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
/// (a crashed predecessor may have left them announced). Thread-safe.
/// </summary>
public sealed partial class RouteInjector : IAsyncDisposable
{
    private readonly RouteInjectorOptions _options;
    private readonly IRouteAnnouncer _announcer;
    private readonly RouteCondition[] _conditions;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RouteInjectionMachine _machine;
    private readonly string _prefixText;
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
        if (_options.DrainFile is not { } path)
        {
            return;
        }

        var exists = File.Exists(path);
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
                if (wanted)
                {
                    await _announcer.AnnounceAsync(prefix, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await _announcer.WithdrawAsync(prefix, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is RouteAnnouncerException or IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // An announcer of your own may fail with I/O or state errors too: the same retry, never a dead loop.
            if (!_failing)
            {
                LogSpeakerFailed(_logger, _prefixText, wanted ? "announce" : "withdraw", ex.Message);
            }

            _failing = true;
            _applied = null; // unknown: apply again at the next sample
            _isAnnounced = false;
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
}
