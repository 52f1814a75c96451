using Ha.Net.Vrrp.RouteInjection;

namespace Ha.Net.Vrrp.RouteInjection.Tests.Injection;

/// <summary>One test per row of the table above <see cref="RouteInjectionMachine"/>.</summary>
public class RouteInjectionMachineTests
{
    [Fact]
    public void Any_SampleHealthy_ReachingRise_Announces()
    {
        var m = new RouteInjectionMachine(rise: 3, fall: 2);
        Assert.False(m.Sample(true));
        Assert.False(m.Sample(true));
        Assert.False(m.Wanted);
        Assert.True(m.Sample(true));
        Assert.True(m.Wanted);
    }

    [Fact]
    public void Announced_SampleUnhealthy_BelowFall_KeepsTheRoute_ThenReachingFall_Withdraws()
    {
        var m = Announced(rise: 1, fall: 3);
        Assert.False(m.Sample(false));
        Assert.False(m.Sample(false));
        Assert.True(m.Wanted);
        Assert.False(m.Sample(true)); // one pass resets the failure count: damping
        Assert.False(m.Sample(false));
        Assert.False(m.Sample(false));
        Assert.True(m.Wanted);
        Assert.True(m.Sample(false));
        Assert.False(m.Wanted);
    }

    [Fact]
    public void Withdrawn_SampleUnhealthy_ResetsPasses()
    {
        var m = new RouteInjectionMachine(rise: 2, fall: 1);
        m.Sample(true);
        m.Sample(false);
        Assert.Equal(0, m.ConsecutivePasses);
        m.Sample(true);
        Assert.False(m.Wanted);
        m.Sample(true);
        Assert.True(m.Wanted);
    }

    [Fact]
    public void Any_Drain_WithdrawsAtOnce_AndHealthySamplesDoNotAnnounce()
    {
        var m = Announced(rise: 1, fall: 5);
        Assert.True(m.Drain());
        Assert.False(m.Wanted);
        for (var i = 0; i < 10; i++)
        {
            Assert.False(m.Sample(true));
        }

        Assert.False(m.Wanted);
    }

    [Fact]
    public void Drained_Resume_AnnouncesAfterRiseFreshPasses()
    {
        var m = Announced(rise: 2, fall: 1);
        m.Drain();
        m.Sample(true);
        m.Resume();
        Assert.False(m.Sample(true));
        Assert.True(m.Sample(true));
    }

    [Fact]
    public void Any_Stop_IsFinal()
    {
        var m = Announced(rise: 1, fall: 1);
        Assert.True(m.Stop());
        Assert.False(m.Sample(true));
        m.Resume();
        Assert.False(m.Sample(true));
        Assert.False(m.Wanted);
    }

    [Fact]
    public void Any_Reconfigure_SameConditions_KeepsCounters_NewThresholdsFromTheNextSample()
    {
        var m = new RouteInjectionMachine(rise: 5, fall: 1);
        m.Sample(true);
        m.Sample(true);
        m.Reconfigure(rise: 3, fall: 1, conditionsChanged: false);
        Assert.False(m.Wanted); // a reconfiguration alone announces nothing
        Assert.Equal(2, m.ConsecutivePasses);
        Assert.True(m.Sample(true)); // third pass of the kept count reaches the new rise
    }

    [Fact]
    public void Any_Reconfigure_ChangedConditions_ResetsCounters_KeepsWanted()
    {
        var m = Announced(rise: 1, fall: 2);
        m.Sample(false);
        m.Reconfigure(rise: 1, fall: 2, conditionsChanged: true);
        Assert.True(m.Wanted); // no withdrawal from a reconfiguration
        Assert.Equal(0, m.ConsecutiveFailures);
        Assert.False(m.Sample(false)); // the new conditions need fall failures of their own
        Assert.True(m.Sample(false));
        Assert.False(m.Wanted);
    }

    [Fact]
    public void Drained_Reconfigure_StaysDrained()
    {
        var m = Announced(rise: 1, fall: 1);
        m.Drain();
        m.Reconfigure(rise: 1, fall: 1, conditionsChanged: true);
        Assert.False(m.Sample(true));
        Assert.True(m.Drained);
    }

    private static RouteInjectionMachine Announced(int rise, int fall)
    {
        var m = new RouteInjectionMachine(rise, fall);
        while (!m.Wanted)
        {
            m.Sample(true);
        }

        return m;
    }
}
