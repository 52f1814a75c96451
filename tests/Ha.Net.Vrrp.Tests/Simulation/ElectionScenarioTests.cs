using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Ha.Net.Vrrp.Testing;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Vrrp.Tests.Simulation;

/// <summary>
/// FsCheck-generated multi-router scenarios run in the discrete-event simulation. A failure prints the seed and the
/// whole scenario; set HANET_VRRP_SEED=&lt;seed&gt; to replay just that one (or add it to <see cref="Regressions"/>).
/// </summary>
public class ElectionScenarioTests
{
    private static readonly int? ReplaySeed =
        int.TryParse(Environment.GetEnvironmentVariable("HANET_VRRP_SEED"), out var seed) ? seed : null;

    private static void Check(ElectionScenario s)
    {
        var failure = ScenarioRunner.Run(s);
        if (failure is not null)
        {
            throw new Xunit.Sdk.XunitException($"{failure}\n{s}\nreplay: HANET_VRRP_SEED={s.Seed} dotnet test --filter {nameof(ElectionScenarioTests)}");
        }
    }

    [Fact]
    public void GeneratedScenarios_KeepEveryInvariant()
    {
        if (ReplaySeed is { } replay)
        {
            Check(ElectionScenario.FromSeed(replay));
            return;
        }

        // 1,000 scenarios of 2–5 routers each run (about 40 advertisement intervals of simulated time each).
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), s =>
        {
            Check(ElectionScenario.FromSeed(s));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(1000));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(42)]
    [InlineData(20261122)]
    public void Regressions(int seed) => Check(ElectionScenario.FromSeed(seed));

    [Fact]
    public void SimultaneousStart_HighestPriorityWins_TiesToTheHigherAddress()
    {
        var gen =
            from n in Gen.Choose(2, 5)
            from priorities in Gen.ArrayOf(Gen.Elements(100, 100, 150, 200, 254), n)
            from preempt in Gen.ArrayOf(Gen.Elements(true, false), n)
            from v3 in Gen.Elements(false, true)
            from delayMs in Gen.Choose(0, 5)
            from seed in Gen.Choose(0, int.MaxValue)
            select (priorities, preempt, v3, delayMs, seed);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var r = new Random(t.seed);
            var bytes = Enumerable.Range(1, 250).OrderBy(_ => r.Next()).Take(t.priorities.Length).ToArray();
            var version = t.v3 ? VrrpVersion.V3 : VrrpVersion.V2;
            var interval = t.v3 ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(1);
            var sim = new VrrpElectionSimulation(t.seed) { Delay = TimeSpan.FromMilliseconds(t.delayMs) };
            for (var i = 0; i < bytes.Length; i++)
            {
                sim.AddNode(ElectionScenario.AddressOf(bytes[i]), ElectionScenario.Options(version, interval, t.priorities[i], t.preempt[i]));
            }

            sim.At(TimeSpan.Zero, () =>
            {
                for (var i = 0; i < bytes.Length; i++)
                {
                    sim.Start(i);
                }
            });
            sim.RunUntil(interval * 20);
            var expected = Enumerable.Range(0, bytes.Length).OrderByDescending(i => t.priorities[i]).ThenByDescending(i => bytes[i]).First();
            var masters = sim.Masters.ToList();
            if (masters.Count != 1 || masters[0] != expected)
            {
                throw new Xunit.Sdk.XunitException(
                    $"masters [{string.Join(", ", masters)}], expected node {expected}; priorities [{string.Join(", ", t.priorities)}], address bytes [{string.Join(", ", bytes)}]");
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void KeepalivedTiming_V2_CrashFailsOverAt3Point609s_StopAt0Point609s()
    {
        // vrrp-anchors.md §6.2/§6.3: backup priority 100, 1 s interval.
        foreach (var graceful in new[] { false, true })
        {
            var sim = new VrrpElectionSimulation(1);
            var a = sim.AddNode(IPAddress.Parse("198.18.0.1"), ElectionScenario.Options(VrrpVersion.V2, TimeSpan.FromSeconds(1), 150, true));
            var b = sim.AddNode(IPAddress.Parse("198.18.0.2"), ElectionScenario.Options(VrrpVersion.V2, TimeSpan.FromSeconds(1), 100, true));
            sim.At(TimeSpan.Zero, () => { sim.Start(a); sim.Start(b); });
            sim.RunUntil(TimeSpan.FromSeconds(10));
            // 3 s + 106 × 1 000 000 / 256 µs = 3.414062 s (keepalived truncates to the microsecond).
            Assert.Equal(TimeSpan.FromMicroseconds(3_414_062), sim.Transitions.First(t => t.To == VirtualRouterState.Master).Time);
            var lastAdvert = sim.Sent.Last(s => s.Node == a).Time;
            sim.At(TimeSpan.FromSeconds(10), () => { if (graceful) { sim.Shutdown(a); } else { sim.Crash(a); } });
            sim.RunUntil(TimeSpan.FromSeconds(20));
            var takeover = sim.Transitions.Last(t => t.To == VirtualRouterState.Master && t.Node == b).Time;
            Assert.Equal(graceful ? TimeSpan.FromSeconds(10.609375) : lastAdvert + TimeSpan.FromSeconds(3.609375), takeover);
        }
    }

    [Fact]
    public void KeepalivedTiming_V3_TenthOfASecond_CrashAt0Point361s_StopAt0Point061s()
    {
        var sim = new VrrpElectionSimulation(1);
        var a = sim.AddNode(IPAddress.Parse("198.18.0.1"), ElectionScenario.Options(VrrpVersion.V3, TimeSpan.FromMilliseconds(100), 150, true));
        var b = sim.AddNode(IPAddress.Parse("198.18.0.2"), ElectionScenario.Options(VrrpVersion.V3, TimeSpan.FromMilliseconds(100), 100, true));
        sim.At(TimeSpan.Zero, () => { sim.Start(a); sim.Start(b); });
        sim.RunUntil(TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.FromMicroseconds(60_937), sim.Skew(b)); // (156 × 0.1 s) / 256, in keepalived's whole microseconds
        var lastAdvert = sim.Sent.Last(s => s.Node == a).Time;
        sim.At(TimeSpan.FromSeconds(2), () => sim.Crash(a));
        sim.RunUntil(TimeSpan.FromSeconds(3));
        Assert.Equal(lastAdvert + TimeSpan.FromMicroseconds(360_937), sim.Transitions.Last(t => t.To == VirtualRouterState.Master).Time);
    }

    [Fact]
    public void PreemptDelay_DelaysTheTakeoverByTheDelay()
    {
        // man keepalived.conf: "priority 128 … 3.5 seconds … preempt_delay 2 … 5.5 seconds" (3 × 1 + 0.5 + 2).
        var sim = new VrrpElectionSimulation(1);
        var low = sim.AddNode(IPAddress.Parse("198.18.0.1"), ElectionScenario.Options(VrrpVersion.V2, TimeSpan.FromSeconds(1), 100, true));
        var o = ElectionScenario.Options(VrrpVersion.V2, TimeSpan.FromSeconds(1), 128, true);
        o.PreemptDelay = TimeSpan.FromSeconds(2);
        var high = sim.AddNode(IPAddress.Parse("198.18.0.2"), o);
        sim.At(TimeSpan.Zero, () => sim.Start(low));
        sim.At(TimeSpan.FromSeconds(10), () => sim.Start(high));
        sim.RunUntil(TimeSpan.FromSeconds(30));
        var takeover = sim.Transitions.Single(t => t.Node == high && t.To == VirtualRouterState.Master).Time;
        // The low master advertises at 3.609375 + k s. The first advert the new node hears (10.609375 s) starts the
        // 2 s delay; adverts are accepted until 12.609375 s (the last at 11.609375 s), then discarded, so the down timer
        // (3 + 128/256 = 3.5 s) runs out at 15.109375 s: between delay + MDI − interval and delay + MDI after the first.
        Assert.Equal(TimeSpan.FromSeconds(15.109375), takeover);
        var without = new VrrpElectionSimulation(1);
        var low2 = without.AddNode(IPAddress.Parse("198.18.0.1"), ElectionScenario.Options(VrrpVersion.V2, TimeSpan.FromSeconds(1), 100, true));
        var high2 = without.AddNode(IPAddress.Parse("198.18.0.2"), ElectionScenario.Options(VrrpVersion.V2, TimeSpan.FromSeconds(1), 128, true));
        without.At(TimeSpan.Zero, () => without.Start(low2));
        without.At(TimeSpan.FromSeconds(10), () => without.Start(high2));
        without.RunUntil(TimeSpan.FromSeconds(30));
        // Without the delay: the down timer started at 10 s runs out 3.5 s later.
        Assert.Equal(TimeSpan.FromSeconds(13.5), without.Transitions.Single(t => t.Node == high2 && t.To == VirtualRouterState.Master).Time);
    }
}

public class ElectionScenarioCoverageTests
{
    /// <summary>The generator must actually produce the situations the invariants are about.</summary>
    [Fact]
    public void Generator_CoversOwnersTiesNopreemptPartitionsLossAndBothVersions()
    {
        int owners = 0, ties = 0, nopreempt = 0, dualAfterHeal = 0, lossy = 0, v3 = 0, graceful = 0, partitions = 0;
        for (var seed = 0; seed < 400; seed++)
        {
            var s = ElectionScenario.FromSeed(seed);
            Assert.Null(ScenarioRunner.Run(s, out var sim));
            owners += s.Routers.Any(r => r.Priority == 255) ? 1 : 0;
            ties += s.Routers.GroupBy(r => r.Priority).Any(g => g.Count() > 1) ? 1 : 0;
            nopreempt += s.Routers.Any(r => !r.Preempt) ? 1 : 0;
            lossy += s.Loss > 0 ? 1 : 0;
            v3 += s.Version == VrrpVersion.V3 ? 1 : 0;
            graceful += s.GracefulFinalStop ? 1 : 0;
            partitions += s.Chaos.Any(e => e.Kind == ElectionScenario.ChaosKind.Partition) ? 1 : 0;
            dualAfterHeal += ScenarioRunner.LongestDualHolding(sim, s.ChaosEnd, s.ChaosEnd + s.Settle) > TimeSpan.Zero ? 1 : 0;
        }

        Assert.All(new[] { owners, ties, nopreempt, lossy, v3, graceful, partitions }, c => Assert.InRange(c, 40, 360));
        // Split brains that the heal at the end of the chaos phase must resolve.
        Assert.InRange(dualAfterHeal, 10, 400);
    }
}
