using System.Net;
using System.Net.Sockets;
using Ha.Net.Testing.Environment;
using Ha.Net.Testing.Files;

namespace Ha.Net.Vrrp.Linux.Lab;

/// <summary>
/// The failover lab: a switch namespace (bridge br0) with node A (198.18.0.11, 02:00:c6:12:00:0b, port p1),
/// node B (198.18.0.12, 02:00:c6:12:00:0c, port p2) and a client (198.18.0.50, port p3). The VIP is
/// 198.18.0.100/24. Nodes are Ha.Net.VrrpNode processes or keepalived, started under <c>ip netns exec</c>.
/// </summary>
internal sealed class VrrpTopology : IAsyncDisposable
{
    public const string Vip = "198.18.0.100";
    public const string MacA = "02:00:c6:12:00:0b";
    public const string MacB = "02:00:c6:12:00:0c";
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly string _portA;
    private readonly string _portB;

    private VrrpTopology(NetnsLab lab, string a, string b, string client, string portA, string portB)
    {
        Lab = lab;
        A = a;
        B = b;
        Client = client;
        _portA = portA;
        _portB = portB;
    }

    public NetnsLab Lab { get; }

    public string A { get; }

    public string B { get; }

    public string Client { get; }

    public static VrrpTopology Create()
    {
        var lab = new NetnsLab();
        try
        {
            var a = lab.AddNamespace("a");
            var b = lab.AddNamespace("b");
            var c = lab.AddNamespace("c");
            var portA = lab.Plug(a, "eth0", MacA, "198.18.0.11/24");
            var portB = lab.Plug(b, "eth0", MacB, "198.18.0.12/24");
            lab.Plug(c, "eth0", "02:00:c6:12:00:32", "198.18.0.50/24");
            return new VrrpTopology(lab, a, b, c, portA, portB);
        }
        catch
        {
            lab.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>Starts an Ha.Net node: <c>--name VI_1 --interface eth0 --vip 198.18.0.100/24</c> plus <paramref name="args"/>.</summary>
    public VrrpNodeProcess StartHaNet(string ns, string args, string vip = Vip + "/24") =>
        new(Lab.Start(ns, "dotnet", $"{VrrpNodeProcess.DllPath} --name VI_1 --interface eth0 --vip {vip} {args}"));

    public Keepalived StartKeepalived(string ns, int version, int priority, string advertInt, string? password = null, string extra = "") =>
        Keepalived.Start(Lab, ns, TestData.KeepalivedConfig("eth0", version, priority, password, vip: Vip + "/24", advertInt: advertInt, extra: extra));

    public static bool HasVip(string ns, string vip = Vip) => NetnsLab.Ip($"-n {ns} -o addr show dev eth0").Contains($" {vip}/", StringComparison.Ordinal);

    /// <summary>Waits (bounded) until the VIP is on <paramref name="owner"/> and on no other node namespace.</summary>
    public async Task<bool> VipOnlyOn(string owner)
    {
        var other = owner == A ? B : A;
        return await Eventually(() => HasVip(owner) && !HasVip(other));
    }

    /// <summary>The switch port of a node (A's or B's) up or down.</summary>
    public void SetPort(string ns, bool up) => Lab.SetPort(ns == A ? _portA : _portB, up);

    /// <summary>Isolates A and B from each other on the bridge (the client still reaches both), or heals it.</summary>
    public void Partition(bool isolated)
    {
        Lab.Isolate(_portA, isolated);
        Lab.Isolate(_portB, isolated);
    }

    /// <summary>The client talks to the VIP (a TCP connect to a closed port: the answer does not matter), so it has a neighbour entry.</summary>
    public async Task TouchVipFromClient(string vip = Vip)
    {
        await NetnsLab.InNamespace(Client, () =>
        {
            var address = IPAddress.Parse(vip);
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.ConnectAsync(new IPEndPoint(address, 9)).Wait(TimeSpan.FromSeconds(2));
            }
            catch (AggregateException)
            {
            }

            return 0;
        });
    }

    /// <summary>The MAC the client's neighbour entry holds for the VIP (null when none).</summary>
    public string? ClientMac(string vip = Vip)
    {
        var words = NetnsLab.Ip($"-n {Client} neigh show {vip} dev eth0").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var i = Array.IndexOf(words, "lladdr");
        return i >= 0 && i + 1 < words.Length ? words[i + 1] : null;
    }

    public Task<bool> ClientFollows(string mac, string vip = Vip) => Eventually(() => ClientMac(vip) == mac);

    public static async Task<bool> Eventually(Func<bool> condition, TimeSpan? bound = null)
    {
        var deadline = DateTime.UtcNow + (bound ?? Bound);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(25);
        }

        return true;
    }

    public ValueTask DisposeAsync() => Lab.DisposeAsync();
}

/// <summary>An Ha.Net.VrrpNode process: its <c>STATE VI_1 MASTER 150 …</c> lines tell its state.</summary>
internal sealed class VrrpNodeProcess
{
    private static readonly Lazy<string> Dll = new(() => TestFiles.Built("tests/Ha.Net.VrrpNode", "Ha.Net.VrrpNode.dll"));

    public VrrpNodeProcess(ChildProcess process) => Process = process;

    public static string DllPath => Dll.Value;

    public ChildProcess Process { get; }

    public string Log => Process.Output;

    /// <summary>The last reported state (MASTER, BACKUP, FAULT, STOP), or null before the first.</summary>
    public string? State => Log.Split('\n').Where(l => l.StartsWith("STATE ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).LastOrDefault();

    public int Count(string state) => Process.CountOf($"STATE VI_1 {state} ");

    /// <summary>Waits (bounded) until the current state is <paramref name="state"/>; fails with the log otherwise.</summary>
    public async Task WaitFor(string state)
    {
        if (!await VrrpTopology.Eventually(() => State == state))
        {
            throw new Xunit.Sdk.XunitException($"The node did not reach {state} within {VrrpTopology.Bound.TotalSeconds} s. Its log:\n{Log}");
        }
    }

    public void Kill9() => Process.Signal("KILL");

    public void Terminate() => Process.Signal("TERM");
}
