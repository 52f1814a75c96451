using System.Diagnostics;
using System.Globalization;
using Ha.Net.Testing.Environment;
using Xunit.Abstractions;

namespace Ha.Net.Vrrp.RouteInjection.Tests.TestBed;

/// <summary>
/// Route health injection end to end: real FRR bgpd/bfdd on a router and on each proxy node, the real
/// hanet-proxyd with --route-injection, ECMP in the router's kernel, a client. One bed per run, the steps in order
/// (spread, a failing backend, a drain, a node's death); each step asserts and the figures are printed as
/// <c>layout=bgp nodes=N metric=… value=…</c> (to HANET_SCALING_OUT as well when set: benchmarks/scaling/bgp.sh).
/// </summary>
public class BgpAnycastTests(ITestOutputHelper output)
{
    /// <summary>Node counts: 3 by default; benchmarks/scaling/bgp.sh asks for "2 3" through HANET_SCALING_NODES.</summary>
    public static TheoryData<int> NodeCounts()
    {
        var data = new TheoryData<int>();
        foreach (var n in (Environment.GetEnvironmentVariable("HANET_SCALING_NODES") ?? "3").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            data.Add(int.Parse(n, CultureInfo.InvariantCulture));
        }

        return data;
    }

    [RequiresTheory("root", "netns", "cmd:vtysh", "cmd:nft")]
    [MemberData(nameof(NodeCounts))]
    public async Task Anycast_SpreadsFlows_WithdrawsAFailedBackend_DrainsLosslessly_AndSurvivesNodeDeathWithinBfd(int nodes)
    {
        Assert.InRange(nodes, 2, 9);
        await using var bed = await BgpTestBed.StartAsync(nodes, output.WriteLine);
        var all = Enumerable.Range(1, nodes).Select(BgpTestBed.NodeAddress).ToHashSet();

        // 1. Flows spread over every node (L4 hash on the router: one client, many source ports).
        var counts = new Dictionary<string, int>();
        const int flows = 90;
        for (var k = 0; k < flows; k++)
        {
            using var c = await bed.ConnectAsync(TimeSpan.FromSeconds(10));
            counts[c.Node] = counts.GetValueOrDefault(c.Node) + 1;
        }

        for (var i = 1; i <= nodes; i++)
        {
            var share = counts.GetValueOrDefault("node" + i) * 100.0 / flows;
            Figure(nodes, $"share_node{i}_pct", share.ToString("F1", CultureInfo.InvariantCulture));
            Assert.True(counts.GetValueOrDefault("node" + i) > 0, $"node{i} received no flow of {flows}: {string.Join(", ", counts)}");
        }

        // 2. A failing backend set on the last node withdraws that node only; its return brings it back.
        var last = nodes;
        await bed.Backend(last).StopAsync();
        await bed.WaitForNextHopsAsync(all.Where(a => a != BgpTestBed.NodeAddress(last)).ToHashSet(), TimeSpan.FromSeconds(20), $"backend of node{last} failed");
        Assert.Contains("withdrawn", bed.Proxy(last).Output, StringComparison.Ordinal);
        await bed.Backend(last).StartAsync();
        await bed.WaitForNextHopsAsync(all, TimeSpan.FromSeconds(20), $"backend of node{last} back");

        // 3. Drain node 1 with established connections on every node: no new flow reaches it, none breaks.
        var (established, broken) = await DrainAsync(bed, all);
        Figure(nodes, "drain_established", established.ToString(CultureInfo.InvariantCulture));
        Figure(nodes, "drain_broken_connections", broken.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(0, broken);

        File.Delete(bed.DrainFile(1));
        await bed.WaitForNextHopsAsync(all, TimeSpan.FromSeconds(20), "node1 back from drain");

        // 4. Node 1 dies silently (kill -9, no packet leaves): new connections fail only until BFD tells the router.
        var outage = await MeasureOutageAsync(bed, () => bed.KillNode(1));
        Figure(nodes, "death_outage_ms", outage.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture));
        Assert.True(outage < TimeSpan.FromSeconds(1), $"new connections failed for {outage.TotalMilliseconds:F0} ms after node1 died (BFD 100 ms x 3 = {BgpTestBed.BfdDetection.TotalMilliseconds} ms)\n{bed.Diagnostics()}");
        await bed.WaitForNextHopsAsync(all.Where(a => a != BgpTestBed.NodeAddress(1)).ToHashSet(), TimeSpan.FromSeconds(5), "node1 dead");
    }

    /// <summary>
    /// The same drain on a router without the conntrack stickiness: the withdrawal re-hashes established flows, so
    /// the drained node's connections (and some of the survivors') land on nodes that reset them. This is why the
    /// README asks for the stickiness; the figure goes next to the sticky one.
    /// </summary>
    [RequiresTheory("root", "netns", "cmd:vtysh", "cmd:nft")]
    [MemberData(nameof(NodeCounts))]
    public async Task Drain_WithoutRouterStickiness_BreaksTheDrainedNodesConnections(int nodes)
    {
        await using var bed = await BgpTestBed.StartAsync(nodes, output.WriteLine, sticky: false);
        var all = Enumerable.Range(1, nodes).Select(BgpTestBed.NodeAddress).ToHashSet();
        var (established, broken) = await DrainAsync(bed, all);
        Figure(nodes, "drain_broken_connections_without_stickiness", broken.ToString(CultureInfo.InvariantCulture));
        Assert.True(broken > 0, $"all {established} connections survived a drain without router stickiness: the test bed no longer shows why it is needed");
    }

    /// <summary>Opens 30 connections per node, drains node 1 (drain file), checks no new flow reaches it, then echoes on
    /// every established connection. Returns how many were established and how many did not survive.</summary>
    private static async Task<(int Established, int Broken)> DrainAsync(BgpTestBed bed, HashSet<string> all)
    {
        var established = new List<ServiceConnection>();
        try
        {
            for (var k = 0; k < 30 * bed.Nodes; k++)
            {
                established.Add(await bed.ConnectAsync(TimeSpan.FromSeconds(10)));
            }

            Assert.True(established.Any(c => c.Node == "node1"), "no established connection landed on node1 before the drain");
            await File.WriteAllTextAsync(bed.DrainFile(1), "");
            await bed.WaitForNextHopsAsync(all.Where(a => a != BgpTestBed.NodeAddress(1)).ToHashSet(), TimeSpan.FromSeconds(20), "node1 drained");
            for (var k = 0; k < 60; k++)
            {
                using var c = await bed.ConnectAsync(TimeSpan.FromSeconds(10));
                Assert.NotEqual("node1", c.Node);
            }

            var broken = 0;
            foreach (var c in established)
            {
                broken += await c.EchoAsync("still here", TimeSpan.FromSeconds(5)) ? 0 : 1;
            }

            return (established.Count, broken);
        }
        finally
        {
            foreach (var c in established)
            {
                c.Dispose();
            }
        }
    }

    /// <summary>
    /// Opens a connection every 10 ms from the client (each with a 250 ms connect+greeting bound) for 3 s around
    /// <paramref name="kill"/>; the outage is from the kill to the start of the last attempt that failed
    /// (zero when none failed). Bounded: 300 attempts.
    /// </summary>
    private static async Task<TimeSpan> MeasureOutageAsync(BgpTestBed bed, Action kill)
    {
        var clock = Stopwatch.StartNew();
        var attempts = new List<Task<(TimeSpan Start, bool Ok)>>();
        TimeSpan killedAt = TimeSpan.Zero;
        for (var k = 0; k < 300; k++)
        {
            if (k == 50)
            {
                killedAt = clock.Elapsed;
                kill();
            }

            var start = clock.Elapsed;
            attempts.Add(Attempt(start));
            await Task.Delay(10);
        }

        var results = await Task.WhenAll(attempts);
        var failedAfterKill = results.Where(r => !r.Ok && r.Start >= killedAt - TimeSpan.FromMilliseconds(300)).ToList();
        var failedBefore = results.Count(r => !r.Ok && r.Start < killedAt - TimeSpan.FromMilliseconds(300));
        Assert.True(failedBefore == 0, $"{failedBefore} connection(s) failed before the node died");
        return failedAfterKill.Count == 0 ? TimeSpan.Zero : failedAfterKill.Max(r => r.Start) - killedAt;

        async Task<(TimeSpan, bool)> Attempt(TimeSpan start)
        {
            try
            {
                using var c = await bed.ConnectAsync(TimeSpan.FromMilliseconds(250));
                return (start, true);
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or OperationCanceledException or IOException)
            {
                return (start, false);
            }
        }
    }

    private void Figure(int nodes, string metric, string value)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"layout=bgp nodes={nodes} metric={metric} value={value}");
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("HANET_SCALING_OUT") is { Length: > 0 } file)
        {
            File.AppendAllText(file, line + "\n");
        }
    }
}
