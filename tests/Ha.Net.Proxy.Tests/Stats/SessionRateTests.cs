using FsCheck;
using FsCheck.Fluent;
using Ha.Net.Proxy.Stats;

namespace Ha.Net.Proxy.Tests.Stats;

public class SessionRateTests
{
    [Fact]
    public void CountsTheCurrentSecond_ThenWeighsThePreviousByWhatIsLeftOfIt()
    {
        var rate = new SessionRate();
        Assert.Equal(0, rate.Read(0));
        foreach (var t in new long[] { 10_000, 10_200, 10_400, 10_600, 10_900 })
        {
            rate.Add(t);
        }

        Assert.Equal(5, rate.Read(10_900));
        Assert.Equal(5, rate.Max);

        // Half of the next period gone: half of the previous period's 5 still counts (HAProxy's freq_ctr).
        Assert.Equal(2, rate.Read(11_500));
        rate.Add(11_500);
        rate.Add(11_600);
        rate.Add(11_700);
        Assert.Equal(3 + 1, rate.Read(11_800)); // 3 now + 5 x 0.2
        Assert.Equal(5, rate.Max);              // the most within one period

        Assert.Equal(3, rate.Read(12_000));     // the period of the 3 is the previous one, wholly in the last second
        Assert.Equal(0, rate.Read(13_500));     // two periods without a session
        Assert.Equal(5, rate.Max);

        rate.ClearMax();
        Assert.Equal(0, rate.Max);
    }

    [Fact]
    public void Max_IsTheLargestCountWithinOnePeriod_AndReadAtAnEventCountsAtLeastItsPeriod()
    {
        // Periods are aligned on the first event; gaps between events 0..2.5 s.
        Prop.ForAll(Gen.NonEmptyListOf(Gen.Choose(0, 2500)).ToArbitrary(), gaps =>
        {
            var rate = new SessionRate();
            long t = 1_000_000;
            var times = new List<long>();
            foreach (var gap in gaps)
            {
                t += gap;
                times.Add(t);
                rate.Add(t);
                var inPeriod = times.Count(x => (x - times[0]) / 1000 == (t - times[0]) / 1000);
                if (rate.Read(t) < inPeriod)
                {
                    return false;
                }
            }

            var expectedMax = times.GroupBy(x => (x - times[0]) / 1000).Max(g => g.Count());
            return rate.Max == expectedMax;
        }).QuickCheckThrowOnFailure();
    }
}
