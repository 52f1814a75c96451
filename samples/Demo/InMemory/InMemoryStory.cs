using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ha.Net.Proxy;
using Ha.Net.Proxy.Haproxy;
using Ha.Net.Samples.Demo.Mail;
using Ha.Net.Samples.Demo.Story;
using Ha.Net.Vrrp.Keepalived;
using Ha.Net.Vrrp.Testing;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.Demo.InMemory;

/// <summary>
/// The same story without root: the two keepalived.conf drive two Ha.Net.Vrrp hosts on Ha.Net.Vrrp.Testing's
/// in-memory network in real time; the two haproxy.cfg (VIP:25 and the servers' :25 moved to 127.0.0.1 ports) drive
/// two Ha.Net.Proxy proxies; two <see cref="SmtpSink"/> servers are the backends; the client follows the VIP through
/// its neighbour cache (<see cref="ClientLan"/>). "Killing" a node crashes it on the network at once (no goodbye
/// advert, its VIP vanishes) and stops its proxy.
/// </summary>
internal sealed class InMemoryStory(DemoOptions options, Ledger ledger)
{
    private static readonly IPAddress Vip = IPAddress.Parse("198.18.0.3");
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly ClientLan _lan = new();
    private readonly Dictionary<string, NodeRuntime> _nodes = [];

    private sealed class NodeRuntime
    {
        public required string Name { get; init; }

        public required IPAddress Address { get; init; }

        public InMemoryVrrpNode? Machine { get; set; }

        public ITcpProxy? Proxy { get; set; }

        public int Boots { get; set; }

        public bool Killed { get; set; }

        public int Priority { get; set; }
    }

    public async Task<Outcome> RunAsync(CancellationToken ct)
    {
        var run = Directory.CreateTempSubdirectory("hanet-demo-").FullName;
        await using var loggers = new FileLoggers(options.LogDirectory);
        await using var network = new InMemoryVrrpNetwork(TimeProvider.System);
        SmtpSink? mx1 = null, mx2 = null;
        try
        {
            mx1 = SmtpSink.Start(new IPEndPoint(IPAddress.Loopback, 0), "mx1", Path.Combine(run, "mx1"));
            mx2 = SmtpSink.Start(new IPEndPoint(IPAddress.Loopback, 0), "mx2", Path.Combine(run, "mx2"));
            ledger.Say($"backends: SMTP servers mx1 on {mx1.EndPoint} and mx2 on {mx2.EndPoint} (stand for 198.18.0.1:25 and 198.18.0.2:25)");
            _nodes["dc1"] = new NodeRuntime { Name = "dc1", Address = IPAddress.Parse("198.18.0.11") };
            _nodes["dc2"] = new NodeRuntime { Name = "dc2", Address = IPAddress.Parse("198.18.0.12") };
            var ports = new Dictionary<string, int> { ["dc1"] = FreePort(), ["dc2"] = FreePort() };
            foreach (var node in _nodes.Values)
            {
                await Boot(network, node, ports[node.Name], mx1.EndPoint, mx2.EndPoint, loggers, ct);
            }

            ledger.Say("waiting for the election (both keepalived.conf: state MASTER, priority 101, +20 while 'systemctl status haproxy' passes; equal, so the first to claim the VIP keeps it)");
            var master = await WaitFor(() => _lan.Owners(Vip) is [var only] ? _nodes[only] : null, Bound, ct)
                ?? throw new DemoFailure("no node took the VIP within 20 s", $"see {options.LogDirectory}");
            await Task.Delay(1000, ct);
            var survivor = master.Name == "dc1" ? _nodes["dc2"] : _nodes["dc1"];
            ledger.Say($"VIP {Vip} is on {master.Name}: {master.Name} is MASTER");

            using var stopClient = new CancellationTokenSource();
            var client = MailClient.RunAsync(() => _lan.Resolve(Vip), ledger.Add, stopClient.Token);
            using var stopWatch = new CancellationTokenSource();
            var watcher = Watch(stopWatch.Token);
            ledger.Say("the client sends a mail to the VIP every 250 ms (EHLO, MAIL FROM, RCPT TO, DATA, QUIT)");
            var since = Ledger.Now;
            await WaitFor(() => ledger.DeliveredSince(since) >= 12 ? true : (bool?)null, TimeSpan.FromSeconds(30), ct);

            ledger.Say($"*** killing the master {master.Name}: it leaves the LAN at once (no priority-0 advert), its proxy stops");
            ledger.MarkKill();
            var kill = Ledger.Now;
            master.Killed = true;
            _lan.Kill(master.Name);
            await master.Machine!.CrashAsync();
            await Stop(master);
            var takenAt = await WaitFor(() => _lan.Owners(Vip).Contains(survivor.Name) ? Ledger.Now : (long?)null, Bound, ct);
            long? failover = takenAt is { } t ? t - kill : null;
            ledger.Say(failover is { } f ? $"*** FAILOVER: {survivor.Name} holds VIP {Vip} {f} ms after the kill" : "*** no failover within 20 s");
            await WaitFor(() => ledger.DeliveredSince(kill) >= 12 ? true : (bool?)null, TimeSpan.FromSeconds(30), ct);

            var handback = "skipped";
            if (options.Handback)
            {
                ledger.Say($"*** {master.Name} comes back: its proxy and VRRP host start again");
                var reboot = Ledger.Now;
                await Boot(network, master, ports[master.Name], mx1.EndPoint, mx2.EndPoint, loggers, ct);
                if (master.Priority <= survivor.Priority)
                {
                    ledger.Say($"    (both keepalived.conf give priority {master.Priority}: a BACKUP does not preempt a MASTER of equal priority, so no handback is expected)");
                }

                var back = await WaitFor(() => _lan.Owners(Vip) is [var only] && only == master.Name ? Ledger.Now : (long?)null,
                    master.Priority > survivor.Priority ? Bound : TimeSpan.FromSeconds(5), ct);
                if (back is { } b)
                {
                    handback = string.Create(CultureInfo.InvariantCulture, $"{b - reboot}ms");
                    ledger.Say($"*** HANDBACK: {master.Name} holds the VIP again {b - reboot} ms after it came back");
                }
                else
                {
                    var stays = _lan.Owners(Vip).Contains(survivor.Name);
                    handback = stays ? "none" : "lost";
                    ledger.Say(stays ? $"*** no handback: {master.Name} is BACKUP, {survivor.Name} keeps the VIP; the pair is redundant again" : "*** the VIP is on neither node");
                }

                var afterBack = Ledger.Now;
                await WaitFor(() => ledger.DeliveredSince(afterBack) >= 8 ? true : (bool?)null, TimeSpan.FromSeconds(20), ct);
            }

            await stopClient.CancelAsync();
            await client;
            await stopWatch.CancelAsync();
            await watcher;
            ledger.Flush();
            ledger.Say($"stored by the backends: mx1 {mx1.Stored}, mx2 {mx2.Stored}");
            return ledger.Conclude(failover, handback);
        }
        finally
        {
            foreach (var node in _nodes.Values)
            {
                await Stop(node);
            }

            if (mx1 is not null)
            {
                await mx1.DisposeAsync();
            }

            if (mx2 is not null)
            {
                await mx2.DisposeAsync();
            }

            Directory.Delete(run, recursive: true);
        }
    }

    private async Task Boot(InMemoryVrrpNetwork network, NodeRuntime node, int port, IPEndPoint mx1, IPEndPoint mx2, FileLoggers loggers, CancellationToken ct)
    {
        node.Boots++;
        var factory = loggers.For($"{node.Name}{(node.Boots == 1 ? "" : $".boot{node.Boots}")}");

        // haproxy.cfg: the seed's text with the VIP's :25 and the servers' :25 moved to 127.0.0.1 ports.
        var cfgText = (await File.ReadAllTextAsync(Path.Combine(options.ConfigDirectory, $"{node.Name}.haproxy.cfg"), ct))
            .Replace("198.18.0.3:25", $"127.0.0.1:{port}", StringComparison.Ordinal)
            .Replace("198.18.0.1:25", mx1.ToString(), StringComparison.Ordinal)
            .Replace("198.18.0.2:25", mx2.ToString(), StringComparison.Ordinal);
        var read = HaproxyConfigReader.Parse(cfgText, $"{node.Name}.haproxy.cfg");
        var config = read.GetConfigOrThrow();
        var mapping = HaproxyConfigMapper.ToProxyOptions(config);
        if (!mapping.IsValid)
        {
            throw new DemoFailure($"{node.Name}.haproxy.cfg does not map: {string.Join("; ", mapping.Errors)}", "");
        }

        node.Proxy = TcpProxyFactory.Create(mapping.Options!, factory, probeFactory: mapping.CreateProbeFactory());
        await node.Proxy.StartAsync(ct);
        _lan.SetService(node.Name, new IPEndPoint(IPAddress.Loopback, port));

        var kaRead = KeepalivedConfigReader.Load(Path.Combine(options.ConfigDirectory, $"{node.Name}.keepalived.conf"));
        var kaMapping = KeepalivedConfigMapper.ToVirtualRouterOptions(kaRead.GetConfigOrThrow());
        if (!kaMapping.IsValid)
        {
            throw new DemoFailure($"{node.Name}.keepalived.conf does not map: {string.Join("; ", kaMapping.Errors)}", "");
        }

        var router = kaMapping.Routers[0];
        node.Priority = router.Options.Priority;
        if (node.Boots == 1)
        {
            ledger.Say($"{node.Name}: {node.Name}.keepalived.conf read with {kaRead.Warnings.Count + kaMapping.Warnings.Count} warning(s), {node.Name}.haproxy.cfg with {read.Warnings.Count + mapping.Warnings.Count} (the seed's one-line layout; details in the log)");
            foreach (var w in kaRead.Warnings.Select(w => w.ToString()).Concat(kaMapping.Warnings.Select(w => w.ToString())).Concat(read.Warnings.Select(w => w.ToString())).Concat(mapping.Warnings.Select(w => w.ToString())))
            {
                factory.CreateLogger("config").LogWarning("{Warning}", w);
            }
        }

        // A new machine on each boot (a new process): the crashed one stays off the network.
        var machine = network.AddNode(node.Address, router.Options, factory);
        node.Machine = machine;
        _lan.Attach(node.Name, machine);
        var name = node.Name;
        node.Killed = false;
        machine.Router.StateChanged += (_, e) =>
        {
            if (!node.Killed)
            {
                ledger.Say($"{name} VRRP: ({e.InstanceName}) Entering {e.KeepalivedState} STATE (priority {e.EffectivePriority})");
            }
        };
        await machine.StartAsync();

        // The tracked "systemctl status haproxy" script: this node's proxy is running.
        foreach (var script in router.TrackedScripts.Keys)
        {
            machine.Router.SetTrackedObjectState(script, true);
        }

        ledger.Say($"{node.Name}: Ha.Net.Proxy from {node.Name}.haproxy.cfg on 127.0.0.1:{port} (stands for {Vip}:25), Ha.Net.Vrrp from {node.Name}.keepalived.conf ({router.Instance.Name}, vrid {router.Options.VirtualRouterId}, priority {router.Options.Priority})");
    }

    private static async Task Stop(NodeRuntime node)
    {
        if (node.Machine is { } machine)
        {
            node.Machine = null;
            await machine.DisposeAsync();
        }

        if (node.Proxy is { } proxy)
        {
            node.Proxy = null;
            await proxy.DisposeAsync();
        }
    }

    private async Task Watch(CancellationToken ct)
    {
        var last = "";
        try
        {
            var tick = 0;
            while (!ct.IsCancellationRequested)
            {
                var owners = _lan.Owners(Vip);
                var now = owners.Count == 0 ? "none" : string.Join('+', owners);
                ledger.VipHolder = now;
                if (now != last)
                {
                    ledger.Flush();
                    ledger.Say($"LAN: VIP {Vip} is on {now}");
                    last = now;
                }

                if (++tick % 20 == 0)
                {
                    ledger.Flush();
                }

                await Task.Delay(50, ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    private static async Task<T?> WaitFor<T>(Func<T?> probe, TimeSpan bound, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + bound;
        while (DateTime.UtcNow < deadline)
        {
            if (probe() is { } value)
            {
                return value;
            }

            await Task.Delay(20, ct);
        }

        return probe();
    }
}
