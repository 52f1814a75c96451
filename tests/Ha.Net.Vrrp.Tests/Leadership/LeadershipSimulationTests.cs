using System.Collections.Concurrent;
using System.Net;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Testing;
using Ha.Net.Vrrp.Wire;
using Xunit.Abstractions;

namespace Ha.Net.Vrrp.Tests.Leadership;

/// <summary>
/// Leadership tokens across generated partitions, crashes, restarts, graceful stops and heals, on the in-memory
/// network with real routers (VRRPv3, 200 ms adverts, three nodes, no loss). Each seed is one scenario, replayed
/// exactly. Properties: two valid tokens overlap only while the segment is partitioned and for at most one
/// advertisement interval (to within one clock step) after it heals; a master's token is cancelled before its VIP is
/// removed, on every graceful stop and every handover; after the last heal exactly one node holds a token.
/// </summary>
public sealed class LeadershipSimulationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(20);
    private static readonly VirtualAddress Vip = new(IPAddress.Parse("198.18.0.100"), 32, "lan0");
    private static readonly int[] Priorities = [200, 150, 100];

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 8)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task TokensOverlapOnlyWhilePartitionedAndForOneIntervalAfterTheHeal(int seed)
    {
        var random = new Random(seed);
        await using var lan = new InMemoryVrrpNetwork(seed: seed);
        var nodes = Enumerable.Range(0, Priorities.Length)
            .Select(i => new Tracked(lan.AddNode(IPAddress.Parse($"198.18.0.{i + 1}"), Options(Priorities[i]))))
            .ToArray();
        foreach (var n in nodes)
        {
            await n.Node.StartAsync();
        }

        var now = TimeSpan.Zero;
        TimeSpan? healedAt = TimeSpan.Zero;
        var longestOverlapAfterHeal = TimeSpan.Zero;
        var script = new List<string>();
        var nextEvent = TimeSpan.FromMilliseconds(random.Next(500, 2000));
        const int Events = 12;
        for (var e = 0; e <= Events; now += Step)
        {
            if (now >= nextEvent)
            {
                if (e == Events)
                {
                    break;
                }

                script.Add($"{now.TotalSeconds:0.00}s {await PerturbAsync(lan, nodes, random)}");
                if (lan.IsPartitioned)
                {
                    healedAt = null;
                }
                else
                {
                    healedAt ??= now;
                }

                e++;
                nextEvent = now + TimeSpan.FromMilliseconds(random.Next(300, 2500));
            }

            await lan.AdvanceAsync(Step, Step);
            var holders = nodes.Where(n => n.Sample()).ToList();
            if (holders.Count > 1 && !lan.IsPartitioned)
            {
                var overlap = now + Step - healedAt!.Value;
                longestOverlapAfterHeal = overlap > longestOverlapAfterHeal ? overlap : longestOverlapAfterHeal;
                Assert.True(
                    overlap <= Interval + Step,
                    $"seed {seed}: {string.Join(", ", holders.Select(h => h.Node.Address))} hold valid tokens {overlap.TotalMilliseconds} ms after the heal at {healedAt.Value.TotalSeconds:0.00}s.\n{string.Join("\n", script)}");
            }
        }

        // The end: heal, bring everyone back, and the segment converges on exactly one token holder, the best node.
        lan.Heal();
        foreach (var n in nodes.Where(n => !n.Node.IsRunning))
        {
            await n.Node.RestartAsync();
        }

        await lan.AdvanceAsync(TimeSpan.FromSeconds(3), Step);
        var final = nodes.Where(n => n.Sample()).ToList();
        Assert.Equal([nodes[0].Node.Address], final.Select(n => n.Node.Address));

        foreach (var n in nodes)
        {
            n.AssertCancelledBeforeRemoved(seed, script);
        }

        output.WriteLine($"seed {seed}: longest overlap after a heal {longestOverlapAfterHeal.TotalMilliseconds} ms; {nodes.Sum(n => n.Terms)} terms\n{string.Join("\n", script)}");
    }

    private static async Task<string> PerturbAsync(InMemoryVrrpNetwork lan, Tracked[] nodes, Random random)
    {
        var running = nodes.Where(n => n.Node.IsRunning).ToList();
        var down = nodes.Where(n => !n.Node.IsRunning).ToList();
        switch (random.Next(6))
        {
            case 0 or 1 when !lan.IsPartitioned:
                var side = nodes.Where(_ => random.Next(2) == 0).Select(n => n.Node).ToList();
                lan.Partition(side, [.. nodes.Select(n => n.Node).Except(side)]);
                return "partition " + string.Join(",", side.Select(n => n.Address)) + " | rest";
            case 0 or 1:
                lan.Heal();
                return "heal";
            case 2 when running.Count > 0:
                var crash = running[random.Next(running.Count)];
                crash.Crashing();
                await crash.Node.CrashAsync();
                return "crash " + crash.Node.Address;
            case 3 when running.Count > 0:
                var stop = running[random.Next(running.Count)];
                await stop.Node.StopAsync();
                return "stop " + stop.Node.Address;
            case 4 or 5 when down.Count > 0:
                var back = down[random.Next(down.Count)];
                await back.Node.RestartAsync();
                return "restart " + back.Node.Address;
            default:
                if (lan.IsPartitioned)
                {
                    lan.Heal();
                    return "heal";
                }

                return "nothing";
        }
    }

    private static VirtualRouterOptions Options(int priority) => new()
    {
        InstanceName = "VI_1",
        InterfaceName = "lan0",
        VirtualRouterId = 51,
        Priority = priority,
        Version = VrrpVersion.V3,
        AdvertisementInterval = Interval,
        VirtualAddresses = [Vip],
    };

    /// <summary>A node, the tokens it handed out, and one ordered log of its VIP changes and token cancellations.</summary>
    private sealed class Tracked
    {
        private readonly ConcurrentQueue<string> _log = new();
        private readonly List<CancellationToken> _tokens = [];

        public Tracked(InMemoryVrrpNode node)
        {
            Node = node;
            node.Binder.Changed += (address, bound) => _log.Enqueue(bound ? "add" : "remove");
        }

        public InMemoryVrrpNode Node { get; }

        public int Terms => _tokens.Count;

        /// <summary>A crash takes the VIP and the token's holder (the process) at once: no order to check.</summary>
        public void Crashing() => _log.Enqueue("crash");

        /// <summary>Takes the current token if this node is master; whether any token it handed out is still valid.</summary>
        public bool Sample()
        {
            if (Node.Router.TryGetLeadership(out var token) && !_tokens.Contains(token))
            {
                _tokens.Add(token);
                token.Register(() => _log.Enqueue("cancel"));
            }

            return _tokens.Exists(t => !t.IsCancellationRequested);
        }

        /// <summary>Every removal of the VIP from a live node that held a token comes after that token's cancellation.</summary>
        public void AssertCancelledBeforeRemoved(int seed, List<string> script)
        {
            var log = _log.ToArray();
            var holding = false;
            foreach (var entry in log)
            {
                switch (entry)
                {
                    case "add":
                        holding = true;
                        break;
                    case "cancel" or "crash":
                        holding = false;
                        break;
                    case "remove":
                        Assert.False(holding, $"seed {seed}: {Node.Address} removed its VIP while its token was valid: {string.Join(" ", log)}\n{string.Join("\n", script)}");
                        break;
                }
            }
        }
    }
}
