using Ha.Net.Vrrp.Testing;
using Ha.Net.Vrrp.Election;

namespace Ha.Net.Vrrp.Tests.Simulation;

/// <summary>Runs a scenario and checks the invariants; returns the first violation, or null.</summary>
public static class ScenarioRunner
{
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    public static string? Run(ElectionScenario s) => Run(s, out _);

    public static string? Run(ElectionScenario s, out VrrpElectionSimulation sim)
    {
        sim = new VrrpElectionSimulation(s.Seed) { Delay = s.Delay, LossRate = s.Loss };
        var n = s.Routers.Length;
        foreach (var r in s.Routers)
        {
            sim.AddNode(ElectionScenario.AddressOf(r.AddressByte), ElectionScenario.Options(s.Version, s.Interval, r.Priority, r.Preempt));
        }

        var owner = Array.FindIndex(s.Routers, r => r.Priority == 255);
        var ownerStarts = new List<TimeSpan>();
        var simulation = sim;
        void StartNode(int node)
        {
            if (!simulation.IsAlive(node) && node == owner)
            {
                ownerStarts.Add(simulation.Now);
            }

            simulation.Start(node);
        }

        for (var i = 0; i < n; i++)
        {
            var node = i;
            sim.At(s.StartAt[i], () => StartNode(node));
        }

        foreach (var e in s.Chaos)
        {
            var ev = e;
            sim.At(e.At, () =>
            {
                switch (ev.Kind)
                {
                    case ElectionScenario.ChaosKind.Crash: simulation.Crash(ev.Node); break;
                    case ElectionScenario.ChaosKind.Restart: StartNode(ev.Node); break;
                    case ElectionScenario.ChaosKind.Shutdown: simulation.Shutdown(ev.Node); break;
                    case ElectionScenario.ChaosKind.Heal: simulation.Heal(); break;
                    case ElectionScenario.ChaosKind.Partition:
                        simulation.Partition([
                            Enumerable.Range(0, n).Where(i => (ev.Mask & (1 << i)) != 0).ToList(),
                            Enumerable.Range(0, n).Where(i => (ev.Mask & (1 << i)) == 0).ToList()]);
                        break;
                }
            });
        }

        // End of chaos: a clean, healed, loss-free segment with every router running.
        var t1 = s.ChaosEnd;
        sim.At(t1, () =>
        {
            simulation.LossRate = 0;
            simulation.Heal();
            for (var i = 0; i < n; i++)
            {
                StartNode(i);
            }
        });
        var t2 = t1 + s.Settle;
        sim.RunUntil(t2);

        // 5. The owner becomes master the moment it starts.
        foreach (var at in ownerStarts)
        {
            if (!sim.Transitions.Exists(t => t.Time == at && t.Node == owner && t.To == VirtualRouterState.Master))
            {
                return $"the owner (node {owner}) did not become master when it started at {at.TotalSeconds} s";
            }
        }

        // 6. After the heal, no two routers hold the VIP for longer than one advertisement interval plus the link delay.
        var dual = LongestDualHolding(sim, t1, t2);
        if (dual > s.Interval + s.Delay + Tick)
        {
            return $"two routers held the VIP for {dual.TotalSeconds} s after the heal at {t1.TotalSeconds} s (limit {(s.Interval + s.Delay).TotalSeconds} s)";
        }

        // 1. Exactly one master (and one VIP holder) after convergence.
        var masters = sim.Masters.ToList();
        if (masters.Count != 1)
        {
            return $"{masters.Count} masters at {t2.TotalSeconds} s: [{string.Join(", ", masters)}]";
        }

        var master = masters[0];
        var holders = Enumerable.Range(0, n).Where(sim.IsBound).ToList();
        if (holders.Count != 1 || holders[0] != master)
        {
            return $"VIP holders [{string.Join(", ", holders)}] but the master is node {master}";
        }

        // 2. With preemption everywhere, the master has the highest effective priority.
        var best = Enumerable.Range(0, n).Max(sim.EffectivePriority);
        if (s.Routers.All(r => r.Preempt) && sim.EffectivePriority(master) != best)
        {
            return $"master node {master} has priority {sim.EffectivePriority(master)} but {best} is available";
        }

        // 3 / 4. The master crashes (failover within Master_Down_Interval + delay) or stops
        // (priority 0: takeover within Skew_Time + delay).
        var backups = Enumerable.Range(0, n).Where(i => i != master).ToList();
        var bound = s.GracefulFinalStop
            ? backups.Min(sim.Skew) + s.Delay
            : backups.Min(sim.MasterDownInterval) + s.Delay;
        var transitionsBefore = sim.Transitions.Count;
        sim.At(t2, () =>
        {
            if (s.GracefulFinalStop)
            {
                simulation.Shutdown(master);
            }
            else
            {
                simulation.Crash(master);
            }
        });
        var t3 = t2 + s.Settle;
        sim.RunUntil(t3);
        var takeover = sim.Transitions.Skip(transitionsBefore).FirstOrDefault(t => t.To == VirtualRouterState.Master);
        if (takeover == default)
        {
            return $"nobody took over after the master {(s.GracefulFinalStop ? "stopped" : "crashed")} at {t2.TotalSeconds} s";
        }

        if (takeover.Time - t2 > bound + Tick)
        {
            return $"node {takeover.Node} took over {(takeover.Time - t2).TotalSeconds} s after the master {(s.GracefulFinalStop ? "stopped" : "crashed")}; limit {bound.TotalSeconds} s";
        }

        masters = sim.Masters.ToList();
        if (masters.Count != 1)
        {
            return $"{masters.Count} masters after the failover, at {t3.TotalSeconds} s";
        }

        if (s.Routers.All(r => r.Preempt) && sim.EffectivePriority(masters[0]) != backups.Max(sim.EffectivePriority))
        {
            return $"after the failover, master node {masters[0]} is not the highest priority";
        }

        return null;
    }

    /// <summary>The longest stretch within [from, to] during which two or more routers held the VIP.</summary>
    public static TimeSpan LongestDualHolding(VrrpElectionSimulation sim, TimeSpan from, TimeSpan to)
    {
        var bound = new HashSet<int>();
        TimeSpan? since = null;
        var longest = TimeSpan.Zero;
        foreach (var b in sim.Bindings.Where(b => b.Time <= to))
        {
            if (b.Bound)
            {
                bound.Add(b.Node);
            }
            else
            {
                bound.Remove(b.Node);
            }

            if (bound.Count >= 2)
            {
                since ??= b.Time;
            }
            else if (since is { } start)
            {
                var span = b.Time - (start < from ? from : start);
                if (b.Time > from && span > longest)
                {
                    longest = span;
                }

                since = null;
            }
        }

        if (since is { } open)
        {
            var span = to - (open < from ? from : open);
            longest = span > longest ? span : longest;
        }

        return longest;
    }
}
