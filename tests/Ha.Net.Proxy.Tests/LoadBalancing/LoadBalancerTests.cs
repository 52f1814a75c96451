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
        var picks = string.Concat(Enumerable.Range(0, 14).Select(_ => rr.Pick(servers, 0).Name[1..]));
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
                    counts[servers.IndexOf(rr.Pick(servers, 0))]++;
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
            var s = lc.Pick(servers, 0);
            s.Active++;
            first.Add(s.Name);
        }

        // Equal loads: each server in turn.
        Assert.Equal(["s0", "s1", "s2"], first);

        // s1 frees a slot: it is now the least loaded.
        servers[1].Active--;
        Assert.Equal("s1", lc.Pick(servers, 0).Name);
    }

    [Fact]
    public void LeastConnections_CountsQueuedConnections()
    {
        var servers = Servers(1, 1);
        servers[0].Active = 1;
        servers[1].Active = 1;
        servers[1].Queue.AddLast(new QueueWaiter());
        Assert.Equal("s0", new LeastConnections().Pick(servers, 0).Name);
    }

    [Fact]
    public void LeastConnections_WeighsLoad()
    {
        var servers = Servers(3, 1);
        servers[0].Active = 2; // 2/3 per weight
        servers[1].Active = 1; // 1/1
        Assert.Equal("s0", new LeastConnections().Pick(servers, 0).Name);
    }

    [Fact]
    public void First_PicksLowestIdCandidate()
    {
        var servers = Servers(1, 1, 1);
        Assert.Equal("s0", new FirstAvailable().Pick(servers, 0).Name);
        Assert.Equal("s1", new FirstAvailable().Pick(servers.Skip(1).ToList(), 0).Name);
    }

    [Fact]
    public void RandomTwoChoices_SeededRandom_PrefersLessLoadedServer()
    {
        var servers = Servers(1, 1);
        servers[0].Active = 10;
        var random = new RandomChoices(new Random(42), draws: 2);
        int toIdle = Enumerable.Range(0, 1000).Count(_ => random.Pick(servers, 0) == servers[1]);

        // Only when both draws hit the loaded server (p = 1/4) does it win.
        Assert.InRange(toIdle, 700, 800);
    }

    [Fact]
    public void RandomOneDraw_SeededRandom_FollowsWeights()
    {
        var servers = Servers(3, 1);
        var random = new RandomChoices(new Random(7), draws: 1);
        int heavy = Enumerable.Range(0, 4000).Count(_ => random.Pick(servers, 0) == servers[0]);
        Assert.InRange(heavy, 2850, 3150);
    }

    [Fact]
    public void SourceHash_IsHaproxysMapBasedHash_WordsXoredModuloTheTotalWeight()
    {
        Assert.Equal(0x7F000002u, SourceHash.Of(IPAddress.Parse("127.0.0.2")));
        Assert.Equal(0x7F000002u, SourceHash.Of(IPAddress.Parse("::ffff:127.0.0.2"))); // v4-mapped counts as IPv4
        Assert.Equal(0x20010db8u ^ 0x1u, SourceHash.Of(IPAddress.Parse("2001:db8::1")));
        Assert.Equal(0u, SourceHash.Of(null));

        var servers = Servers(1, 2); // ticket = hash % 3: 0 -> s0, 1 and 2 -> s1
        var source = new SourceHash();
        Assert.Equal(["s0", "s1", "s1", "s0"], new uint[] { 0, 1, 2, 3 }.Select(h => source.Pick(servers, h).Name));
    }

    [Fact]
    public void SourceHash_SameClientSameServer_AndClientsSpreadByWeight()
    {
        Prop.ForAll(Gen.Choose(1, 5).ArrayOf(3).ToArbitrary(), weights =>
        {
            var servers = Servers(weights);
            var source = new SourceHash();
            var counts = new int[servers.Count];
            int total = weights.Sum();
            for (uint client = 0; client < total * 100; client++)
            {
                var first = source.Pick(servers, client);
                if (source.Pick(servers, client) != first)
                {
                    return false;
                }

                counts[servers.IndexOf(first)]++;
            }

            return counts.Select((c, i) => c == weights[i] * 100).All(ok => ok);
        }).QuickCheckThrowOnFailure();
    }

    private static uint[] Clients(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (uint)random.NextInt64(0, 1L << 32))];
    }

    [Fact]
    public void ConsistentSource_SpreadsClientsByWeight()
    {
        var servers = Servers(1, 2, 3, 4);
        var chash = new ConsistentSourceHash();
        var counts = new int[servers.Count];
        var clients = Clients(100_000, seed: 7);
        foreach (uint client in clients)
        {
            counts[servers.IndexOf(chash.Pick(servers, client))]++;
        }

        // Shares of 10%, 20%, 30% and 40%, each within 1.5 points (the binomial spread at this size is ~0.15).
        for (int i = 0; i < counts.Length; i++)
        {
            Assert.InRange(counts[i] / (double)clients.Length, (i + 1) / 10.0 - 0.015, (i + 1) / 10.0 + 0.015);
        }
    }

    [Fact]
    public void ConsistentSource_AServerLeaving_MovesOnlyItsClients_AndTheyComeBack()
    {
        Prop.ForAll(
            Gen.Choose(1, 8).ArrayOf().Where(a => a.Length is >= 2 and <= 8).ToArbitrary(),
            Gen.Choose(0, 7).ToArbitrary(),
            Gen.Choose(0, 1000).ToArbitrary(),
            (weights, leaving, seed) =>
            {
                var servers = Servers(weights);
                var gone = servers[leaving % servers.Count];
                var rest = servers.Where(s => s != gone).ToList();
                var chash = new ConsistentSourceHash();
                foreach (uint client in Clients(500, seed))
                {
                    var before = chash.Pick(servers, client);
                    var during = chash.Pick(rest, client);
                    var after = chash.Pick(servers, client);
                    bool stayed = before == gone ? during != gone : during == before;
                    if (!stayed || after != before)
                    {
                        return false;
                    }
                }

                return true;
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void ConsistentSource_MapBasedForContrast_MovesMostClientsWhenOneOfFiveLeaves()
    {
        var servers = Servers(1, 1, 1, 1, 1);
        var rest = servers.Skip(1).ToList();
        var clients = Clients(10_000, seed: 3);
        double Moved(ILoadBalancer balancer) =>
            clients.Count(c => balancer.Pick(servers, c) is var before && before != servers[0] && balancer.Pick(rest, c) != before) / (double)clients.Length;

        // Consistent: none of the other servers' clients move. Map-based: hash % 5 becomes hash % 4.
        Assert.Equal(0, Moved(new ConsistentSourceHash()));
        Assert.True(Moved(new SourceHash()) > 0.5);
    }

    [Fact]
    public void ConsistentSource_AWeightChange_MovesClientsOnlyToOrFromThatServer()
    {
        var servers = Servers(2, 2, 2);
        var chash = new ConsistentSourceHash();
        var clients = Clients(20_000, seed: 11);
        var before = clients.Select(c => chash.Pick(servers, c)).ToArray();

        servers[1].Weight = 4; // s1 doubles: it takes clients, nobody else trades
        var heavier = clients.Select(c => chash.Pick(servers, c)).ToArray();
        Assert.All(Enumerable.Range(0, clients.Length).Where(i => heavier[i] != before[i]), i => Assert.Equal("s1", heavier[i].Name));
        Assert.InRange(heavier.Count(s => s.Name == "s1") / (double)clients.Length, 0.48, 0.52); // 4 of 8

        servers[1].Weight = 1; // s1 drops below its start: it gives clients away, nobody else trades
        var lighter = clients.Select(c => chash.Pick(servers, c)).ToArray();
        Assert.All(Enumerable.Range(0, clients.Length).Where(i => lighter[i] != before[i]), i => Assert.Equal("s1", before[i].Name));
    }

    [Fact]
    public void ConsistentSource_DependsOnNamesNotOrderOrIds()
    {
        var servers = Servers(1, 2, 3);
        var reversed = Enumerable.Reverse(servers).ToList();
        var chash = new ConsistentSourceHash();
        Assert.All(Clients(2_000, seed: 5), c => Assert.Equal(chash.Pick(servers, c).Name, chash.Pick(reversed, c).Name));

        // The name's hash is a fixed function (FNV-1a, then splitmix64's finalizer), not the per-process
        // randomized string hash, so placements survive restarts.
        Assert.Equal(0x4C594168BE82E9FEUL, ConsistentSourceHash.NameHash("s1"));
        Assert.NotEqual(ConsistentSourceHash.NameHash("s1"), ConsistentSourceHash.NameHash("s2"));
    }
}
