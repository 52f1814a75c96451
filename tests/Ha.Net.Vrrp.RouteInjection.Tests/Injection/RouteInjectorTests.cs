using System.Net;
using Ha.Net.Vrrp.RouteInjection;
using Microsoft.Extensions.Time.Testing;

namespace Ha.Net.Vrrp.RouteInjection.Tests.Injection;

/// <summary>The injector's host logic on a fake clock with a fake speaker: samples are driven by TickAsync.</summary>
public partial class RouteInjectorTests
{
    private static readonly IPNetwork Vip = IPNetwork.Parse("198.18.100.1/32");

    private readonly FakeAnnouncer _speaker = new();
    private readonly FakeTimeProvider _time = new();
    private bool _healthy = true;

    [Fact]
    public async Task Start_WithdrawsLeftovers_ThenAnnouncesAfterRiseSamples()
    {
        var injector = Create(rise: 3, fall: 2);
        await injector.StartAsyncForTest();
        Assert.Equal(["withdraw 198.18.100.1/32"], _speaker.Calls);
        await injector.TickAsync(default);
        Assert.False(injector.IsAnnounced);
        await injector.TickAsync(default);
        Assert.True(injector.IsAnnounced);
        Assert.Equal(RouteInjectionState.Announced, injector.State);
        Assert.Equal(["withdraw 198.18.100.1/32", "announce 198.18.100.1/32"], _speaker.Calls);
    }

    [Fact]
    public async Task Failure_ShorterThanFall_KeepsTheRoute_FallFailures_Withdraw()
    {
        var injector = await AnnouncedInjector(rise: 1, fall: 3);
        _healthy = false;
        await injector.TickAsync(default);
        await injector.TickAsync(default);
        _healthy = true;
        await injector.TickAsync(default);
        Assert.True(injector.IsAnnounced);
        _healthy = false;
        for (var i = 0; i < 3; i++)
        {
            await injector.TickAsync(default);
        }

        Assert.False(injector.IsAnnounced);
        Assert.Equal("withdraw 198.18.100.1/32", _speaker.Calls[^1]);
        Assert.Equal(1, _speaker.Calls.Count(c => c.StartsWith("announce", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Drain_WithdrawsWithoutDamping_AndResumeNeedsRiseAgain()
    {
        var injector = await AnnouncedInjector(rise: 2, fall: 5);
        await injector.DrainAsync();
        Assert.False(_speaker.Announced);
        Assert.Equal(RouteInjectionState.Drained, injector.State);
        await injector.TickAsync(default);
        await injector.TickAsync(default);
        Assert.False(_speaker.Announced);
        await injector.ResumeAsync();
        await injector.TickAsync(default);
        Assert.False(_speaker.Announced);
        await injector.TickAsync(default);
        Assert.True(_speaker.Announced);
    }

    [Fact]
    public async Task DrainFile_Exists_Withdraws_Removed_Returns()
    {
        var file = Path.Combine(Path.GetTempPath(), "hanet-drain-" + Guid.NewGuid().ToString("N"));
        try
        {
            var injector = await AnnouncedInjector(rise: 1, fall: 5, drainFile: file);
            await File.WriteAllTextAsync(file, "");
            await injector.TickAsync(default);
            Assert.False(_speaker.Announced);
            Assert.Equal(RouteInjectionState.Drained, injector.State);
            await injector.ResumeAsync(); // the file still says drained: an API resume does not override it
            await injector.TickAsync(default);
            Assert.False(_speaker.Announced);
            File.Delete(file);
            await injector.TickAsync(default);
            Assert.True(_speaker.Announced);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Stop_WithdrawsFirst_ThenWaitsTheGrace_BeforeReturning()
    {
        var injector = await AnnouncedInjector(rise: 1, fall: 1, grace: TimeSpan.FromSeconds(2));
        var stop = injector.StopAsync();
        Assert.False(_speaker.Announced); // withdrawn before the caller may close its listeners
        Assert.False(stop.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(stop.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await stop.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(RouteInjectionState.Stopped, injector.State);
        await injector.TickAsync(default);
        Assert.False(_speaker.Announced); // samples after stop change nothing
    }

    [Fact]
    public async Task RefusingSpeaker_IsRetriedAtEverySample_UntilItAccepts()
    {
        var injector = Create(rise: 1, fall: 1);
        _speaker.Refuse = true;
        await injector.TickAsync(default);
        await injector.TickAsync(default);
        Assert.False(injector.IsAnnounced);
        Assert.Equal(2, _speaker.Calls.Count(c => c == "refused announce 198.18.100.1/32"));
        _speaker.Refuse = false;
        await injector.TickAsync(default);
        Assert.True(injector.IsAnnounced);
    }

    [Fact]
    public async Task WantedState_IsReassertedAfterTheInterval()
    {
        var injector = await AnnouncedInjector(rise: 1, fall: 1, reassert: TimeSpan.FromSeconds(30));
        var before = _speaker.Calls.Count;
        await injector.TickAsync(default);
        Assert.Equal(before, _speaker.Calls.Count);
        _time.Advance(TimeSpan.FromSeconds(30));
        await injector.TickAsync(default);
        Assert.Equal(before + 1, _speaker.Calls.Count);
        Assert.Equal("announce 198.18.100.1/32", _speaker.Calls[^1]);
    }

    [Fact]
    public async Task ThrowingCondition_CountsAsFailing()
    {
        var calls = 0;
        var condition = RouteCondition.Custom("flaky", () => ++calls > 1 ? throw new InvalidOperationException("boom") : true);
        var injector = new RouteInjector(Options(1, 1), _speaker, [condition], _time);
        await injector.TickAsync(default);
        Assert.True(injector.IsAnnounced);
        await injector.TickAsync(default);
        Assert.False(injector.IsAnnounced);
    }

    [Fact]
    public void InvalidOptions_AreRefused_WithEveryErrorNamed()
    {
        var ex = Assert.Throws<ArgumentException>(() => new RouteInjector(new RouteInjectorOptions { Rise = 0, Interval = TimeSpan.Zero }, _speaker, [], _time));
        Assert.Contains("Prefixes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Rise", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Interval", ex.Message, StringComparison.Ordinal);
    }

    private RouteInjectorOptions Options(int rise, int fall) => new()
    {
        Prefixes = [Vip],
        Rise = rise,
        Fall = fall,
        Interval = TimeSpan.FromHours(1), // the background loop never fires on the fake clock in these tests
        WithdrawGrace = TimeSpan.Zero,
        ReassertInterval = TimeSpan.Zero,
    };

    private RouteInjector Create(int rise, int fall, string? drainFile = null, TimeSpan? grace = null, TimeSpan? reassert = null) =>
        new(Options(rise, fall) with { DrainFile = drainFile, WithdrawGrace = grace ?? TimeSpan.Zero, ReassertInterval = reassert ?? TimeSpan.Zero },
            _speaker, [RouteCondition.Custom("test", () => _healthy)], _time);

    private async Task<RouteInjector> AnnouncedInjector(int rise, int fall, string? drainFile = null, TimeSpan? grace = null, TimeSpan? reassert = null)
    {
        var injector = Create(rise, fall, drainFile, grace, reassert);
        for (var i = 0; i < rise; i++)
        {
            await injector.TickAsync(default);
        }

        Assert.True(injector.IsAnnounced);
        return injector;
    }
}

internal static class RouteInjectorTestExtensions
{
    /// <summary>StartAsync takes the first sample at once; the loop's next one is an interval (an hour here) away.</summary>
    public static Task StartAsyncForTest(this RouteInjector injector) => injector.StartAsync();
}
