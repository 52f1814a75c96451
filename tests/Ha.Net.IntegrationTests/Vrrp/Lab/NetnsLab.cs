using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Ha.Net.Testing.Environment;
using Ha.Net.Vrrp.Linux.Namespaces;
using static Ha.Net.Testing.Environment.ProcessRunner;

namespace Ha.Net.Vrrp.Linux.Lab;

/// <summary>
/// A throw-away network lab for one test: network namespaces named <c>hnl{pid}x{random}{role}</c>,
/// veth links, an optional bridge ("switch") namespace, and child processes started inside
/// namespaces. Disposal kills every process it started or that lives in its namespaces and deletes
/// the namespaces (which destroys their interfaces). Leftovers of test processes that died without
/// cleaning up (their pid is gone) are removed when the first lab of a process is created.
/// Addresses used: 198.18.0.0/24 only, inside these namespaces.
/// </summary>
internal sealed class NetnsLab : IAsyncDisposable
{
    public const string Prefix = "hnl";
    private static readonly object LeftoversLock = new();
    private static bool _leftoversCleaned;
    private readonly List<string> _namespaces = [];
    private readonly ConcurrentBag<ChildProcess> _processes = [];
    private readonly string _id;
    private int _switchPorts;

    public NetnsLab()
    {
        CleanLeftovers();
        _id = $"{Prefix}{Environment.ProcessId}x{Random.Shared.Next(0x1000, 0xFFFF):x4}";
        Directory = Path.Combine(Path.GetTempPath(), _id);
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>A temp directory for this lab's files (configs, logs), deleted on disposal.</summary>
    public string Directory { get; }

    public string? SwitchNamespace { get; private set; }

    /// <summary>Creates a namespace with loopback up and IPv6 DAD off (so link-local addresses are usable at once).</summary>
    public string AddNamespace(string role)
    {
        var name = _id + role;
        Ip($"netns add {name}");
        _namespaces.Add(name);
        Ip($"-n {name} link set lo up");
        Exec(name, "sysctl", "-q -w net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0");
        return name;
    }

    /// <summary>A veth pair between two namespaces, both ends up, with fixed MACs.</summary>
    public void Link(string nsA, string ifA, string macA, string nsB, string ifB, string macB)
    {
        Ip($"-n {nsA} link add {ifA} address {macA} type veth peer name {ifB} address {macB} netns {nsB}");
        Ip($"-n {nsA} link set {ifA} up");
        Ip($"-n {nsB} link set {ifB} up");
        WaitForCarrier(nsA, ifA);
        WaitForCarrier(nsB, ifB);
    }

    /// <summary>A new veth's carrier comes up asynchronously; frames sent before are lost. Waits (bounded) for LOWER_UP.</summary>
    public static void WaitForCarrier(string ns, string ifName)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!Ip($"-n {ns} -o link show {ifName}").Contains(",LOWER_UP", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{ns}/{ifName} has no carrier after 20 s.");
            }

            Thread.Sleep(10);
        }
    }

    /// <summary>Creates the switch namespace (a bridge br0) on first use and plugs <paramref name="ns"/>'s <paramref name="ifName"/> into it.</summary>
    public void Plug(string ns, string ifName, string mac, string? cidr)
    {
        if (SwitchNamespace is null)
        {
            SwitchNamespace = AddNamespace("sw");
            Ip($"-n {SwitchNamespace} link add br0 type bridge forward_delay 0 mcast_snooping 0");
            Ip($"-n {SwitchNamespace} link set br0 up");
        }

        var port = "p" + Interlocked.Increment(ref _switchPorts).ToString(CultureInfo.InvariantCulture);
        Link(SwitchNamespace, port, RandomMac(), ns, ifName, mac);
        Ip($"-n {SwitchNamespace} link set {port} master br0");
        if (cidr is not null)
        {
            Ip($"-n {ns} addr add {cidr} dev {ifName}");
        }
    }

    /// <summary>The switch port a node was plugged into (p1, p2, ... in plug order).</summary>
    public static string Port(int index) => "p" + index.ToString(CultureInfo.InvariantCulture);

    public static string Ip(string args) => Run("ip", args);

    public void Ip_AddSecondary(string ns, string cidr) => Ip($"-n {ns} addr add {cidr} dev eth0");

    public static string Exec(string ns, string file, string args) => Run("ip", $"netns exec {ns} {file} {args}");

    /// <summary>Runs <paramref name="action"/> on a thread inside <paramref name="ns"/> (sockets it opens stay there).</summary>
    public static async Task<T> InNamespace<T>(string ns, Func<T> action) =>
        await NetworkNamespace.RunAsync(ns, action).WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>Runs an async opener inside <paramref name="ns"/>, blocking that thread until it completes.</summary>
    public static Task<T> InNamespace<T>(string ns, Func<Task<T>> action) =>
        InNamespace(ns, () => action().GetAwaiter().GetResult());

    /// <summary>Starts a process inside <paramref name="ns"/>; its output is collected; it is killed on disposal.</summary>
    public ChildProcess Start(string ns, string file, string args)
    {
        var process = ChildProcess.Start("ip", $"netns exec {ns} {file} {args}", Path.GetFileName(file));
        _processes.Add(process);
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        foreach (var ns in _namespaces)
        {
            KillNamespaceProcesses(ns);
        }

        foreach (var ns in Enumerable.Reverse(_namespaces))
        {
            TryRun("ip", $"netns del {ns}");
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }

        await Task.CompletedTask;
    }

    private static string RandomMac() => $"02:00:c6:13:{Random.Shared.Next(256):x2}:{Random.Shared.Next(256):x2}";

    private static void KillNamespaceProcesses(string ns)
    {
        var (code, pids, _) = TryRun("ip", $"netns pids {ns}", TimeSpan.FromSeconds(10));
        if (code != 0)
        {
            return;
        }

        foreach (var pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                try
                {
                    using var process = Process.GetProcessById(id);
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(5_000);
                }
                catch (ArgumentException)
                {
                }
                catch (InvalidOperationException)
                {
                }
            }
        }
    }

    /// <summary>Removes namespaces of earlier test processes that died without disposing their lab.</summary>
    private static void CleanLeftovers()
    {
        lock (LeftoversLock)
        {
            if (_leftoversCleaned)
            {
                return;
            }

            _leftoversCleaned = true;
            if (!System.IO.Directory.Exists(NetworkNamespace.RunDirectory))
            {
                return;
            }

            foreach (var path in System.IO.Directory.GetFiles(NetworkNamespace.RunDirectory, Prefix + "*"))
            {
                var name = Path.GetFileName(path);
                var digits = new string(name.AsSpan(Prefix.Length).ToArray().TakeWhile(char.IsAsciiDigit).ToArray());
                if (digits.Length == 0 || !int.TryParse(digits, CultureInfo.InvariantCulture, out var pid) || System.IO.Directory.Exists($"/proc/{pid}"))
                {
                    continue;
                }

                KillNamespaceProcesses(name);
                TryRun("ip", $"netns del {name}", TimeSpan.FromSeconds(10));
            }
        }
    }
}
