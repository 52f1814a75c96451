using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Ha.Net.Proxy.Backends;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.LoadBalancing;

namespace Ha.Net.Proxy.Tests.LoadBalancing;

public class LoadBalancerTests
{
    private static List<ServerState> Servers(params int[] weights)
    {
        var backend = new Backend(new BackendOptions { Name = "be" }, new Random(1), 0);
        return [.. weights.Select((w, i) => new ServerState(backend,
            new ServerOptions { Name = "s" + i, Address = new IPEndPoint(IPAddress.Loopback, 1000 + i), Weight = w }, i + 1, 0))];
    }

    [Fact]
    public void RoundRobin_Weights511_InterleavesSmoothly()
    {
        var servers = Servers(5, 1, 1);
        var rr = new SmoothWeightedRoundRobin();
        var picks = string.Concat(Enumerable.Range(0, 14).Select(_ => rr.Pick(servers).Name[1..]));
        Assert.Equal("00102000010200", picks);
    }

    [Fact]
    public void RoundRobin_AnyWeights_EachServerGetsExactlyItsShareEveryCycle()
    {
        Prop.ForAll(
            Gen.Choose(1, 20).ArrayOf().Where(a => a.Length is > 0 and <= 8).ToArbitrary(),
            weights =>
            {
                var servers = Servers(weights);
                var rr = new SmoothWeightedRoundRobin();
                int cycle = weights.Sum();
                var counts = new int[weights.Length];
                for (int i = 0; i < cycle * 3; i++)
                {
                    counts[servers.IndexOf(rr.Pick(servers))]++;
                }

                return counts.Select((c, i) => c == weights[i] * 3).All(x => x);
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void LeastConnections_PicksFewestPerWeight_RoundRobinAmongEquals()
    {
        var servers = Servers(1, 1, 1);
        var lc = new LeastConnections();
        var first = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            var s = lc.Pick(servers);
            s.Active++;
            first.Add(s.Name);
        }

        // Equal loads: each server in turn.
        Assert.Equal(["s0", "s1", "s2"], first);

        // s1 frees a slot: it is now the least loaded.
        servers[1].Active--;
        Assert.Equal("s1", lc.Pick(servers).Name);
    }

    [Fact]
    public void LeastConnections_CountsQueuedConnections()
    {
        var servers = Servers(1, 1);
        servers[0].Active = 1;
        servers[1].Active = 1;
        servers[1].Queue.AddLast(new QueueWaiter());
        Assert.Equal("s0", new LeastConnections().Pick(servers).Name);
    }

    [Fact]
    public void LeastConnections_WeighsLoad()
    {
        var servers = Servers(3, 1);
        servers[0].Active = 2; // 2/3 per weight
        servers[1].Active = 1; // 1/1
        Assert.Equal("s0", new LeastConnections().Pick(servers).Name);
    }

    [Fact]
    public void First_PicksLowestIdCandidate()
    {
        var servers = Servers(1, 1, 1);
        Assert.Equal("s0", new FirstAvailable().Pick(servers).Name);
        Assert.Equal("s1", new FirstAvailable().Pick(servers.Skip(1).ToList()).Name);
    }

    [Fact]
    public void RandomTwoChoices_SeededRandom_PrefersLessLoadedServer()
    {
        var servers = Servers(1, 1);
        servers[0].Active = 10;
        var random = new RandomChoices(new Random(42), draws: 2);
        int toIdle = Enumerable.Range(0, 1000).Count(_ => random.Pick(servers) == servers[1]);

        // Only when both draws hit the loaded server (p = 1/4) does it win.
        Assert.InRange(toIdle, 700, 800);
    }

    [Fact]
    public void RandomOneDraw_SeededRandom_FollowsWeights()
    {
        var servers = Servers(3, 1);
        var random = new RandomChoices(new Random(7), draws: 1);
        int heavy = Enumerable.Range(0, 4000).Count(_ => random.Pick(servers) == servers[0]);
        Assert.InRange(heavy, 2850, 3150);
    }
}
