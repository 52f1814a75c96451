using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Ha.Net.Samples.Lab;
using Ha.Net.Testing.Environment;

namespace Ha.Net.Vrrp.RouteInjection.Tests.TestBed;

/// <summary>
/// Route health injection on a real BGP router, in network namespaces (198.18.0.0/15 only):
/// <code>
///  client ns (cr 198.18.1.2) ── rc 198.18.1.1 ┐ router ns: FRR zebra+bgpd (AS 65000, maximum-paths 8) + bfdd,
///                                            │ ECMP with L4 hashing, nftables conntrack stickiness
///  node i ns (nr 198.18.1{i}.2) ── rn{i} 198.18.1{i}.1 ┘ (i = 1..N)
///  each node: FRR zebra+bgpd (AS 65100) + bfdd, hanet-proxyd --route-injection, backend 127.0.0.1:9000,
///  service address 198.18.100.1/32 on lo, frontend bind 198.18.100.1:8080
/// </code>
/// Each FRR instance runs as an operator runs several on one host: the daemons with <c>-N &lt;namespace&gt;</c>
/// (config in /etc/frr/&lt;ns&gt;/, sockets in /var/run/frr/&lt;ns&gt;/), started inside the namespace with
/// <c>ip netns exec</c>. The namespaces are the shared <see cref="NetnsLab"/>'s (prefix <c>hrb</c>: names carry the pid and
/// a random suffix); disposal kills what it started and deletes namespaces, FRR directories and files.
/// </summary>
internal sealed partial class BgpTestBed : IAsyncDisposable
{
    public const string ServiceAddress = "198.18.100.1";
    public const int ServicePort = 8080;
    public static readonly TimeSpan BfdDetection = TimeSpan.FromMilliseconds(100 * 3);
    private const string Frr = "/usr/lib/frr";
    private readonly NetnsLab _lab = new("hrb");
    private readonly List<string> _frrDirs = [];
    private readonly List<ChildProcess> _daemons = [];
    private readonly List<NodeBackend> _backends = [];
    private readonly Action<string> _log;

    private BgpTestBed(int nodes, bool sticky, Action<string> log)
    {
        Sticky = sticky;
        Nodes = nodes;
        _log = log;
        Router = _lab.Id + "r";
        Client = _lab.Id + "c";
    }

    public int Nodes { get; }

    /// <summary>Whether the router keeps established flows on their node (conntrack mark + per-node tables).</summary>
    public bool Sticky { get; }

    public string Directory => _lab.Directory;

    public string Router { get; }

    public string Client { get; }

    public string NodeNs(int i) => _lab.Id + "n" + i.ToString(CultureInfo.InvariantCulture);

    public static string NodeAddress(int i) => string.Create(CultureInfo.InvariantCulture, $"198.18.{10 + i}.2");

    public string DrainFile(int i) => Path.Combine(Directory, $"drain{i}");

    public ChildProcess Proxy(int i) => _daemons[i - 1];

    public NodeBackend Backend(int i) => _backends[i - 1];

    public static async Task<BgpTestBed> StartAsync(int nodes, Action<string> log, bool sticky = true)
    {
        var bed = new BgpTestBed(nodes, sticky, log);
        try
        {
            await bed.BuildAsync();
            return bed;
        }
        catch
        {
            await bed.DisposeAsync();
            throw;
        }
    }

    private async Task BuildAsync()
    {
        _lab.AddNamespace("r");
        _lab.AddNamespace("c");
        _lab.Link(Router, "rc", null, Client, "cr", null);
        NetnsLab.AddAddress(Router, "198.18.1.1/24", "rc");
        NetnsLab.AddAddress(Client, "198.18.1.2/24", "cr");
        NetnsLab.Ip($"-n {Client} route add default via 198.18.1.1");
        NetnsLab.Exec(Router, "sysctl", "-q -w net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1");
        var sticky = new StringBuilder();
        for (var i = 1; i <= Nodes; i++)
        {
            var ns = NodeNs(i);
            _lab.AddNamespace("n" + i.ToString(CultureInfo.InvariantCulture));
            var net = string.Create(CultureInfo.InvariantCulture, $"198.18.{10 + i}");
            _lab.Link(Router, $"rn{i}", null, ns, "nr", null);
            NetnsLab.AddAddress(Router, $"{net}.1/24", $"rn{i}");
            NetnsLab.AddAddress(ns, $"{net}.2/24", "nr");
            NetnsLab.AddAddress(ns, $"{ServiceAddress}/32", "lo");
            NetnsLab.Ip($"-n {ns} route add default via {net}.1");
            // Router-side stickiness (README "Scaling past one pair"): a per-node table for marked flows.
            NetnsLab.Ip($"-n {Router} route add {ServiceAddress}/32 via {net}.2 dev rn{i} table {100 + i}");
            NetnsLab.Ip($"-n {Router} rule add fwmark {i} lookup {100 + i} priority {100 + i}");
            sticky.Append(CultureInfo.InvariantCulture, $"\"rn{i}\" : {i}, ");
        }

        if (Sticky)
        {
            WriteNft(Router, $$"""
            table ip hanet_sticky {
              chain pre {
                type filter hook prerouting priority mangle; policy accept;
                iifname "rc" ct mark != 0 meta mark set ct mark
              }
              chain post {
                type filter hook postrouting priority mangle; policy accept;
                ct direction original ct mark 0 ct mark set oifname map { {{sticky.ToString().TrimEnd(' ', ',')}} }
              }
            }
            """);
        }

        StartFrr(Router, RouterConfig());
        for (var i = 1; i <= Nodes; i++)
        {
            StartFrr(NodeNs(i), NodeConfig(i));
        }

        for (var i = 1; i <= Nodes; i++)
        {
            var backend = new NodeBackend(NodeNs(i), "node" + i.ToString(CultureInfo.InvariantCulture), new IPEndPoint(IPAddress.Loopback, 9000));
            _backends.Add(backend);
            await backend.StartAsync();
        }

        var starts = Enumerable.Range(1, Nodes).Select(StartProxyAsync).ToArray();
        foreach (var d in await Task.WhenAll(starts))
        {
            _daemons.Add(d);
        }

        var all = Enumerable.Range(1, Nodes).Select(NodeAddress).ToHashSet();
        await WaitForNextHopsAsync(all, TimeSpan.FromSeconds(60), "all nodes announced after start");
    }

    private async Task<ChildProcess> StartProxyAsync(int i)
    {
        var ns = NodeNs(i);
        var cfg = Path.Combine(Directory, $"haproxy{i}.cfg");
        File.WriteAllText(cfg, $"""
            global
                hard-stop-after 5s
            defaults
                mode tcp
                timeout connect 2s
                timeout client 60s
                timeout server 60s
            frontend fe_svc
                bind {ServiceAddress}:{ServicePort}
                default_backend be_svc
            backend be_svc
                server s1 127.0.0.1:9000 check inter 200 fall 2 rise 2
            """);
        var rhi = Path.Combine(Directory, $"rhi{i}.conf");
        File.WriteAllText(rhi, $"""
            # route health injection for node {i} (hanet-proxyd --route-injection)
            prefix {ServiceAddress}/32
            speaker frr as 65100 pathspace {ns}
            frontend fe_svc
            backend be_svc min-servers 1
            interval 100ms
            rise 3
            fall 2
            withdraw-grace 1s
            drain-file {DrainFile(i)}
            """);
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var daemon = ChildProcess.Start("ip", ["netns", "exec", ns, host, Path.Combine(AppContext.BaseDirectory, "hanet-proxyd.dll"), "-f", cfg, "--route-injection", rhi], $"hanet-proxyd node{i}");
        try
        {
            await daemon.ExpectOutputAsync("Loading success", TimeSpan.FromSeconds(60));
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }

        return daemon;
    }

    private string RouterConfig()
    {
        var b = new StringBuilder();
        b.Append(CultureInfo.InvariantCulture, $"""
            frr defaults datacenter
            hostname {Router}
            log file {Directory}/{Router}-bgpd.log
            router bgp 65000
             bgp router-id 198.18.1.1
             no bgp ebgp-requires-policy

            """);
        for (var i = 1; i <= Nodes; i++)
        {
            b.Append(CultureInfo.InvariantCulture, $" neighbor {NodeAddress(i)} remote-as 65100\n neighbor {NodeAddress(i)} bfd profile fast\n");
        }

        b.Append(" address-family ipv4 unicast\n  maximum-paths 8\n exit-address-family\nexit\n");
        return b.ToString();
    }

    private string NodeConfig(int i) => string.Create(CultureInfo.InvariantCulture, $"""
        frr defaults datacenter
        hostname {NodeNs(i)}
        log file {Directory}/{NodeNs(i)}-bgpd.log
        router bgp 65100
         bgp router-id {NodeAddress(i)}
         no bgp ebgp-requires-policy
         no bgp network import-check
         neighbor 198.18.{10 + i}.1 remote-as 65000
         neighbor 198.18.{10 + i}.1 bfd profile fast
        exit

        """);

    /// <summary>bfdd's part: BFD at 100 ms x 3 (detection 300 ms) for the BGP sessions that name the profile.</summary>
    private string BfdConfig(string ns) => $"""
        frr defaults datacenter
        hostname {ns}
        log file {Directory}/{ns}-bfdd.log
        bfd
         profile fast
          receive-interval 100
          transmit-interval 100
          detect-multiplier 3
         exit
        exit

        """;

    /// <summary>
    /// FRR as an operator runs one instance per namespace: the daemons with -N NS (config in /etc/frr/NS/, sockets in
    /// /var/run/frr/NS/), one configuration file per daemon (FRR's classic layout: each daemon reads its own).
    /// </summary>
    private void StartFrr(string ns, string bgpConfig)
    {
        var etc = "/etc/frr/" + ns;
        var run = "/var/run/frr/" + ns;
        _frrDirs.Add(etc);
        _frrDirs.Add(run);
        System.IO.Directory.CreateDirectory(etc);
        System.IO.Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(etc, "zebra.conf"), $"hostname {ns}\nlog file {Directory}/{ns}-zebra.log\n");
        File.WriteAllText(Path.Combine(etc, "bfdd.conf"), BfdConfig(ns));
        File.WriteAllText(Path.Combine(etc, "bgpd.conf"), bgpConfig);
        File.WriteAllText(Path.Combine(etc, "vtysh.conf"), "");
        ProcessRunner.Run("chown", $"-R frr:frr {etc} {run} {Directory}");
        foreach (var daemon in new[] { "zebra", "bfdd", "bgpd" })
        {
            // bfdd's control socket is not under the pathspace in FRR 8.4: give each instance its own.
            var extra = daemon == "bfdd" ? $" --bfdctl {run}/bfdd.sock" : "";
            NetnsLab.Exec(ns, Path.Combine(Frr, daemon), $"-d -N {ns} -f {etc}/{daemon}.conf -i {run}/{daemon}.pid{extra}");
        }
    }

    /// <summary>The router's next hops for the service address now (its FIB, as the kernel forwards).</summary>
    public HashSet<string> NextHops()
    {
        var text = NetnsLab.Ip($"-n {Router} route show {ServiceAddress}/32");
        return [.. ViaRegex().Matches(text).Select(m => m.Groups[1].Value)];
    }

    public async Task WaitForNextHopsAsync(IReadOnlySet<string> expected, TimeSpan bound, string what)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var now = NextHops();
            if (now.SetEquals(expected))
            {
                _log($"{what}: next hops {string.Join(' ', now.Order())} after {sw.ElapsedMilliseconds} ms");
                return;
            }

            if (sw.Elapsed > bound)
            {
                throw new TimeoutException($"{what}: router next hops are [{string.Join(' ', now.Order())}], expected [{string.Join(' ', expected.Order())}] after {bound.TotalSeconds} s.\n{Diagnostics()}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Opens a connection to the service from the client and reads the node's greeting.</summary>
    public async Task<ServiceConnection> ConnectAsync(TimeSpan timeout)
    {
        var socket = await Netns.TcpSocketAsync(Client);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(ServiceAddress), ServicePort), cts.Token);
            var node = await ReadLineAsync(socket, cts.Token);
            return new ServiceConnection(socket, node);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    internal static async Task<string> ReadLineAsync(Socket socket, CancellationToken ct)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            var n = await socket.ReceiveAsync(one, ct);
            if (n == 0)
            {
                throw new IOException($"connection closed after '{line}'");
            }

            if (one[0] == '\n')
            {
                return line.ToString();
            }

            line.Append((char)one[0]);
        }
    }

    /// <summary>Node death as a power loss behind a switch: the node goes silent first (nftables drops everything in
    /// its namespace, so no FIN or BGP notification leaves and the router's link stays up), then every process of
    /// the node (hanet-proxyd, zebra, bgpd, bfdd) is killed with SIGKILL. Only BFD can tell the router.</summary>
    public void KillNode(int i)
    {
        var ns = NodeNs(i);
        WriteNft(ns, """
            table inet dead {
              chain deadin { type filter hook input priority -300; policy drop; }
              chain deadout { type filter hook output priority -300; policy drop; }
              chain deadfwd { type filter hook forward priority -300; policy drop; }
            }
            """);
        foreach (var pid in NetnsLab.Ip($"netns pids {ns}").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            ProcessRunner.TryRun("kill", "-9 " + pid.Trim());
        }
    }

    public string Diagnostics()
    {
        var b = new StringBuilder();
        b.AppendLine(ProcessRunner.TryRun("vtysh", $"-N {Router} -c \"show bgp ipv4 unicast summary\"").Stdout);
        b.AppendLine(ProcessRunner.TryRun("vtysh", $"-N {Router} -c \"show bfd peers brief\"").Stdout);
        foreach (var d in _daemons)
        {
            var output = d.Output;
            b.AppendLine($"--- {d.Name}:\n{output[Math.Max(0, output.Length - 2000)..]}");
        }

        return b.ToString();
    }

    private void WriteNft(string ns, string ruleset)
    {
        var file = Path.Combine(Directory, ns + "-" + Guid.NewGuid().ToString("N")[..6] + ".nft");
        File.WriteAllText(file, ruleset);
        NetnsLab.Exec(ns, "nft", "-f " + file);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var d in _daemons)
        {
            await d.DisposeAsync();
        }

        foreach (var b in _backends)
        {
            await b.DisposeAsync();
        }

        // FRR daemons (daemonized, so not our children) and anything else left in the namespaces, the namespaces, the directory.
        await _lab.DisposeAsync();

        foreach (var dir in _frrDirs)
        {
            try
            {
                System.IO.Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [GeneratedRegex(@"via (198\.18\.\d+\.\d+)")]
    private static partial Regex ViaRegex();
}

/// <summary>One client connection to the service and the node that greeted it.</summary>
internal sealed class ServiceConnection(Socket socket, string node) : IDisposable
{
    public string Node { get; } = node;

    /// <summary>Sends a line and expects it echoed back (the connection still reaches its backend).</summary>
    public async Task<bool> EchoAsync(string text, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes(text + "\n"), cts.Token);
            return await BgpTestBed.ReadLineAsync(socket, cts.Token) == text;
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose() => socket.Dispose();
}
