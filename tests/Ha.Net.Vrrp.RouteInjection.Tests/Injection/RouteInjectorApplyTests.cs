using System.Net;
using Ha.Net.Vrrp.RouteInjection;

namespace Ha.Net.Vrrp.RouteInjection.Tests.Injection;

/// <summary>ApplyAsync: a running injector reconfigured in place (a daemon's reload), on the fake clock and fake speaker.</summary>
public partial class RouteInjectorTests
{
    private static readonly IPNetwork Vip2 = IPNetwork.Parse("198.18.100.2/32");

    [Fact]
    public async Task Apply_TheSameConfiguration_CallsNoSpeaker_AndReturnsFalse()
    {
        var injector = await AnnouncedInjector(rise: 1, fall: 1);
        var before = _speaker.Calls.Count;
        // New instances, as a reload builds them: equal values, a new prefix list, new condition objects of the same name.
        var changed = await injector.ApplyAsync(Options(1, 1) with { Prefixes = [IPNetwork.Parse("198.18.100.1/32")] }, [RouteCondition.Custom("test", () => _healthy)]);
        Assert.False(changed);
        await injector.TickAsync(default);
        Assert.Equal(before, _speaker.Calls.Count);
        Assert.True(injector.IsAnnounced);
    }

    [Fact]
    public async Task Apply_AddedPrefix_WhenAnnounced_IsAnnounced_AndTheKeptOneIsNotTouched()
    {
        var injector = await AnnouncedInjector(rise: 3, fall: 2);
        var before = _speaker.Calls.Count;
        Assert.True(await injector.ApplyAsync(Options(3, 2) with { Prefixes = [Vip, Vip2] }, [RouteCondition.Custom("test", () => _healthy)]));
        Assert.Equal(["announce 198.18.100.2/32"], _speaker.Calls.Skip(before));
        Assert.Equal(RouteInjectionState.Announced, injector.State);
        await injector.TickAsync(default);
        Assert.Equal(["announce 198.18.100.2/32"], _speaker.Calls.Skip(before)); // nothing more: both are where they should be
        Assert.DoesNotContain("withdraw 198.18.100.1/32", _speaker.Calls.Skip(before));
    }

    [Fact]
    public async Task Apply_AddedPrefix_WhenWithdrawn_IsWithdrawnAsLeftoversAre_AndAnnouncedWithTheOthersAfterRise()
    {
        var injector = Create(rise: 2, fall: 1);
        _healthy = false;
        await injector.TickAsync(default);
        var before = _speaker.Calls.Count;
        await injector.ApplyAsync(Options(2, 1) with { Prefixes = [Vip, Vip2] }, [RouteCondition.Custom("test", () => _healthy)]);
        Assert.Equal(["withdraw 198.18.100.2/32"], _speaker.Calls.Skip(before));
        _healthy = true;
        await injector.TickAsync(default);
        await injector.TickAsync(default);
        Assert.Equal(["withdraw 198.18.100.2/32", "announce 198.18.100.1/32", "announce 198.18.100.2/32"], _speaker.Calls.Skip(before));
    }

    [Fact]
    public async Task Apply_ReplacedPrefix_AnnouncesTheNewOneBeforeWithdrawingTheOld()
    {
        var injector = await AnnouncedInjector(rise: 1, fall: 1);
        var before = _speaker.Calls.Count;
        await injector.ApplyAsync(Options(1, 1) with { Prefixes = [Vip2] }, [RouteCondition.Custom("test", () => _healthy)]);
        Assert.Equal(["announce 198.18.100.2/32", "withdraw 198.18.100.1/32"], _speaker.Calls.Skip(before));
        Assert.True(injector.IsAnnounced);
        await injector.TickAsync(default);
        Assert.Equal(2, _speaker.Calls.Count - before);
    }

    [Fact]
    public async Task Apply_RemovedPrefix_WhoseWithdrawalIsRefused_IsRetriedAtTheNextSample_AndTheKeptOneStays()
    {
        var injector = await AnnouncedInjector(rise: 1, fall: 1);
        await injector.ApplyAsync(Options(1, 1) with { Prefixes = [Vip, Vip2] }, [RouteCondition.Custom("test", () => _healthy)]);
        var before = _speaker.Calls.Count;
        _speaker.Refuse = true;
        await injector.ApplyAsync(Options(1, 1), [RouteCondition.Custom("test", () => _healthy)]);
        _speaker.Refuse = false;
        await injector.TickAsync(default);
        await injector.TickAsync(default);
        Assert.Equal(["refused withdraw 198.18.100.2/32", "withdraw 198.18.100.2/32"], _speaker.Calls.Skip(before));
        Assert.True(injector.IsAnnounced);
    }

    [Fact]
    public async Task Apply_SameConditions_KeepsTheRiseCount_AndANewRiseCountsFromTheNextSample()
    {
        var injector = Create(rise: 5, fall: 1);
        await injector.TickAsync(default);
        await injector.TickAsync(default);
        await injector.ApplyAsync(Options(3, 1), [RouteCondition.Custom("test", () => _healthy)]);
        Assert.False(injector.IsAnnounced);
        await injector.TickAsync(default); // third pass in a row, rise is now 3
        Assert.True(injector.IsAnnounced);
    }

    [Fact]
    public async Task Apply_SameConditions_KeepsTheFallCount()
    {
        var injector = await AnnouncedInjector(rise: 1, fall: 3);
        _healthy = false;
        await injector.TickAsync(default);
        await injector.TickAsync(default);
        await injector.ApplyAsync(Options(1, 3) with { WithdrawGrace = TimeSpan.FromSeconds(1) }, [RouteCondition.Custom("test", () => _healthy)]);
        Assert.True(injector.IsAnnounced);
        await injector.TickAsync(default);
        Assert.False(injector.IsAnnounced);
    }

    [Fact]
    public async Task Apply_ChangedConditions_RestartTheCounters_AndNeverWithdrawAnAnnouncedRouteAtOnce()
    {
        var injector = await AnnouncedInjector(rise: 1, fall: 2);
        _healthy = false;
        await injector.TickAsync(default); // one failure of the old condition
        var before = _speaker.Calls.Count;
        var ok = false;
        await injector.ApplyAsync(Options(1, 2), [RouteCondition.Custom("other", () => ok)]);
        Assert.Equal(before, _speaker.Calls.Count);
        await injector.TickAsync(default); // the new condition's first failure: counters restarted, so still announced
        Assert.True(injector.IsAnnounced);
        await injector.TickAsync(default);
        Assert.False(injector.IsAnnounced);
        Assert.Equal(["withdraw 198.18.100.1/32"], _speaker.Calls.Skip(before));
    }

    [Fact]
    public async Task Apply_InvalidOptionsOrANullCondition_AreRefused_AndNothingChanges()
    {
        var injector = await AnnouncedInjector(rise: 1, fall: 1);
        var before = _speaker.Calls.Count;
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => injector.ApplyAsync(new RouteInjectorOptions { Prefixes = [Vip2], Rise = 0, Fall = 0 }, [RouteCondition.Custom("test", () => _healthy)]));
        Assert.Contains("Rise", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Fall", ex.Message, StringComparison.Ordinal);
        ex = await Assert.ThrowsAsync<ArgumentException>(() => injector.ApplyAsync(Options(1, 1) with { Prefixes = [Vip2] }, [null!]));
        Assert.Contains("Conditions", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, _speaker.Calls.Count);
        _healthy = false;
        await injector.TickAsync(default); // still fall 1, still the old prefix and condition
        Assert.Equal(["withdraw 198.18.100.1/32"], _speaker.Calls.Skip(before));
    }

    [Fact]
    public async Task Apply_WhileDrained_StaysDrained()
    {
        var injector = await AnnouncedInjector(rise: 1, fall: 1);
        await injector.DrainAsync();
        var before = _speaker.Calls.Count;
        await injector.ApplyAsync(Options(1, 1) with { Prefixes = [Vip, Vip2] }, [RouteCondition.Custom("other", () => true)]);
        await injector.TickAsync(default);
        Assert.Equal(RouteInjectionState.Drained, injector.State);
        Assert.Equal(["withdraw 198.18.100.2/32"], _speaker.Calls.Skip(before));
    }

    [Fact]
    public async Task Apply_WithoutTheDrainFile_LiftsTheFileDrain()
    {
        var file = Path.Combine(Path.GetTempPath(), "hanet-drain-" + Guid.NewGuid().ToString("N"));
        try
        {
            await File.WriteAllTextAsync(file, "");
            var injector = await AnnouncedInjector(rise: 1, fall: 1);
            await injector.ApplyAsync(Options(1, 1) with { DrainFile = file }, [RouteCondition.Custom("test", () => _healthy)]);
            await injector.TickAsync(default);
            Assert.Equal(RouteInjectionState.Drained, injector.State);
            await injector.ApplyAsync(Options(1, 1), [RouteCondition.Custom("test", () => _healthy)]);
            await injector.TickAsync(default); // resumed: rise fresh passes from here
            await injector.TickAsync(default);
            Assert.Equal(RouteInjectionState.Announced, injector.State);
            Assert.True(_speaker.Announced);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Apply_BeforeStart_CallsNoSpeaker_AndStartUsesTheNewConfiguration()
    {
        var injector = Create(rise: 1, fall: 1);
        await injector.ApplyAsync(Options(1, 1) with { Prefixes = [Vip2] }, [RouteCondition.Custom("test", () => _healthy)]);
        Assert.Empty(_speaker.Calls);
        await injector.TickAsync(default);
        Assert.Equal(["announce 198.18.100.2/32"], _speaker.Calls);
    }

    [Fact]
    public async Task Apply_AfterStop_IsRefused()
    {
        var injector = await AnnouncedInjector(rise: 1, fall: 1);
        await injector.StopAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => injector.ApplyAsync(Options(1, 1) with { Prefixes = [Vip2] }, []));
    }
}
