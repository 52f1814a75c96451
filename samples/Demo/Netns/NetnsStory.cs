using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ha.Net.Samples.Demo.Mail;
using Ha.Net.Samples.Demo.Story;
using Ha.Net.Samples.Lab;

namespace Ha.Net.Samples.Demo.Netns;

/// <summary>
/// Seed 000 in network namespaces. The LAN 198.18.0.0/24 is a bridge in its own namespace; on it:
/// <code>
///   dc1  198.18.0.11  hanet-vrrpd -f dc1.keepalived.conf, hanet-proxyd -f dc1.haproxy.cfg (:25 on the VIP, stats :9000)
///   dc2  198.18.0.12  hanet-vrrpd -f dc2.keepalived.conf, hanet-proxyd -f dc2.haproxy.cfg
///   mx1  198.18.0.1   Postfix (the configs' server ...01)     mx2  198.18.0.2  Postfix (server ...02)
///   cli  198.18.0.50  the mail client; also .115 (smtp_server: the site relay for alert mails) and .254 (log target)
///   VIP  198.18.0.3   (virtual_ipaddress of both keepalived.conf; both haproxy.cfg bind it, net.ipv4.ip_nonlocal_bind=1 as the seed sets)
/// </code>
/// The story: start everything, mail through the VIP every 250 ms, kill -9 the master's daemons and cut its
/// link (the node dies), measure the failover and the outage, reboot the node (handback), tear down.
/// </summary>
internal sealed partial class NetnsStory
{
    public const string Vip = "198.18.0.3";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly DemoOptions _options;
    private readonly Ledger _ledger;
    private readonly NetnsLab _lab;
    private readonly Dictionary<string, Node> _nodes = [];

    public NetnsStory(DemoOptions options, Ledger ledger, NetnsLab lab)
    {
        _options = options;
        _ledger = ledger;
        _lab = lab;
    }

    private sealed class Node(string name, string ns, string address)
    {
        public string Name { get; } = name;

        public string Ns { get; } = ns;

        public string Address { get; } = address;

        public ChildProcess? Vrrpd { get; set; }

        public ChildProcess? Proxyd { get; set; }

        public int Boots { get; set; }

        /// <summary>Killed and its link down: whatever its eth0 still shows is not on the LAN.</summary>
        public bool Dead { get; set; }
    }

    public async Task<Outcome> RunAsync(CancellationToken ct)
    {
        var say = _ledger.Say;
        var removed = _lab.LeftoversRemoved;
        if (removed > 0)
        {
            say($"removed {removed} namespace(s) left by an earlier demo run that was killed");
        }

        say("building seed 000's topology: a LAN bridge, nodes dc1 and dc2, Postfix backends mx1 and mx2, a client");
        var dc1 = new Node("dc1", _lab.AddNamespace("dc1"), "198.18.0.11");
        var dc2 = new Node("dc2", _lab.AddNamespace("dc2"), "198.18.0.12");
        _nodes["dc1"] = dc1;
        _nodes["dc2"] = dc2;
        var mx1 = _lab.AddNamespace("mx1");
        var mx2 = _lab.AddNamespace("mx2");
        var cli = _lab.AddNamespace("cli");
        _lab.Plug(dc1.Ns, "eth0", "02:00:c6:12:00:0b", dc1.Address + "/24");
        _lab.Plug(dc2.Ns, "eth0", "02:00:c6:12:00:0c", dc2.Address + "/24");
        _lab.Plug(mx1, "eth0", "02:00:c6:12:00:01", "198.18.0.1/24");
        _lab.Plug(mx2, "eth0", "02:00:c6:12:00:02", "198.18.0.2/24");
        _lab.Plug(cli, "eth0", "02:00:c6:12:00:32", "198.18.0.50/24", "198.18.0.115/24", "198.18.0.254/24");
        foreach (var node in _nodes.Values)
        {
            // The seed's setup step: "net.ipv4.ip_nonlocal_bind = 1" so the standby's proxy can bind the VIP it does not hold.
            NetnsLab.Exec(node.Ns, "sysctl", "-q -w net.ipv4.ip_nonlocal_bind=1");
        }

        say($"  namespaces {string.Join(' ', _lab.Namespaces)}");
        say("  dc1 198.18.0.11, dc2 198.18.0.12, mx1 198.18.0.1, mx2 198.18.0.2, client 198.18.0.50, VIP 198.18.0.3");

        say("starting Postfix on mx1 (198.18.0.1:25) and mx2 (198.18.0.2:25): private instances delivering to a Maildir");
        await Task.WhenAll(
            Task.Run(() => Backends.StartPostfix(_lab, mx1, "mx1", "198.18.0.1"), ct),
            Task.Run(() => Backends.StartPostfix(_lab, mx2, "mx2", "198.18.0.2"), ct));

        PrepareNodeFiles();
        foreach (var node in _nodes.Values)
        {
            StartDaemons(node);
        }

        say("waiting for the election (both keepalived.conf: state MASTER, priority 101, +20 while 'systemctl status haproxy' passes; equal, so the first to claim the VIP keeps it)");
        var master = await WaitForSingleHolder(ct) ?? throw new DemoFailure("no node took the VIP within 20 s", LogHint());
        say($"VIP {Vip} is on {master.Name} ({master.Address}): {master.Name} is MASTER");

        // The mail client, in its own namespace: a real SMTP dialogue with the VIP every 250 ms.
        var clientArgs = new List<string>(SelfCommand()[1..]) { "client", $"{Vip}:25", "--relay", "198.18.0.115:25", Path.Combine(_lab.Directory, "relay") };
        var client = ChildProcess.StartIn(_lab, cli, SelfCommand()[0], clientArgs, Path.Combine(_options.LogDirectory, "client.log"), line =>
        {
            if (MailResult.Parse(line) is { } mail)
            {
                _ledger.Add(mail);
            }
        }, redirectInput: true);
        using var watch = new CancellationTokenSource();
        var watcher = WatchVip(watch.Token);
        try
        {
            say("the client sends a mail to the VIP every 250 ms (EHLO, MAIL FROM, RCPT TO, DATA, QUIT)");
            var since = Ledger.Now;
            await WaitUntil(() => _ledger.DeliveredSince(since) >= 12, TimeSpan.FromSeconds(30), ct);
            if (_ledger.DeliveredSince(since) == 0)
            {
                throw new DemoFailure("no mail reached a backend through the VIP", LogHint());
            }

            ShowStatsPage(cli, master);
            var survivor = master == dc1 ? dc2 : dc1;
            say($"*** killing the master {master.Name}: kill -9 hanet-vrrpd (pid {master.Vrrpd!.Id}) and hanet-proxyd (pid {master.Proxyd!.Id}), then its link goes down (the node is dead)");
            _ledger.MarkKill();
            master.Dead = true;
            var kill = Ledger.Now;
            NetnsLab.TryRun("kill", $"-9 {master.Vrrpd.Id} {master.Proxyd.Id}");
            NetnsLab.SetLink(master.Ns, "eth0", up: false);
            master.Vrrpd.WaitForExit(TimeSpan.FromSeconds(5));
            master.Proxyd.WaitForExit(TimeSpan.FromSeconds(5));
            var takenAt = await WaitFor(() => NetnsLab.Ipv4Addresses(survivor.Ns).Contains(Vip) ? Ledger.Now : (long?)null, Bound, ct);
            long? failover = takenAt is { } t ? t - kill : null;
            say(failover is { } f
                ? $"*** FAILOVER: {survivor.Name} holds VIP {Vip} {f} ms after the kill"
                : $"*** no failover: {survivor.Name} did not take the VIP within {Bound.TotalSeconds} s");
            var afterKill = kill;
            await WaitUntil(() => _ledger.DeliveredSince(afterKill) >= 12, TimeSpan.FromSeconds(30), ct);
            ShowStatsPage(cli, survivor);

            var handback = "skipped";
            if (_options.Handback)
            {
                say($"*** {master.Name} reboots: fresh addresses (the VIP kill -9 left behind is gone), link up, hanet-proxyd and hanet-vrrpd start again");
                _ledger.MarkHandbackStart();
                var reboot = Ledger.Now;
                NetnsLab.TryRun("ip", $"-n {master.Ns} addr del {Vip}/32 dev eth0");
                NetnsLab.SetLink(master.Ns, "eth0", up: true);
                StartDaemons(master);
                master.Dead = false;
                if (HandbackExpected(master, survivor) is { } why)
                {
                    say($"    {why}");
                }

                var back = await WaitFor(() => NetnsLab.Ipv4Addresses(master.Ns).Contains(Vip) && !NetnsLab.Ipv4Addresses(survivor.Ns).Contains(Vip) ? Ledger.Now : (long?)null,
                    HandbackExpected(master, survivor) is null ? Bound : TimeSpan.FromSeconds(6), ct);
                if (back is { } b)
                {
                    handback = string.Create(CultureInfo.InvariantCulture, $"{b - reboot}ms");
                    say($"*** HANDBACK: {master.Name} holds the VIP again {b - reboot} ms after it came back");
                }
                else
                {
                    var stays = NetnsLab.Ipv4Addresses(survivor.Ns).Contains(Vip);
                    handback = stays ? "none" : "lost";
                    say(stays ? $"*** no handback: {master.Name} is BACKUP, {survivor.Name} keeps the VIP; the pair is redundant again" : "*** the VIP is on neither node");
                }

                var afterBack = Ledger.Now;
                await WaitUntil(() => _ledger.DeliveredSince(afterBack) >= 8, TimeSpan.FromSeconds(20), ct);
            }

            say("stopping the client");
            await client.Input.WriteLineAsync("stop");
            client.Input.Close();
            client.WaitForExit(TimeSpan.FromSeconds(10));
            await watch.CancelAsync();
            await watcher;
            _ledger.Flush();

            // Give Postfix's queue manager a moment to hand the last mails to the virtual agent.
            await Task.Delay(1500, ct);
            say($"Postfix delivered into the Maildirs: mx1 {Backends.Delivered(_lab, "mx1")}, mx2 {Backends.Delivered(_lab, "mx2")}; " +
                $"the smtp_server relay 198.18.0.115 received {CountFiles(Path.Combine(_lab.Directory, "relay"))} keepalived alert mail(s)");
            return _ledger.Conclude(failover, handback);
        }
        finally
        {
            await watch.CancelAsync();
            await watcher;
        }
    }

    /// <summary>The seed's <c>listen stats</c> (<c>bind *:9000 ssl crt ...</c>, <c>stats auth admin:p@ssw0rd</c>) read through the VIP, as its operators do from a browser.</summary>
    private void ShowStatsPage(string cli, Node master)
    {
        var self = SelfCommand();
        var (_, stdout, stderr) = NetnsLab.TryRun("ip", $"netns exec {cli} {string.Join(' ', self)} stats https://{Vip}:9000/;csv admin:p@ssw0rd", TimeSpan.FromSeconds(30));
        var line = stdout.Split('\n').FirstOrDefault(l => l.StartsWith("STATS ", StringComparison.Ordinal)) ?? "STATS error=" + stderr.Trim();
        _ledger.Say($"stats page https://{Vip}:9000/;csv on {master.Name} (TLS, admin:p@ssw0rd, from the seed's haproxy.cfg): {line[6..]}");
    }

    /// <summary>Per node: the seed's configs, the stats page certificate the config names, and the systemctl stand-in.</summary>
    private void PrepareNodeFiles()
    {
        var bin = Directory.CreateDirectory(Path.Combine(_lab.Directory, "bin")).FullName;
        var systemctl = Path.Combine(bin, "systemctl");

        // keepalived.conf tracks "systemctl status haproxy". The namespaces have no systemd: this stand-in answers
        // that one question for the node the script runs in (is hanet-proxyd running in my namespace?).
        File.WriteAllText(systemctl, """
            #!/bin/sh
            # Ha.Net demo: 'systemctl status haproxy' inside a node namespace = is this node's hanet-proxyd running?
            if [ "$1" = status ] && [ "$2" = haproxy ]; then
              ns=$(ip netns identify $$)
              for pid in $(ip netns pids "$ns"); do
                tr '\0' ' ' < /proc/$pid/cmdline 2>/dev/null | grep -q hanet-proxyd && { echo "haproxy (hanet-proxyd) active (running)"; exit 0; }
              done
              echo "haproxy inactive (dead)"; exit 3
            fi
            exec /usr/bin/systemctl "$@"

            """.Replace("\r\n", "\n", StringComparison.Ordinal));
        File.SetUnixFileMode(systemctl, (UnixFileMode)0b111_101_101);

        foreach (var node in _nodes.Values)
        {
            var dir = Directory.CreateDirectory(Path.Combine(_lab.Directory, node.Name)).FullName;
            File.Copy(Path.Combine(_options.ConfigDirectory, $"{node.Name}.keepalived.conf"), Path.Combine(dir, "keepalived.conf"), overwrite: true);
            File.Copy(Path.Combine(_options.ConfigDirectory, $"{node.Name}.haproxy.cfg"), Path.Combine(dir, "haproxy.cfg"), overwrite: true);

            // haproxy.cfg says "bind *:9000 ssl crt /etc/pki/tls/private/", "stats socket /var/lib/haproxy/stats" and
            // "pidfile /var/run/haproxy.pid": each node gets its own /etc, /var/lib and /run (overlays on the host's,
            // in hanet-proxyd's mount namespace) holding a self-signed certificate and /var/lib/haproxy.
            foreach (var layer in new[] { "etc", "var/lib", "run" })
            {
                Directory.CreateDirectory(Path.Combine(dir, "root", "upper", layer));
                Directory.CreateDirectory(Path.Combine(dir, "root", "work", layer));
            }

            var pki = Directory.CreateDirectory(Path.Combine(dir, "root", "upper", "etc", "pki", "tls", "private")).FullName;
            Directory.CreateDirectory(Path.Combine(dir, "root", "upper", "var/lib", "haproxy"));
            using var key = RSA.Create(2048);
            var request = new CertificateRequest($"CN={node.Name}server00.home.local", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            File.WriteAllText(Path.Combine(pki, "hanet-demo.pem"), cert.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n");
        }
    }

    /// <summary>Null when the returning node should take the VIP back (higher configured priority), else why not.</summary>
    private string? HandbackExpected(Node returning, Node holder)
    {
        var mine = Priority(returning);
        var theirs = Priority(holder);
        return mine > theirs ? null
            : mine == theirs ? $"(both keepalived.conf give priority {mine}: a BACKUP does not preempt a MASTER of equal priority, so no handback is expected)"
            : $"({returning.Name} has the lower priority {mine} < {theirs}: no handback expected)";
    }

    private int Priority(Node node)
    {
        var config = Ha.Net.Vrrp.Keepalived.KeepalivedConfigReader.Load(Path.Combine(_lab.Directory, node.Name, "keepalived.conf")).Config;
        return config is null ? 0 : Ha.Net.Vrrp.Keepalived.KeepalivedConfigMapper.ToVirtualRouterOptions(config).Routers is [var first, ..] ? first.Options.Priority : 0;
    }

    private void StartDaemons(Node node)
    {
        var dir = Path.Combine(_lab.Directory, node.Name);
        var boot = ++node.Boots;
        var suffix = boot == 1 ? "" : $".boot{boot}";
        const string Overlay = """
            set -e
            for d in etc var/lib run; do
              mount -t overlay overlay -o "lowerdir=/$d,upperdir=$R/upper/$d,workdir=$R/work/$d" "/$d"
            done
            exec "$@"
            """;
        node.Proxyd = ChildProcess.StartIn(_lab, node.Ns, "/bin/sh", ["-c", Overlay.Replace("\r\n", "\n", StringComparison.Ordinal), "sh", _options.Proxyd, "-f", Path.Combine(dir, "haproxy.cfg")],
            Path.Combine(_options.LogDirectory, $"{node.Name}.hanet-proxyd{suffix}.log"), line => Narrate(node, "hanet-proxyd", line),
            new Dictionary<string, string> { ["R"] = Path.Combine(dir, "root") });
        node.Vrrpd = ChildProcess.StartIn(_lab, node.Ns, _options.Vrrpd, ["-f", Path.Combine(dir, "keepalived.conf"), "-l", "-n"],
            Path.Combine(_options.LogDirectory, $"{node.Name}.hanet-vrrpd{suffix}.log"), line => Narrate(node, "hanet-vrrpd", line),
            new Dictionary<string, string> { ["PATH"] = Path.Combine(_lab.Directory, "bin") + ":" + (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin") });
        _ledger.Say($"{node.Name}: started hanet-proxyd -f {node.Name}.haproxy.cfg (pid {node.Proxyd.Id}) and hanet-vrrpd -f {node.Name}.keepalived.conf (pid {node.Vrrpd.Id})");
    }

    /// <summary>The daemons' lines the audience should see: VRRP state changes and server state changes.</summary>
    private void Narrate(Node node, string daemon, string line)
    {
        string[] keys = ["Entering MASTER STATE", "Entering BACKUP STATE", "Entering FAULT STATE", "Transition to MASTER", "is UP", "is DOWN", "error", "Error", "ERROR", "Unhandled", "ALERT"];
        if (keys.Any(k => line.Contains(k, StringComparison.Ordinal)))
        {
            _ledger.Say($"{node.Name} {daemon}: {Trim(Stamp().Replace(line, ""))}");
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\w{3} \w{3} +\d+ [\d:]+ \d{4}: ")]
    private static partial System.Text.RegularExpressions.Regex Stamp();

    private static string Trim(string line) => line.Length > 160 ? line[..160] + "..." : line;

    private async Task<Node?> WaitForSingleHolder(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + Bound;
        Node? stable = null;
        var stableSince = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline)
        {
            var holders = _nodes.Values.Where(n => NetnsLab.Ipv4Addresses(n.Ns).Contains(Vip)).ToList();
            var holder = holders.Count == 1 ? holders[0] : null;
            if (holder != stable)
            {
                stable = holder;
                stableSince = DateTime.UtcNow;
            }
            else if (holder is not null && DateTime.UtcNow - stableSince > TimeSpan.FromSeconds(2))
            {
                return holder;
            }

            await Task.Delay(50, ct);
        }

        return null;
    }

    /// <summary>Polls who holds the VIP (ip addr in each node namespace) and prints the mails once a second.</summary>
    private async Task WatchVip(CancellationToken ct)
    {
        var last = "";
        var lastFlush = DateTime.UtcNow;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var holders = _nodes.Values.Where(n => !n.Dead && NetnsLab.Ipv4Addresses(n.Ns).Contains(Vip)).Select(n => n.Name).ToList();
                var now = holders.Count == 0 ? "none" : string.Join('+', holders);
                _ledger.VipHolder = now;
                if (now != last)
                {
                    _ledger.Flush();
                    _ledger.Say($"ip addr: VIP {Vip} is on {now}");
                    last = now;
                }

                if (DateTime.UtcNow - lastFlush >= TimeSpan.FromSeconds(1))
                {
                    _ledger.Flush();
                    lastFlush = DateTime.UtcNow;
                }

                await Task.Delay(50, ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task WaitUntil(Func<bool> condition, TimeSpan bound, CancellationToken ct) =>
        await WaitFor(() => condition() ? true : (bool?)null, bound, ct);

    private static async Task<T?> WaitFor<T>(Func<T?> probe, TimeSpan bound, CancellationToken ct)
        where T : struct
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

    private static int CountFiles(string dir) => Directory.Exists(dir) ? Directory.GetFiles(dir).Length : 0;

    private string LogHint() => $"see the logs in {_options.LogDirectory}";

    /// <summary>How to run this program again (apphost, or dotnet + dll).</summary>
    public static string[] SelfCommand()
    {
        var path = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(path) == "dotnet"
            ? [path, Path.Combine(AppContext.BaseDirectory, "hanet-demo.dll")]
            : [path];
    }
}
