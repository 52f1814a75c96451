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

    [Fact]
    public void DelayUntilBelow_WorkedExamples()
    {
        var rate = new SessionRate();
        Assert.Equal(0, rate.DelayUntilBelow(3, 0)); // nothing counted yet
        rate.Add(0);
        rate.Add(0);
        Assert.Equal(0, rate.DelayUntilBelow(3, 0)); // 2 of 3
        rate.Add(0);

        // 3 of 3 in this period: only once it is the previous one, weighing 3 x (1000 - f)/1000 < 3, at f = 1.
        Assert.Equal(1001, rate.DelayUntilBelow(3, 0));
        Assert.Equal(501, rate.DelayUntilBelow(3, 500));
        Assert.Equal(0, rate.DelayUntilBelow(3, 1001));

        // 1 now and 4 in the previous period, limit 3: 1 + 4 x (1000 - t)/1000 < 3 from t = 501.
        var mixed = new SessionRate();
        foreach (var t in new long[] { 0, 0, 0, 0, 1000 })
        {
            mixed.Add(t);
        }

        Assert.Equal(501, mixed.DelayUntilBelow(3, 1000));
    }

    [Fact]
    public void DelayUntilBelow_IsTheFirstMillisecondWithRoom()
    {
        var cases =
            from first in Gen.Choose(0, 20)
            from second in Gen.Choose(0, 20)
            from gap in Gen.Choose(1, 1999)
            from limit in Gen.Choose(1, 15)
            select (First: first, Second: second, Gap: gap, Limit: limit);
        Prop.ForAll(cases.ToArbitrary(), c =>
            {
                var (first, second, gap, limit) = c;
                // A fresh counter per question, since reading rotates periods forward.
                SessionRate Build()
                {
                    var r = new SessionRate();
                    r.Add(0); // starts the periods at 0
                    for (int i = 1; i < first; i++)
                    {
                        r.Add(0);
                    }

                    for (int i = 0; i < second; i++)
                    {
                        r.Add(gap);
                    }

                    return r;
                }

                long delay = Build().DelayUntilBelow(limit, gap);
                return delay == 0
                    || (Build().DelayUntilBelow(limit, gap + delay) == 0
                        && (delay == 1 || Build().DelayUntilBelow(limit, gap + delay - 1) > 0));
            }).QuickCheckThrowOnFailure();
    }
}
