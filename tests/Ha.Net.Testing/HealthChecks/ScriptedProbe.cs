using System.Collections.Concurrent;
using Ha.Net.HealthChecks;

namespace Ha.Net.Testing.HealthChecks;

/// <summary>
/// A probe that answers from a script: each call takes the next queued result (or
/// <see cref="Default"/>), or a pending task the test completes by hand. Records call times.
/// </summary>
public sealed class ScriptedProbe : IHealthProbe
{
    private readonly ConcurrentQueue<Func<CancellationToken, ValueTask<CheckResult>>> _script = new();
    private readonly TimeProvider _time;
    private readonly List<TimeSpan> _calls = [];
    private readonly long _origin;

    /// <summary>Creates the probe; call times are measured on <paramref name="time"/>.</summary>
    public ScriptedProbe(TimeProvider time)
    {
        _time = time;
        _origin = time.GetTimestamp();
    }

    /// <summary>A passing result.</summary>
    public static CheckResult Pass => new(CheckStatus.L4Ok, null, "ok", TimeSpan.Zero);

    /// <summary>A failing result.</summary>
    public static CheckResult Fail => new(CheckStatus.L4ConnectionError, null, "Connection refused", TimeSpan.Zero);

    /// <summary>What to answer when the script is empty.</summary>
    public CheckResult Default { get; set; } = Pass;

    /// <summary>When each call happened (time since the probe was created).</summary>
    public IReadOnlyList<TimeSpan> Calls
    {
        get { lock (_calls) { return _calls.ToArray(); } }
    }

    /// <summary>How many calls so far.</summary>
    public int CallCount
    {
        get { lock (_calls) { return _calls.Count; } }
    }

    /// <summary>Queues results, one per call.</summary>
    public ScriptedProbe Then(params CheckResult[] results)
    {
        foreach (var r in results)
        {
            _script.Enqueue(_ => ValueTask.FromResult(r));
        }

        return this;
    }

    /// <summary>Queues a call that waits until the test completes the returned source or the token is cancelled
    /// (then it reports <paramref name="onCancel"/>, or throws when that is null).</summary>
    public TaskCompletionSource<CheckResult> ThenPending(CheckResult? onCancel = null, bool ignoreCancellation = false)
    {
        var tcs = new TaskCompletionSource<CheckResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _script.Enqueue(async ct =>
        {
            if (ignoreCancellation)
            {
                return await tcs.Task;
            }

            using (ct.Register(() =>
            {
                if (onCancel is { } r) { tcs.TrySetResult(r); } else { tcs.TrySetCanceled(ct); }
            }))
            {
                return await tcs.Task;
            }
        });
        return tcs;
    }

    /// <inheritdoc />
    public ValueTask<CheckResult> ProbeAsync(CancellationToken cancellationToken)
    {
        lock (_calls)
        {
            _calls.Add(_time.GetElapsedTime(_origin));
        }

        return _script.TryDequeue(out var next) ? next(cancellationToken) : ValueTask.FromResult(Default);
    }
}
