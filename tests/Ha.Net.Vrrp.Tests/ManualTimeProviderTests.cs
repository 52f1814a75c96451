using Ha.Net.Testing.Time;

namespace Ha.Net.Vrrp.Tests;

public class ManualTimeProviderTests
{
    [Fact]
    public void Advance_FiresTimersInDueOrder_AndRearmsPeriodicOnes()
    {
        var clock = new ManualTimeProvider();
        var fired = new List<string>();
        using var a = clock.CreateTimer(_ => fired.Add($"a@{clock.Elapsed.TotalSeconds}"), null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
        using var b = clock.CreateTimer(_ => fired.Add($"b@{clock.Elapsed.TotalSeconds}"), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);

        clock.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(["a@2", "b@3", "a@4"], fired);
        Assert.Equal(TimeSpan.FromSeconds(5), clock.Elapsed);
    }

    [Fact]
    public void Change_And_Dispose_AreHonoured()
    {
        var clock = new ManualTimeProvider();
        var count = 0;
        var timer = clock.CreateTimer(_ => count++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        Assert.True(timer.Change(TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan));
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, count);
        timer.Dispose();
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, count);
        Assert.False(timer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    [Fact]
    public async Task TaskDelay_CompletesOnlyWhenAdvanced()
    {
        var clock = new ManualTimeProvider();
        var delay = Task.Delay(TimeSpan.FromSeconds(30), clock);
        Assert.False(delay.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(30));
        await delay.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(delay.IsCompletedSuccessfully);
    }

    [Fact]
    public void Timestamps_UseAnOddFrequency_AndElapsedTimeIsRightToTheMicrosecond()
    {
        var clock = new ManualTimeProvider();
        var start = clock.GetTimestamp();
        clock.Advance(TimeSpan.FromMilliseconds(1500));
        Assert.Equal(1500, clock.GetElapsedTime(start).TotalMilliseconds, 2);
        Assert.NotEqual(0, clock.TimestampFrequency % 10);
    }
}
