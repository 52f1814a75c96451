using FsCheck;
using FsCheck.Fluent;
using Ha.Net.HealthChecks;
using Ha.Net.Testing.HealthChecks;
using Microsoft.Extensions.Time.Testing;

namespace Ha.Net.HealthChecks.Tests.Scheduling;

public sealed class MonitorTests : IAsyncLifetime
{
    private static readonly CheckResult Pass = ScriptedProbe.Pass;
    private static readonly CheckResult Fail = ScriptedProbe.Fail;
    private readonly FakeTimeProvider _clock = new();
    private readonly IHealthCheckScheduler _scheduler;
    private readonly ScriptedProbe _probe;

    public MonitorTests()
    {
        _scheduler = HealthCheckScheduler.Create(_clock, new Random(42), null, null, TimeSpan.Zero);
        _probe = new ScriptedProbe(_clock);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _scheduler.DisposeAsync();

    private static readonly TimeSpan S = TimeSpan.FromSeconds(1);

    private IHealthMonitor Add(HealthMonitorOptions? options = null) =>
        _scheduler.Add("srv", _probe, (options ?? new HealthMonitorOptions()) with { Jitter = options?.Jitter ?? TimeSpan.Zero });

    [Fact]
    public void Defaults_AreHaproxys()
    {
        var o = new HealthMonitorOptions();
        Assert.Equal(TimeSpan.FromSeconds(2), o.Interval);
        Assert.Equal(2, o.Rise);
        Assert.Equal(3, o.Fall);
        Assert.Equal(o.Interval, o.EffectiveTimeout);
        Assert.Equal(o.Interval, o.EffectiveFastInterval);
        Assert.Equal(o.Interval, o.EffectiveDownInterval);
        Assert.Equal(HealthInitialState.Up, o.InitialState);
    }

    [Fact]
    public void Validate_CollectsEveryProblemNamingTheKey()
    {
        var o = new HealthMonitorOptions { Interval = TimeSpan.Zero, Rise = 0, Fall = -1, SpreadPercent = 60, Timeout = TimeSpan.FromSeconds(-1) };
        var errors = o.Validate();
        Assert.Equal(5, errors.Count);
        foreach (var key in new[] { "Interval", "Rise", "Fall", "SpreadPercent", "Timeout" })
        {
            Assert.Contains(errors, e => e.StartsWith(key + " ", StringComparison.Ordinal));
        }

        var ex = Assert.Throws<ArgumentException>(() => _scheduler.Add("x", _probe, o));
        Assert.Contains("SpreadPercent", ex.Message);
    }

    [Fact]
    public async Task InitialUp_FallsAtFirstFailure_ThenNeedsRisePasses()
    {
        // HAProxy: a new server is "up, but will fall down at first failure" (health = rise).
        // The first check starts at once (no jitter): FakeTimeProvider fires a timer due now while it is armed, so
        // it starts inside Add; its result is held back until the initial state has been seen.
        var first = _probe.ThenPending();
        _probe.Then(Pass, Pass);
        var m = Add();
        var changes = new System.Collections.Concurrent.ConcurrentQueue<HealthStateChangedEventArgs>();
        m.StateChanged += (_, e) => changes.Enqueue(e);
        Assert.Equal(HealthState.Up, m.State);

        // The result completes on another thread: the check is counted, then the change is raised, so wait for both.
        first.SetResult(Fail);
        await WaitFor(() => m.Snapshot.ChecksCompleted == 1 && !changes.IsEmpty);
        Assert.Equal(1, _probe.CallCount);
        Assert.Equal(HealthState.Down, m.State);
        var change = Assert.Single(changes);
        Assert.Equal(HealthState.Up, change.Previous);
        Assert.Equal(HealthChangeReason.Check, change.Reason);
        Assert.Equal(CheckStatus.L4ConnectionError, change.Result.Status);

        _clock.Advance(2 * S);
        Assert.Equal(HealthState.Down, m.State);
        Assert.Equal("DOWN 1/2", m.Snapshot.StatusText);
        _clock.Advance(2 * S);
        Assert.Equal(HealthState.Up, m.State);
        Assert.Equal("UP", m.Snapshot.StatusText);
        Assert.Equal(2, changes.Count);
    }

    [Fact]
    public void FullyUp_NeedsFallFailuresToGoDown_AndAPassInBetweenResets()
    {
        _probe.Then(Pass, Fail, Fail, Pass, Fail, Fail, Fail);
        var m = Add();
        _clock.Advance(TimeSpan.Zero);
        Assert.Equal(4, m.Snapshot.Health); // rise + fall - 1
        _clock.Advance(2 * S);
        Assert.Equal("UP 2/3", m.Snapshot.StatusText);
        _clock.Advance(2 * S);
        Assert.Equal("UP 1/3", m.Snapshot.StatusText);
        Assert.Equal(2, m.Snapshot.ConsecutiveFailures);
        _clock.Advance(2 * S); // pass: back to fully up
        Assert.Equal("UP", m.Snapshot.StatusText);
        Assert.Equal(1, m.Snapshot.ConsecutivePasses);
        _clock.Advance(2 * S);
        _clock.Advance(2 * S);
        Assert.Equal(HealthState.Up, m.State);
        _clock.Advance(2 * S);
        Assert.Equal(HealthState.Down, m.State);
        Assert.Equal(3, m.Snapshot.ConsecutiveFailures);
        Assert.Equal(7, m.Snapshot.ChecksCompleted);
    }

    [Fact]
    public void Intervals_FollowSrvGetinter_InterFastinterDowninter()
    {
        var o = new HealthMonitorOptions { Interval = 10 * S, FastInterval = 1 * S, DownInterval = 30 * S, Rise = 2, Fall = 2 };
        _probe.Then(Pass, Fail, Fail, Pass, Pass);
        Add(o);
        _clock.Advance(TimeSpan.Zero);        // t=0 pass → fully up → inter 10
        _clock.Advance(10 * S);               // t=10 fail → going down → fastinter 1
        _clock.Advance(1 * S);                // t=11 fail → down → downinter 30
        _clock.Advance(30 * S);               // t=41 pass → going up → fastinter 1
        _clock.Advance(1 * S);                // t=42 pass → up → inter 10
        _clock.Advance(10 * S);               // t=52
        var calls = _probe.Calls.Select(c => c.TotalSeconds).ToArray();
        Assert.Equal(new double[] { 0, 10, 11, 41, 42, 52 }, calls);
    }

    [Fact]
    public void InitialUp_UsesFastInterval_UntilTheFirstPass()
    {
        var o = new HealthMonitorOptions { Interval = 10 * S, FastInterval = 1 * S };
        Add(o);
        _clock.Advance(TimeSpan.Zero);
        _clock.Advance(10 * S);
        Assert.Equal(new double[] { 0, 10 }, _probe.Calls.Select(c => c.TotalSeconds));
    }

    [Fact]
    public void NoCheckStartsBeforeTheIntervalHasPassed_SinceTheEndOfTheLastOne()
    {
        var pending = _probe.ThenPending();
        Add(new HealthMonitorOptions { Interval = 2 * S, Timeout = 5 * S });
        _clock.Advance(TimeSpan.Zero);
        _clock.Advance(1.5 * S);
        pending.SetResult(Pass);
        Assert.True(SpinWait.SpinUntil(() => _scheduler.Monitors.Single().Snapshot.ChecksCompleted == 1, 30_000));
        _clock.Advance(1.9 * S);
        Assert.Equal(1, _probe.CallCount);
        _clock.Advance(0.1 * S);
        Assert.Equal(2, _probe.CallCount);
    }

    [Fact]
    public async Task Timeout_CancelsTheProbe_AndCountsAsFailure()
    {
        _probe.ThenPending(onCancel: new CheckResult(CheckStatus.L7Timeout, null, "Timeout waiting for SMTP greeting", default));
        var m = Add(new HealthMonitorOptions { Interval = 2 * S, Timeout = 500 * TimeSpan.FromMilliseconds(1) });
        _clock.Advance(TimeSpan.Zero);
        Assert.True(m.Snapshot.IsChecking);
        _clock.Advance(TimeSpan.FromMilliseconds(500));
        await WaitFor(() => m.Snapshot.ChecksCompleted == 1);
        var s = m.Snapshot;
        Assert.Equal(CheckStatus.L7Timeout, s.LastResult.Status);
        Assert.Equal("Timeout waiting for SMTP greeting", s.LastResult.Description);
        // Measured on the monitor's clock.
        Assert.InRange(s.LastResult.Duration, TimeSpan.FromMilliseconds(499.99), TimeSpan.FromMilliseconds(500.01));
        Assert.Equal(HealthState.Down, s.State);
    }

    [Fact]
    public async Task ProbeThrowingOnCancel_IsReportedAsL7Timeout()
    {
        _probe.ThenPending(onCancel: null);
        var m = Add(new HealthMonitorOptions { Timeout = S });
        _clock.Advance(TimeSpan.Zero);
        _clock.Advance(S);
        await WaitFor(() => m.Snapshot.ChecksCompleted == 1);
        Assert.Equal(CheckStatus.L7Timeout, m.Snapshot.LastResult.Status);
        Assert.Equal("Check timed out", m.Snapshot.LastResult.Description);
    }

    [Fact]
    public void ProbeIgnoringCancellation_IsAbandonedAfterASecondTimeout_AndTheMonitorGoesOn()
    {
        var stuck = _probe.ThenPending(ignoreCancellation: true);
        var m = Add(new HealthMonitorOptions { Interval = 2 * S, Timeout = S });
        _clock.Advance(TimeSpan.Zero);
        _clock.Advance(S);
        Assert.Equal(0, m.Snapshot.ChecksCompleted);
        _clock.Advance(S);
        Assert.Equal(1, m.Snapshot.ChecksCompleted);
        Assert.Equal(CheckStatus.L7Timeout, m.Snapshot.LastResult.Status);
        Assert.Contains("ignored cancellation", m.Snapshot.LastResult.Description);
        stuck.SetResult(Pass); // late result: ignored
        _clock.Advance(TimeSpan.Zero);
        Assert.Equal(1, m.Snapshot.ChecksCompleted);
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(2, _probe.CallCount);
    }

    [Fact]
    public void ProbeThrowing_IsASocketErrorResult()
    {
        var probe = new ThrowingProbe();
        var m = _scheduler.Add("t", probe, new HealthMonitorOptions { Jitter = TimeSpan.Zero });
        _clock.Advance(TimeSpan.Zero);
        Assert.Equal(CheckStatus.SocketError, m.Snapshot.LastResult.Status);
        Assert.Equal("Probe failed: InvalidOperationException: boom", m.Snapshot.LastResult.Description);
    }

    [Theory]
    [InlineData(System.Net.Sockets.SocketError.TooManyOpenSockets)]
    [InlineData(System.Net.Sockets.SocketError.NoBufferSpaceAvailable)]
    public void ProbeFailingForALocalReason_IsNotCounted_AndTheNextCheckRuns(System.Net.Sockets.SocketError error)
    {
        // #15 item 2: a checker out of descriptors says nothing about the target; it must not mark it down.
        int calls = 0;
        var probe = new DelegateProbe(_ => ++calls <= 4 ? throw new System.Net.Sockets.SocketException((int)error) : ValueTask.FromResult(Fail));
        var m = _scheduler.Add("t", probe, new HealthMonitorOptions { Jitter = TimeSpan.Zero, Fall = 1 });
        _clock.Advance(TimeSpan.Zero);
        for (int i = 0; i < 3; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(2));
        }

        Assert.Equal(4, probe.Calls);
        Assert.Equal(HealthState.Up, m.Snapshot.State);
        Assert.Equal(0, m.Snapshot.ChecksCompleted);

        // The next check runs on schedule and counts: fall 1 takes it down.
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(5, probe.Calls);
        Assert.Equal(HealthState.Down, m.Snapshot.State);
    }

    [Fact]
    public void StartJitter_IsDrawnFromTheInjectedRandom_WithinOneInterval()
    {
        var expected = new Random(7);
        using var _ = new CancellationTokenSource();
        var scheduler = HealthCheckScheduler.Create(_clock, new Random(7), null, null, TimeSpan.Zero);
        var probes = Enumerable.Range(0, 20).Select(_ => new ScriptedProbe(_clock)).ToArray();
        for (var i = 0; i < probes.Length; i++)
        {
            scheduler.Add("s" + i, probes[i], new HealthMonitorOptions { Interval = 2 * S });
        }

        // FakeTimeProvider's Advance moves the clock to its end before it fires what fell due, so a check would see
        // the end time: move the clock to each expected start in turn instead.
        var wants = probes.Select(_ => TimeSpan.FromTicks((long)(expected.NextDouble() * (2 * S).Ticks))).ToArray();
        foreach (var at in wants.Order())
        {
            _clock.SetUtcNow(_clock.Start + at);
        }

        _clock.SetUtcNow(_clock.Start + (2 * S));
        for (var i = 0; i < probes.Length; i++)
        {
            var first = probes[i].Calls[0];
            var want = wants[i];
            Assert.InRange(first.Ticks, want.Ticks - 20, want.Ticks + 20); // clock rounding
            Assert.InRange(first, TimeSpan.Zero, 2 * S);
        }

        Assert.True(probes.Select(p => p.Calls[0]).Distinct().Count() > 15);
        scheduler.DisposeAsync().AsTask().Wait();
    }

    [Fact]
    public void DefaultTimerResolution_SnapsDeadlinesToA10msGrid_SoChecksShareWakeUps()
    {
        var scheduler = HealthCheckScheduler.Create(_clock, new Random(5));
        var probe = new ScriptedProbe(_clock);
        for (var i = 0; i < 1000; i++)
        {
            scheduler.Add("g" + i, probe, new HealthMonitorOptions { Interval = S });
        }

        // FakeTimeProvider's Advance moves the clock to its end before it fires what fell due: move it 1 ms at a time,
        // so a check off the 10 ms grid would be seen off it.
        for (var ms = 0; ms < 1000; ms++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        var firsts = probe.Calls;
        Assert.InRange(firsts.Count, 1000, 1010);
        var grid = TimeSpan.FromMilliseconds(10).Ticks;
        Assert.All(firsts, t => Assert.InRange(Math.Min(t.Ticks % grid, grid - (t.Ticks % grid)), 0, 40)); // on the grid, give or take the clock's rounding
        Assert.InRange(firsts.Distinct().Count(), 50, 101); // ≤ 101 wake-ups for 1,000 checks
        scheduler.DisposeAsync().AsTask().Wait();
    }

    [Theory]
    [InlineData(2000, 0)]
    [InlineData(1000, 0)]
    [InlineData(1500, 0)]
    [InlineData(250, 0)]
    [InlineData(100, 0)]
    [InlineData(2000, 333)]
    [InlineData(1000, 7)]
    public void DefaultGrid_OnTheManualClock_AdvancingByTheIntervalRunsEachCheckOnTime(int intervalMs, int offsetMs)
    {
        // A clock that rounds "now" by a few ticks either way must not turn that into a whole 10 ms slot of
        // lateness (FakeTimeProvider counts in 100 ns ticks, so here the grid is checked on exact time).
        _clock.Advance(TimeSpan.FromMilliseconds(offsetMs));
        var scheduler = HealthCheckScheduler.Create(_clock, new Random(1));
        var probe = new ScriptedProbe(_clock);
        var interval = TimeSpan.FromMilliseconds(intervalMs);
        scheduler.Add("x", probe, new HealthMonitorOptions { Jitter = TimeSpan.Zero, Interval = interval, Timeout = interval });
        _clock.Advance(TimeSpan.Zero);
        for (var i = 1; i <= 30; i++)
        {
            _clock.Advance(interval);
            Assert.Equal(i + 1, probe.CallCount);
        }

        scheduler.DisposeAsync().AsTask().Wait();
    }

    [Fact]
    public void Spread_KeepsEveryIntervalWithinThePercentage()
    {
        Add(new HealthMonitorOptions { Interval = 10 * S, SpreadPercent = 20 });
        for (var i = 0; i < 50; i++)
        {
            _clock.Advance(S);
        }

        var calls = _probe.Calls;
        Assert.True(calls.Count >= 4);
        var gaps = calls.Zip(calls.Skip(1), (a, b) => (b - a).TotalSeconds).ToArray();
        Assert.All(gaps, g => Assert.InRange(g, 8, 12));
        Assert.True(gaps.Distinct().Count() > 1);
    }

    [Fact]
    public void ThousandsOfMonitors_ShareOneTimer()
    {
        var timers = new TimerCounter(_clock);
        var scheduler = HealthCheckScheduler.Create(timers, new Random(1));
        var probe = new ScriptedProbe(_clock);
        for (var i = 0; i < 5000; i++)
        {
            scheduler.Add("m" + i, probe, new HealthMonitorOptions { Interval = S });
        }

        Assert.InRange(timers.Live, 0, 1);
        _clock.Advance(S);
        Assert.All(scheduler.Monitors, m => Assert.True(m.Snapshot.ChecksCompleted >= 1)); // every start jitter < 1 interval
        Assert.InRange(probe.CallCount, 5000, 5050); // (a jitter in the first slot also checks again at 1 s)
        _clock.Advance(S);
        Assert.InRange(probe.CallCount, 9000, 10050);
        Assert.InRange(timers.Live, 0, 1);
        scheduler.DisposeAsync().AsTask().Wait();
        Assert.Equal(0, timers.Live);
    }

    [Fact]
    public void Override_ForcesTheEffectiveState_WhileChecksKeepCounting()
    {
        _probe.Default = Fail;
        var m = Add(new HealthMonitorOptions { InitialState = HealthInitialState.Down });
        var changes = new List<HealthStateChangedEventArgs>();
        m.StateChanged += (_, e) => changes.Add(e);
        m.SetOverride(HealthOverride.ForcedUp);
        Assert.Equal(HealthState.Up, m.State);
        Assert.Equal(HealthChangeReason.Administrative, Assert.Single(changes).Reason);
        _clock.Advance(10 * S);
        Assert.Equal(HealthState.Up, m.State);
        Assert.Equal(HealthState.Down, m.Snapshot.CheckedState);
        Assert.Equal("UP (forced)", m.Snapshot.StatusText);
        Assert.Single(changes);
        m.SetOverride(HealthOverride.None);
        Assert.Equal(HealthState.Down, m.State);
        Assert.Equal(2, changes.Count);
        m.SetOverride(HealthOverride.ForcedDown);
        Assert.Equal(2, changes.Count); // already down
    }

    [Fact]
    public void SetHealth_MovesTheCounterLikeHaproxysSetServerHealth()
    {
        var m = Add(new HealthMonitorOptions { InitialState = HealthInitialState.Down });
        m.SetHealth(HealthState.Up);
        Assert.Equal(HealthState.Up, m.State);
        Assert.Equal(4, m.Snapshot.Health);
        m.SetHealth(HealthState.Down);
        Assert.Equal(0, m.Snapshot.Health);
        Assert.Equal(HealthState.Down, m.State);
    }

    [Theory]
    [InlineData(ObservedErrorAction.FastInterval, 4, HealthState.Up, "L4OK")]
    [InlineData(ObservedErrorAction.FailCheck, 3, HealthState.Up, "HANA")]
    [InlineData(ObservedErrorAction.SuddenDeath, 2, HealthState.Up, "HANA")] // rise + 1, then one failure
    [InlineData(ObservedErrorAction.MarkDown, 0, HealthState.Down, "HANA")]
    public void ObservedErrors_MoveTheCounterLikeHaproxysOnError(ObservedErrorAction action, int health, HealthState state, string status)
    {
        var m = Add(); // rise 2, fall 3: fully up is 4
        _clock.Advance(TimeSpan.Zero);
        Assert.Equal(4, m.Snapshot.Health);
        var changes = new List<HealthStateChangedEventArgs>();
        m.StateChanged += (_, e) => changes.Add(e);

        m.ReportObservedErrors(action, "Detected 10 consecutive errors, last one was: L4 unsuccessful connection");

        Assert.Equal(health, m.Snapshot.Health);
        Assert.Equal(state, m.State);
        Assert.Equal(status, m.Snapshot.LastResult.HaproxyStatusName);
        if (state == HealthState.Down)
        {
            var change = Assert.Single(changes);
            Assert.Equal(HealthChangeReason.ObservedErrors, change.Reason);
            Assert.Equal("Health analyze", change.Result.HaproxyStatusDescription);
        }
        else
        {
            Assert.Empty(changes);
        }
    }

    [Fact]
    public async Task ObservedErrors_SuddenDeath_TheNextFailedCheckMarksDown()
    {
        var first = _probe.ThenPending(); // starts inside Add (FakeTimeProvider fires a timer due now while it is armed)
        _probe.Then(Fail);
        var m = Add(new HealthMonitorOptions { FastInterval = S });
        first.SetResult(Pass);
        await WaitFor(() => m.Snapshot.ChecksCompleted == 1);

        m.ReportObservedErrors(ObservedErrorAction.SuddenDeath, "errors");
        Assert.Equal(HealthState.Up, m.State);
        _clock.Advance(S); // the next check, brought forward to fastinter, fails
        Assert.Equal(HealthState.Down, m.State);
    }

    [Fact]
    public void ObservedErrors_BringTheNextCheckForwardToFastInter_NeverLater()
    {
        var m = Add(new HealthMonitorOptions { Interval = 10 * S, FastInterval = S });
        _clock.Advance(TimeSpan.Zero);
        Assert.Equal(1, _probe.CallCount); // next one due at 10 s

        _clock.Advance(2 * S);
        m.ReportObservedErrors(ObservedErrorAction.FastInterval, "errors");
        _clock.Advance(S);
        Assert.Equal(2, _probe.CallCount); // at 3 s, not 10 s

        _clock.Advance(9 * S); // now 12 s: passing, so back to inter; next due at 13 s
        Assert.Equal(2, _probe.CallCount);
    }

    [Fact]
    public void ObservedErrors_NeverPushTheNextCheckBack()
    {
        var m = Add(new HealthMonitorOptions { Interval = S, FastInterval = 10 * S });
        _clock.Advance(TimeSpan.Zero);
        Assert.Equal(1, _probe.CallCount);

        m.ReportObservedErrors(ObservedErrorAction.FastInterval, "errors"); // fastinter 10 s is later than the 1 s due
        _clock.Advance(S);
        Assert.Equal(2, _probe.CallCount);
    }

    [Fact]
    public async Task VrrpScriptPreset_OnePassToGoUp_OneFailureToGoDown()
    {
        var o = HealthMonitorOptions.VrrpScript(TimeSpan.FromSeconds(2));
        var first = _probe.ThenPending(); // starts inside Add (FakeTimeProvider fires a timer due now while it is armed)
        _probe.Then(Fail, Pass);
        var m = _scheduler.Add("chk_haproxy", _probe, o);
        Assert.Equal(HealthState.Down, m.State); // init: not yet known
        first.SetResult(Pass);
        await WaitFor(() => m.Snapshot.ChecksCompleted == 1);
        Assert.Equal(HealthState.Up, m.State);
        _clock.Advance(2 * S);
        Assert.Equal(HealthState.Down, m.State);
        _clock.Advance(2 * S);
        Assert.Equal(HealthState.Up, m.State);
    }

    [Fact]
    public void Reconfigure_KeepsStateAndAppliesNewTiming()
    {
        _probe.Default = Pass;
        var m = Add(new HealthMonitorOptions { Interval = 10 * S });
        _clock.Advance(TimeSpan.Zero);
        Assert.Equal(4, m.Snapshot.Health);
        m.Reconfigure(new HealthMonitorOptions { Interval = S, Rise = 3, Fall = 5 });
        Assert.Equal(HealthState.Up, m.State);
        Assert.Equal(7, m.Snapshot.Health);
        _clock.Advance(S);
        Assert.Equal(2, _probe.CallCount);
    }

    [Fact]
    public void Remove_StopsChecking_AndCancelsTheRunningCheck()
    {
        CancellationToken seen = default;
        var probe = new DelegateProbe(ct => { seen = ct; return new ValueTask<CheckResult>(new TaskCompletionSource<CheckResult>().Task); });
        _scheduler.Add("r", probe, new HealthMonitorOptions { Jitter = TimeSpan.Zero });
        _clock.Advance(TimeSpan.Zero);
        Assert.True(_scheduler.Remove("r"));
        Assert.True(seen.IsCancellationRequested);
        Assert.False(_scheduler.TryGet("r", out _));
        _clock.Advance(10 * S);
        Assert.Equal(1, probe.Calls);
    }

    [Fact]
    public void CheckNow_RunsACheckImmediately()
    {
        var m = Add(new HealthMonitorOptions { Interval = 10 * S });
        _clock.Advance(TimeSpan.Zero);
        m.CheckNow();
        _clock.Advance(TimeSpan.Zero);
        Assert.Equal(2, _probe.CallCount);
    }

    [Fact]
    public async Task CheckCompleted_ReportsEveryResult()
    {
        var first = _probe.ThenPending(); // starts inside Add (FakeTimeProvider fires a timer due now while it is armed)
        _probe.Then(Fail);
        var m = Add();
        var seen = new List<CheckStatus>();
        m.CheckCompleted += (_, e) => seen.Add(e.Result.Status);
        first.SetResult(Pass);
        await WaitFor(() => m.Snapshot.ChecksCompleted == 1);
        _clock.Advance(2 * S);
        Assert.Equal(new[] { CheckStatus.L4Ok, CheckStatus.L4ConnectionError }, seen);
    }

    [Fact]
    public void RiseFall_Property_StateFollowsTheLastRunOfResults()
    {
        // Property: after a run of `fall` failures the monitor is down; after `rise` passes it is up;
        // and the state only changes at those points.
        FsCheck.Fluent.Prop.ForAll(
            FsCheck.Fluent.ArbMap.Default.ArbFor<bool[]>(),
            FsCheck.Fluent.Arb.From(FsCheck.Fluent.Gen.Choose(1, 4)),
            (bool[] results, int rise) =>
            {
                var clock = new FakeTimeProvider();
                var scheduler = HealthCheckScheduler.Create(clock, new Random(3));
                var probe = new ScriptedProbe(clock);
                probe.Then(results.Select(r => r ? Pass : Fail).ToArray());
                var fall = 5 - rise;
                var m = scheduler.Add("p", probe, new HealthMonitorOptions { Rise = rise, Fall = fall, Jitter = TimeSpan.Zero, InitialState = HealthInitialState.Down });
                var state = HealthState.Down;
                int passes = 0, fails = 0;
                clock.Advance(TimeSpan.Zero);
                foreach (var r in results)
                {
                    if (r) { passes++; fails = 0; } else { fails++; passes = 0; }
                    if (state == HealthState.Down && passes >= rise) { state = HealthState.Up; }
                    if (state == HealthState.Up && fails >= fall) { state = HealthState.Down; }
                    if (m.State != state) { return false; }
                    clock.Advance(2 * S);
                }

                scheduler.DisposeAsync().AsTask().Wait();
                return true;
            }).QuickCheckThrowOnFailure();
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        for (var i = 0; i < 3000 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }

    private sealed class ThrowingProbe : IHealthProbe
    {
        public ValueTask<CheckResult> ProbeAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("boom");
    }

    private sealed class DelegateProbe(Func<CancellationToken, ValueTask<CheckResult>> run) : IHealthProbe
    {
        public int Calls;

        public ValueTask<CheckResult> ProbeAsync(CancellationToken cancellationToken)
        {
            Calls++;
            return run(cancellationToken);
        }
    }

    /// <summary>
    /// The scheduler's view of a <see cref="FakeTimeProvider"/> that counts the timers created through it and not yet
    /// disposed (FakeTimeProvider does not say how many timers it holds).
    /// </summary>
    private sealed class TimerCounter(FakeTimeProvider clock) : TimeProvider
    {
        private int _live;

        public int Live => Volatile.Read(ref _live);

        public override long TimestampFrequency => clock.TimestampFrequency;

        public override TimeZoneInfo LocalTimeZone => clock.LocalTimeZone;

        public override DateTimeOffset GetUtcNow() => clock.GetUtcNow();

        public override long GetTimestamp() => clock.GetTimestamp();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _live);
            return new Counted(this, clock.CreateTimer(callback, state, dueTime, period));
        }

        private sealed class Counted(TimerCounter owner, ITimer inner) : ITimer
        {
            private int _disposed;

            public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0)
                {
                    Interlocked.Decrement(ref owner._live);
                }

                inner.Dispose();
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
