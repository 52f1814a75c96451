using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Ha.Net.Vrrp.Testing;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Layouts;

namespace Ha.Net.Vrrp.Tests.Layouts;

/// <summary>
/// The active/active planner's properties over generated layouts (2–8 nodes, 1–40 addresses), and its failure and
/// return behaviour in the discrete-event VRRP simulation (one simulated segment per instance, every node running
/// the instances the plan gives it).
/// </summary>
public class ActiveActiveLayoutTests
{
    private static ActiveActiveLayout Layout(int nodes, int addresses, int firstVrid = 51, bool preempt = true, TimeSpan preemptDelay = default) => new()
    {
        Nodes = Enumerable.Range(0, nodes).Select(n => new ActiveActiveNode($"node{(char)('A' + n)}") { Address = IPAddress.Parse($"198.18.0.{11 + n}") }).ToList(),
        VirtualAddresses = Enumerable.Range(0, addresses).Select(i => IPAddress.Parse($"198.18.1.{1 + i}")).ToList(),
        InterfaceName = "eth0",
        FirstVirtualRouterId = firstVrid,
        OwnerPriority = 150,
        PriorityStep = 10,
        Preempt = preempt,
        PreemptDelay = preemptDelay,
    };

    private static readonly Gen<(int Nodes, int Addresses, int FirstVrid)> Shapes =
        from n in Gen.Choose(2, 8)
        from m in Gen.Choose(1, 40)
        from first in Gen.Choose(1, 255 - m + 1)
        select (n, m, first);

    private static void ForAllShapes(Action<ActiveActivePlan, int, int, int> check) =>
        Prop.ForAll(Shapes.ToArbitrary(), s => check(Layout(s.Nodes, s.Addresses, s.FirstVrid).Plan(), s.Nodes, s.Addresses, s.FirstVrid))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(300));

    [Fact]
    public void Plan_EveryAddressHasItsOwnVrid_FromTheConfiguredBase()
    {
        ForAllShapes((plan, n, m, first) =>
        {
            Assert.Equal(Enumerable.Range(first, m), plan.Instances.Select(i => i.VirtualRouterId));
            foreach (var node in plan.Nodes)
            {
                var routers = plan.RoutersFor(node);
                Assert.Equal(m, routers.Count);
                Assert.Equal(m, routers.Select(r => r.VirtualRouterId).Distinct().Count());
                Assert.Equal(m, routers.Select(r => r.InstanceName).Distinct().Count());
                Assert.All(routers, r => Assert.DoesNotContain(r.Validate(), x => !x.IsWarning));
            }
        });
    }

    [Fact]
    public void Plan_OwnersAreSpreadEvenly()
    {
        ForAllShapes((plan, n, m, _) =>
        {
            var owned = plan.Nodes.Select(node => plan.OwnedBy(node).Count).ToArray();
            Assert.Equal(m, owned.Sum());
            Assert.True(owned.Max() - owned.Min() <= 1, $"owned per node: {string.Join(",", owned)}");
        });
    }

    [Fact]
    public void Plan_EveryAddressRanksAllNodes_WithStrictlyFallingPriorities_TheSameOnEveryNode()
    {
        ForAllShapes((plan, n, _, _) =>
        {
            foreach (var (instance, index) in plan.Instances.Select((x, i) => (x, i)))
            {
                Assert.Equal(plan.Nodes.OrderBy(x => x, StringComparer.Ordinal), instance.Ranking.OrderBy(x => x, StringComparer.Ordinal));
                Assert.Equal(instance.Ranking[0], instance.Owner);
                Assert.Equal(instance.Ranking.Skip(1), instance.Heirs);
                var priorities = instance.Ranking.Select(instance.PriorityOf).ToArray();
                Assert.Equal(150, priorities[0]);
                Assert.All(priorities.Zip(priorities.Skip(1)), p => Assert.True(p.First > p.Second));

                // Each node's own router for this address carries the priority of its rank.
                foreach (var node in plan.Nodes)
                {
                    Assert.Equal(instance.PriorityOf(node), plan.RoutersFor(node)[index].Priority);
                }
            }
        });
    }

    [Fact]
    public void Plan_IsDeterministic_FromTheSameInput()
    {
        ForAllShapes((plan, n, m, first) =>
        {
            var again = Layout(n, m, first).Plan();
            Assert.Equal(plan.Instances.Select(i => i.ToString()), again.Instances.Select(i => i.ToString()));
            foreach (var node in plan.Nodes)
            {
                Assert.Equal(
                    plan.RoutersFor(node).Select(r => (r.InstanceName, r.VirtualRouterId, r.Priority, r.VirtualAddresses[0].ToString())),
                    again.RoutersFor(node).Select(r => (r.InstanceName, r.VirtualRouterId, r.Priority, r.VirtualAddresses[0].ToString())));
            }
        });
    }

    [Fact]
    public void Plan_FirstHeirsAreBalanced_AcrossAllAddresses()
    {
        ForAllShapes((plan, n, m, _) =>
        {
            var firstHeir = plan.Nodes.Select(node => plan.Instances.Count(i => i.Heirs[0] == node)).ToArray();
            Assert.True(firstHeir.Max() - firstHeir.Min() <= 1 + ((m % n == 0) ? 0 : 1), $"first-heir counts {string.Join(",", firstHeir)}");
        });
    }

    [Fact]
    public void NodeFailure_MovesOnlyItsAddresses_EachToItsNextHeir_SpreadOverTheSurvivors()
    {
        ForAllShapes((plan, n, m, _) =>
        {
            var all = plan.Nodes.ToHashSet();
            foreach (var failed in plan.Nodes)
            {
                var survivors = all.Where(x => x != failed).ToHashSet();
                var moved = new Dictionary<string, int>();
                foreach (var i in plan.Instances)
                {
                    var holder = i.HolderAmong(survivors)!;
                    if (i.Owner != failed)
                    {
                        Assert.Equal(i.Owner, holder);
                        continue;
                    }

                    Assert.Equal(i.Heirs[0], holder);
                    moved[holder] = moved.GetValueOrDefault(holder) + 1;
                }

                var counts = survivors.Select(s => moved.GetValueOrDefault(s)).ToArray();
                Assert.Equal(plan.OwnedBy(failed).Count, counts.Sum());
                Assert.True(counts.Max() - counts.Min() <= 1, $"{failed} failed: moved per survivor {string.Join(",", counts)}");
            }
        });
    }

    [Fact]
    public void TwoNeighboursFail_WithOneAddressEach_TheirAddressesGoToTwoDifferentSurvivors()
    {
        foreach (var n in new[] { 4, 5, 6, 8 })
        {
            var plan = Layout(n, n).Plan();
            for (var f = 0; f < n; f++)
            {
                var a = plan.Nodes[f];
                var b = plan.Nodes[(f + 1) % n];
                var survivors = plan.Nodes.Where(x => x != a && x != b).ToHashSet();
                var holders = plan.OwnedBy(a).Concat(plan.OwnedBy(b)).Select(i => i.HolderAmong(survivors)).ToArray();
                Assert.Equal(2, holders.Distinct().Count());
            }
        }
    }

    [Fact]
    public void Validate_CollectsEveryError_NamingTheProperty()
    {
        var layout = new ActiveActiveLayout
        {
            Nodes = [new ActiveActiveNode("a"), new ActiveActiveNode("a"), new ActiveActiveNode("bad name")],
            VirtualAddresses = [IPAddress.Parse("198.18.1.1"), IPAddress.Parse("198.18.1.1"), IPAddress.Parse("2001:db8::1")],
            FirstVirtualRouterId = 254,
            OwnerPriority = 255,
            PriorityStep = 200,
            Unicast = true,
        };
        var errors = layout.Validate();
        Assert.Contains(errors, e => e.StartsWith("Nodes[1]: name 'a' is used twice", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Nodes[2]: name 'bad name'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Nodes[0] 'a': no interface", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Nodes[0] 'a': Unicast needs the node's Address", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("VirtualAddresses[1]: 198.18.1.1 is listed twice", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("VirtualAddresses[2]: 2001:db8::1 is IPv6, which needs Version 3", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("FirstVirtualRouterId: 254 with 3 address(es)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("OwnerPriority: 255", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("PriorityStep: 200", StringComparison.Ordinal));
        var ex = Assert.Throws<ArgumentException>(layout.Plan);
        Assert.All(errors, e => Assert.Contains(e, ex.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Unicast_EachNodeAdvertisesFromItsAddress_ToEveryOtherNode()
    {
        var layout = Layout(3, 3);
        layout.Unicast = true;
        var plan = layout.Plan();
        var r = plan.RoutersFor("nodeB");
        Assert.All(r, x => Assert.Equal(IPAddress.Parse("198.18.0.12"), x.SourceAddress));
        Assert.All(r, x => Assert.Equal(new[] { IPAddress.Parse("198.18.0.11"), IPAddress.Parse("198.18.0.13") }, x.UnicastPeers));
    }

    // ---- failure and return in the simulation ----

    /// <summary>Runs every instance of <paramref name="plan"/> in its own simulated segment, all nodes started at 0.</summary>
    private static VrrpElectionSimulation[] Simulate(ActiveActivePlan plan, int seed)
    {
        var sims = new VrrpElectionSimulation[plan.Instances.Count];
        for (var i = 0; i < sims.Length; i++)
        {
            var sim = new VrrpElectionSimulation(seed + i) { Delay = TimeSpan.FromMilliseconds(1) };
            for (var n = 0; n < plan.Nodes.Count; n++)
            {
                sim.AddNode(IPAddress.Parse($"198.18.0.{11 + n}"), plan.RoutersFor(plan.Nodes[n])[i]);
            }

            for (var n = 0; n < plan.Nodes.Count; n++)
            {
                var node = n;
                sim.At(TimeSpan.FromMilliseconds(node * 7), () => sim.Start(node));
            }

            sims[i] = sim;
        }

        return sims;
    }

    private static void At(VrrpElectionSimulation[] sims, TimeSpan t, Action<VrrpElectionSimulation> action)
    {
        foreach (var s in sims)
        {
            s.At(t, () => action(s));
        }
    }

    private static void RunUntil(VrrpElectionSimulation[] sims, TimeSpan t)
    {
        foreach (var s in sims)
        {
            s.RunUntil(t);
        }
    }

    /// <summary>The one node that is master and holds the address in each instance (fails on none or two).</summary>
    private static string[] Holders(ActiveActivePlan plan, VrrpElectionSimulation[] sims) => sims.Select((s, i) =>
    {
        var masters = s.Masters.ToArray();
        Assert.True(masters.Length == 1, $"{plan.Instances[i].InstanceName}: {masters.Length} masters");
        Assert.True(s.IsBound(masters[0]), $"{plan.Instances[i].InstanceName}: master {plan.Nodes[masters[0]]} does not hold the address");
        Assert.Equal(1, Enumerable.Range(0, s.Count).Count(s.IsBound));
        return plan.Nodes[masters[0]];
    }).ToArray();

    [Theory]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(3, 6)]
    [InlineData(4, 12)]
    [InlineData(5, 7)]
    public void Simulation_Crash_MovesOnlyTheDeadNodesAddresses_ToTheirHeirs_AndPreemptTakesThemBack(int n, int m)
    {
        var plan = Layout(n, m).Plan();
        for (var failed = 0; failed < n; failed++)
        {
            var dead = plan.Nodes[failed];
            var sims = Simulate(plan, 1000 * failed);
            RunUntil(sims, TimeSpan.FromSeconds(10));
            Assert.Equal(plan.Instances.Select(i => i.Owner), Holders(plan, sims));

            var crashAt = TimeSpan.FromSeconds(10.5);
            var f = failed;
            At(sims, crashAt, s => s.Crash(f));
            RunUntil(sims, TimeSpan.FromSeconds(20));
            var survivors = plan.Nodes.Where(x => x != dead).ToHashSet();
            Assert.Equal(plan.Instances.Select(i => i.HolderAmong(survivors)), Holders(plan, sims));

            // Only the dead node's instances changed state after the crash (no other address moved, not even briefly).
            for (var i = 0; i < m; i++)
            {
                var changed = sims[i].Transitions.Where(t => t.Time > crashAt && t.Node != f).ToList();
                if (plan.Instances[i].Owner == dead)
                {
                    var heir = plan.Nodes.ToList().IndexOf(plan.Instances[i].Heirs[0]);
                    Assert.Equal(new[] { (heir, VirtualRouterState.Master) }, changed.Select(t => (t.Node, t.To)));
                }
                else
                {
                    Assert.Empty(changed);
                }
            }

            // It returns: with preempt, every address goes back to its owner.
            At(sims, TimeSpan.FromSeconds(20.5), s => s.Start(f));
            RunUntil(sims, TimeSpan.FromSeconds(40));
            Assert.Equal(plan.Instances.Select(i => i.Owner), Holders(plan, sims));
        }
    }

    [Theory]
    [InlineData(3, 3)]
    [InlineData(3, 6)]
    [InlineData(4, 8)]
    public void Simulation_Nopreempt_TheReturningNodeLeavesItsAddressesWithTheHeirs(int n, int m)
    {
        var plan = Layout(n, m, preempt: false).Plan();
        Assert.All(plan.Nodes.SelectMany(plan.RoutersFor), r => Assert.False(r.Preempt));
        var sims = Simulate(plan, 7);
        RunUntil(sims, TimeSpan.FromSeconds(10));
        Assert.Equal(plan.Instances.Select(i => i.Owner), Holders(plan, sims));

        At(sims, TimeSpan.FromSeconds(10.5), s => s.Crash(0));
        RunUntil(sims, TimeSpan.FromSeconds(20));
        var survivors = plan.Nodes.Skip(1).ToHashSet();
        var afterFailure = plan.Instances.Select(i => i.HolderAmong(survivors)).ToArray();
        Assert.Equal(afterFailure, Holders(plan, sims));

        At(sims, TimeSpan.FromSeconds(20.5), s => s.Start(0));
        RunUntil(sims, TimeSpan.FromSeconds(60));
        Assert.Equal(afterFailure, Holders(plan, sims));
        Assert.All(sims, s => Assert.Equal(VirtualRouterState.Backup, s.State(0)));
    }

    [Fact]
    public void Simulation_PreemptDelay_TheOwnerTakesItsAddressesBackOnlyAfterTheDelay()
    {
        var plan = Layout(3, 3, preemptDelay: TimeSpan.FromSeconds(30)).Plan();
        var sims = Simulate(plan, 11);
        RunUntil(sims, TimeSpan.FromSeconds(10));
        var owners = plan.Instances.Select(i => i.Owner).ToArray();
        Assert.Equal(owners, Holders(plan, sims));

        At(sims, TimeSpan.FromSeconds(10.5), s => s.Crash(0));
        RunUntil(sims, TimeSpan.FromSeconds(20));
        var afterFailure = plan.Instances.Select(i => i.HolderAmong(plan.Nodes.Skip(1).ToHashSet())).ToArray();
        Assert.Equal(afterFailure, Holders(plan, sims));

        At(sims, TimeSpan.FromSeconds(20.5), s => s.Start(0));
        RunUntil(sims, TimeSpan.FromSeconds(40));
        Assert.Equal(afterFailure, Holders(plan, sims));
        RunUntil(sims, TimeSpan.FromSeconds(60));
        Assert.Equal(owners, Holders(plan, sims));
    }
}
