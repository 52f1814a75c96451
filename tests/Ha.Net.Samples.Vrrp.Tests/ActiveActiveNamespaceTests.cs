using System.Diagnostics;
using Ha.Net.Samples.Lab;
using Ha.Net.Testing.Environment;
using static Ha.Net.Testing.Environment.ProcessRunner;

namespace Ha.Net.Samples.Vrrp.Tests;

/// <summary>
/// Active/active over three real nodes: <c>hanet-vrrpd --generate-active-active</c> writes one keepalived.conf per
/// node; nodes A and B run them with hanet-vrrpd, node C with keepalived 2.2.7 (so the generated files are
/// keepalived's own language, and both implementations interoperate in the layout). Each node owns one VIP; a
/// crashed node's VIP goes to its first heir while the others stay where they are; its return takes it back; a
/// SIGTERM hands the node's VIP to its heir at once.
/// </summary>
public sealed class ActiveActiveNamespaceTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static readonly string[] Vips = ["198.18.1.1", "198.18.1.2", "198.18.1.3"];

    [Fact]
    public void Generate_writes_one_file_per_node_that_hanet_vrrpd_accepts_and_the_same_file_with_for()
    {
        var dir = Directory.CreateTempSubdirectory("hanet-aa-").FullName;
        try
        {
            // lo: the interface must exist where -t runs.
            string[] common = ["--generate-active-active", "--node", "nodeA:lo", "--node", "nodeB", "--node", "nodeC",
                "--interface", "lo", "--vip", Vips[0], "--vip", Vips[1], "--vip", Vips[2], "--vrid-base", "60", "--nopreempt"];
            var (code, _, stderr) = VrrpDaemon.Run([.. common, "--output-dir", dir]);
            Assert.True(code == 0, stderr);
            Assert.Contains("VI_1 vrid 60 198.18.1.1/32: nodeA(150) > nodeB(140) > nodeC(130)", stderr, StringComparison.Ordinal);
            Assert.Contains("VI_3 vrid 62 198.18.1.3/32: nodeC(150) > nodeA(140) > nodeB(130)", stderr, StringComparison.Ordinal);
            foreach (var node in new[] { "nodeA", "nodeB", "nodeC" })
            {
                var path = Path.Combine(dir, node + ".conf");
                var text = File.ReadAllText(path);
                Assert.Contains("    nopreempt\n", text, StringComparison.Ordinal);
                Assert.Contains($"router_id {node}", text, StringComparison.Ordinal);
                var check = VrrpDaemon.Run("-t", "-f", path);
                Assert.True(check.Code == 0, check.Stdout + check.Stderr);
                Assert.Contains("(3 vrrp_instance(s), 0 warning(s))", check.Stdout, StringComparison.Ordinal);

                // The same command on the node itself gives the same file.
                var one = VrrpDaemon.Run([.. common, "--for", node]);
                Assert.Equal(text, one.Stdout.Replace($"--for {node}", $"--output-dir {dir}", StringComparison.Ordinal));
            }

            Assert.Contains("priority 130", File.ReadAllText(Path.Combine(dir, "nodeC.conf")), StringComparison.Ordinal);

            // A node's own interface and address; --unicast peers every node with the others.
            var c = VrrpDaemon.Run("--generate-active-active", "--node", "nodeA:eth0:198.18.0.11", "--node", "nodeB:eth0:198.18.0.12",
                "--node", "nodeC:eth1:198.18.0.13", "--vip", Vips[0], "--vip", Vips[1], "--unicast", "--for", "nodeC");
            Assert.True(c.Code == 0, c.Stderr);
            Assert.Contains("    interface eth1\n", c.Stdout, StringComparison.Ordinal);
            Assert.Contains("    unicast_src_ip 198.18.0.13\n    unicast_peer {\n        198.18.0.11\n        198.18.0.12\n    }\n", c.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Generate_refuses_a_bad_layout_naming_every_error()
    {
        var (code, _, stderr) = VrrpDaemon.Run("--generate-active-active", "--node", "a:eth0", "--node", "a:eth0", "--vip", "198.18.1.1",
            "--vrid-base", "255", "--vip", "198.18.1.2", "--for", "a");
        Assert.Equal(1, code);
        Assert.Contains("active/active layout: Nodes[1]: name 'a' is used twice", stderr, StringComparison.Ordinal);
        Assert.Contains("active/active layout: FirstVirtualRouterId: 255 with 2 address(es) gives VRIDs outside 1–255", stderr, StringComparison.Ordinal);
        Assert.Equal(2, VrrpDaemon.Run("--generate-active-active", "--vip", "nonsense", "--for", "a").Code);
    }

    [RequiresFact("netns", "cmd:keepalived")]
    public async Task Three_nodes_two_hanet_vrrpd_one_keepalived_each_owns_one_vip_a_crash_moves_only_its_vip_and_return_preempts()
    {
        await using var lab = new ThreeNodeLab();
        var (code, _, stderr) = VrrpDaemon.Run("--generate-active-active", "--node", "nodeA", "--node", "nodeB", "--node", "nodeC",
            "--interface", "eth0", "--vip", Vips[0], "--vip", Vips[1], "--vip", Vips[2], "--vrrp-version", "3", "--advert-int", "0.2",
            "--output-dir", lab.Directory);
        Assert.True(code == 0, stderr);

        var a = lab.StartHanet(0);
        var b = lab.StartHanet(1);
        var c = lab.StartKeepalived(2);
        var all = new[] { a, b, c };

        // Settled: VIP i on node i only.
        await lab.WaitForPlacementAsync([0, 1, 2], all);

        // A crashes (kill -9, then its switch port down): VIP 1 goes to its first heir B; VIPs 2 and 3 never move.
        // (C, VIP 1's second heir, may be master of it for a moment: its down timer is only (140 - 130) / 256 of an
        // advert interval longer than B's.)
        var bLog = b.Output.Length;
        var cLog = c.Output.Length;
        Run("kill", $"-9 {a.Id}");
        Assert.True(a.WaitForExit(Bound));
        lab.SetPort(0, up: false);
        await lab.WaitForPlacementAsync([1, 1, 2], [b, c], down: 0);
        Assert.Contains("(VI_1) Entering MASTER STATE", b.Output[bLog..], StringComparison.Ordinal);
        Assert.DoesNotContain("(VI_2) Entering", b.Output[bLog..], StringComparison.Ordinal);
        Assert.DoesNotContain("(VI_3) Entering", c.Output[cLog..], StringComparison.Ordinal);

        // A returns (its stale VIP left behind by the crash is cleared first): it preempts VIP 1 back; B keeps VIP 2.
        lab.SetPort(0, up: true);
        Run("ip", $"-n {lab.Nodes[0]} addr flush dev eth0 to {Vips[0]}/32");
        var a2 = lab.StartHanet(0);
        all = [a2, b, c];
        await lab.WaitForPlacementAsync([0, 1, 2], all);

        // keepalived on C stops (SIGTERM: priority-0 advert): VIP 3 goes at once to its first heir, A.
        c.Signal("TERM");
        await lab.WaitForPlacementAsync([0, 1, 0], [a2, b, c]);
        Assert.True(c.WaitForExit(Bound), "keepalived did not exit after SIGTERM:\n" + c.Output);
        Assert.Contains("(VI_3) Entering MASTER STATE", a2.Output, StringComparison.Ordinal);
        // keepalived accepted every advert of the hanet-vrrpd nodes.
        string[] complaints = ["invalid", "wrong", "mismatch", "unexpected", "bad ", "checksum", "ttl", "error"];
        Assert.DoesNotContain(c.Output.Split('\n'), l => complaints.Any(m => l.Contains(m, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>The shared lab (prefix <c>haa</c>): a switch namespace (bridge) and three node namespaces on it, eth0 198.18.0.11–13/24, killed and deleted on disposal.</summary>
    private sealed class ThreeNodeLab : IAsyncDisposable
    {
        private readonly NetnsLab _lab = new("haa");
        private readonly List<string> _ports = [];

        public ThreeNodeLab()
        {
            try
            {
                for (var n = 0; n < 3; n++)
                {
                    var ns = _lab.AddNamespace(((char)('a' + n)).ToString());
                    Nodes.Add(ns);
                    _ports.Add(_lab.Plug(ns, "eth0", null, $"198.18.0.{11 + n}/24"));
                }
            }
            catch
            {
                _lab.Dispose();
                throw;
            }
        }

        public string Directory => _lab.Directory;

        public List<string> Nodes { get; } = [];

        private static string NodeName(int n) => "node" + (char)('A' + n);

        public ChildProcess StartHanet(int n) =>
            _lab.Start(Nodes[n], "dotnet", [VrrpDaemon.DllPath, "-n", "-l", "-f", Path.Combine(Directory, NodeName(n) + ".conf")], "hanet-vrrpd-" + NodeName(n));

        public ChildProcess StartKeepalived(int n)
        {
            var conf = Path.Combine(Directory, NodeName(n) + ".conf");
            return _lab.Start(Nodes[n], "keepalived", ["-n", "-l", "-D", "-G", "-P", "-f", conf,
                "-p", Path.Combine(Directory, NodeName(n) + ".pid"), "-r", Path.Combine(Directory, NodeName(n) + "-vrrp.pid")], "keepalived-" + NodeName(n));
        }

        public void SetPort(int n, bool up) => _lab.SetPort(_ports[n], up);

        /// <summary>Which nodes (but <paramref name="down"/>, whose crash left its addresses behind) hold VIP i right now.</summary>
        public List<int> Holders(string vip, int down) =>
            Enumerable.Range(0, Nodes.Count).Where(n => n != down && NetnsLab.Ip($"-n {Nodes[n]} -o -4 addr show dev eth0").Contains($" {vip}/32", StringComparison.Ordinal)).ToList();

        /// <summary>Waits (bounded) until VIP i is on node <paramref name="expected"/>[i] and on no other (but <paramref name="down"/>).</summary>
        public async Task WaitForPlacementAsync(int[] expected, IEnumerable<ChildProcess> running, int down = -1)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var now = Vips.Select(v => Holders(v, down)).ToArray();
                if (now.Select((h, i) => h.Count == 1 && h[0] == expected[i]).All(x => x))
                {
                    return;
                }

                if (clock.Elapsed > Bound)
                {
                    throw new Xunit.Sdk.XunitException(
                        $"VIPs on {string.Join(" ", now.Select((h, i) => $"{Vips[i]}@[{string.Join(",", h.Select(NodeName))}]"))}, expected {string.Join(" ", expected.Select(NodeName))}\n"
                        + string.Join("\n", running.Select(p => $"---- {p.Name}\n{p.Output}")));
                }

                await Task.Delay(50);
            }
        }

        public ValueTask DisposeAsync() => _lab.DisposeAsync();
    }
}
