using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Ha.Net.Samples.Lab;

/// <summary>
/// A throw-away network lab in Linux network namespaces, for the demo (samples/Demo) and the tests: namespaces
/// named <c>{prefix}{pid}x{random}{role}</c> (or <c>{prefix}{pid}{role}</c> for a lab that is alone in its process),
/// veth links between namespaces or inside one, a switch namespace with bridge <c>br0</c> created on first
/// <see cref="Plug"/>, addresses, link up/down, commands run inside a namespace (<c>ip netns exec</c>) and code run
/// on a thread that entered one (<see cref="InNamespace{T}(string, Func{T})"/>). Teardown always undoes what it
/// made: the things handed to <see cref="Own{T}"/> are disposed (child processes killed), the
/// <see cref="OnDispose"/> actions run, every process still in its namespaces is killed, the namespaces are deleted
/// (which destroys their interfaces) and so is its directory. Namespaces of an earlier process with the same prefix
/// that died before tearing down (its pid is gone) are removed when the process's first lab of that prefix is made.
/// Addresses: 198.18.0.0/15 only, inside these namespaces.
/// </summary>
/// <remarks>
/// Compiled into two assemblies by linking (samples/Lab/*.cs): internal in hanet-demo, public in Ha.Net.Testing
/// (which widens it with a partial declaration), so the demo does not reference test code and the tests do not
/// reference the demo. Not part of any package.
/// </remarks>
[SupportedOSPlatform("linux")]
sealed partial class NetnsLab : IDisposable, IAsyncDisposable
{
    /// <summary>Where <c>ip netns add</c> puts its namespaces.</summary>
    public const string RunDirectory = "/run/netns";

    private const int CloneNewNet = 0x40000000;
    private static readonly TimeSpan CarrierBound = TimeSpan.FromSeconds(20);
    private static readonly Lock LeftoversGate = new();
    private static readonly HashSet<string> LeftoversCleaned = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly Lock _switchGate = new();
    private readonly List<string> _namespaces = [];
    private readonly List<object> _owned = [];
    private readonly List<Action> _cleanups = [];
    private readonly Action<string>? _report;
    private int _ports;
    private int _disposed;

    /// <summary>Creates the lab and its directory (mode 755); no namespace yet.</summary>
    /// <param name="prefix">The namespaces' first letters, one per kind of lab (<c>hnl</c>, <c>hnd</c>, ...).</param>
    /// <param name="directory">The lab's directory (created, and deleted at teardown); a new temp directory when null.</param>
    /// <param name="alone">True when this is the process's only lab of this prefix: names are then <c>{prefix}{pid}{role}</c>.</param>
    /// <param name="report">Where teardown problems go (a cleanup that threw, a directory that could not be deleted).</param>
    public NetnsLab(string prefix = "hnl", string? directory = null, bool alone = false, Action<string>? report = null)
    {
        Prefix = prefix;
        _report = report;
        LeftoversRemoved = RemoveLeftoversOnce(prefix);
        Id = alone
            ? prefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{prefix}{Environment.ProcessId}x{Random.Shared.Next(0x1000, 0xFFFF):x4}");
        Directory = directory ?? System.IO.Directory.CreateTempSubdirectory(Id + "-").FullName;
        System.IO.Directory.CreateDirectory(Directory);
        File.SetUnixFileMode(Directory, (UnixFileMode)0b111_101_101);
    }

    /// <summary>The prefix of this lab's namespace names.</summary>
    public string Prefix { get; }

    /// <summary>The common start of this lab's namespace names.</summary>
    public string Id { get; }

    /// <summary>The lab's directory (configs, logs, sockets), deleted at teardown.</summary>
    public string Directory { get; }

    /// <summary>The switch namespace (bridge br0), once something was plugged in.</summary>
    public string? SwitchNamespace { get; private set; }

    /// <summary>The namespaces made so far, in order.</summary>
    public IReadOnlyList<string> Namespaces
    {
        get
        {
            lock (_gate)
            {
                return [.. _namespaces];
            }
        }
    }

    /// <summary>How many namespaces of dead processes this lab's creation removed (0 when an earlier lab of the process did it).</summary>
    public int LeftoversRemoved { get; }

    /// <summary>Creates namespace <c>{Id}{role}</c> with loopback up and IPv6 DAD off (link-local addresses usable at once).</summary>
    public string AddNamespace(string role)
    {
        var name = Id + role;
        Ip($"netns add {name}");
        lock (_gate)
        {
            _namespaces.Add(name);
        }

        Ip($"-n {name} link set lo up");
        Exec(name, "sysctl", "-q -w net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0");
        return name;
    }

    /// <summary>A veth pair between two namespaces (or inside one), both ends up with carrier; a null MAC is the kernel's choice.</summary>
    public void Link(string nsA, string ifA, string? macA, string nsB, string ifB, string? macB)
    {
        Ip($"-n {nsA} link add {ifA}{Mac(macA)} type veth peer name {ifB}{Mac(macB)} netns {nsB}");
        Ip($"-n {nsA} link set {ifA} up");
        Ip($"-n {nsB} link set {ifB} up");
        WaitForCarrier(nsA, ifA);
        WaitForCarrier(nsB, ifB);
    }

    /// <summary>A veth pair whose two ends are both inside <paramref name="ns"/>, both up with carrier.</summary>
    public void Veth(string ns, string ifA, string ifB) => Link(ns, ifA, null, ns, ifB, null);

    /// <summary>
    /// Plugs <paramref name="ns"/> into the switch (its namespace and bridge br0 made on first use) with interface
    /// <paramref name="ifName"/> (MAC <paramref name="mac"/>, or the kernel's) holding <paramref name="cidrs"/>; returns the
    /// switch port (p1, p2, ... in plug order). Both ends are up with carrier when it returns.
    /// </summary>
    public string Plug(string ns, string ifName, string? mac, params string[] cidrs)
    {
        string sw;
        string port;
        lock (_switchGate)
        {
            if (SwitchNamespace is null)
            {
                var name = AddNamespace("sw");
                Ip($"-n {name} link add br0 type bridge forward_delay 0 mcast_snooping 0");
                Ip($"-n {name} link set br0 up");
                SwitchNamespace = name;
            }

            sw = SwitchNamespace;
            port = "p" + (++_ports).ToString(CultureInfo.InvariantCulture);
        }

        Ip($"-n {sw} link add {port}{Mac(RandomMac())} type veth peer name {ifName}{Mac(mac)} netns {ns}");
        Ip($"-n {sw} link set {port} master br0");
        Ip($"-n {sw} link set {port} up");
        foreach (var cidr in cidrs)
        {
            AddAddress(ns, cidr, ifName);
        }

        Ip($"-n {ns} link set {ifName} up");
        WaitForCarrier(sw, port);
        WaitForCarrier(ns, ifName);
        return port;
    }

    /// <summary>Sets a switch port (as <see cref="Plug"/> returned it) up or down: the node's cable.</summary>
    public void SetPort(string port, bool up) => SetLink(SwitchNamespace ?? throw new InvalidOperationException("nothing is plugged in"), port, up);

    /// <summary>Isolates a switch port from the other isolated ports (bridge port isolation), or heals it.</summary>
    public void Isolate(string port, bool isolated) =>
        Exec(SwitchNamespace ?? throw new InvalidOperationException("nothing is plugged in"), "bridge", $"link set dev {port} isolated {(isolated ? "on" : "off")}");

    /// <summary>Adds <paramref name="cidr"/> to <paramref name="ns"/>'s <paramref name="ifName"/>.</summary>
    public static void AddAddress(string ns, string cidr, string ifName = "eth0") => Ip($"-n {ns} addr add {cidr} dev {ifName}");

    /// <summary>Sets <paramref name="ns"/>'s <paramref name="ifName"/> up or down.</summary>
    public static void SetLink(string ns, string ifName, bool up) => Ip($"-n {ns} link set {ifName} {(up ? "up" : "down")}");

    /// <summary>A new veth's carrier comes up asynchronously and frames sent before are lost: waits (20 s bound) for LOWER_UP.</summary>
    public static void WaitForCarrier(string ns, string ifName)
    {
        var deadline = DateTime.UtcNow + CarrierBound;
        while (!Ip($"-n {ns} -o link show {ifName}").Contains(",LOWER_UP", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{ns}/{ifName} has no carrier after {CarrierBound.TotalSeconds} s.");
            }

            Thread.Sleep(10);
        }
    }

    /// <summary>The IPv4 addresses (without prefix length) of <paramref name="ns"/>'s <paramref name="ifName"/>; empty when the namespace or link is gone.</summary>
    public static IReadOnlyList<string> Ipv4Addresses(string ns, string ifName = "eth0")
    {
        var (code, stdout, _) = TryRun("ip", $"-n {ns} -o -4 addr show dev {ifName}", TimeSpan.FromSeconds(5));
        return code != 0 ? [] : [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(w => Array.IndexOf(w, "inet") is var i and >= 0 && i + 1 < w.Length ? w[i + 1].Split('/')[0] : "")
            .Where(a => a.Length > 0)];
    }

    /// <summary>Hands <paramref name="item"/> (a child process, a listener) to the lab: disposed first at teardown (asynchronously when it can be).</summary>
    public T Own<T>(T item)
        where T : IDisposable
    {
        lock (_gate)
        {
            _owned.Add(item);
        }

        return item;
    }

    /// <summary>Something else to undo at teardown, after the owned things and before the namespaces go; run last-added first.</summary>
    public void OnDispose(Action cleanup)
    {
        lock (_gate)
        {
            _cleanups.Add(cleanup);
        }
    }

    /// <summary>The arguments of <c>ip</c> that run <paramref name="file"/> inside <paramref name="ns"/> (ip execs it: the pid is the command's).</summary>
    public static string[] ExecArguments(string ns, string file, IEnumerable<string> args) => ["netns", "exec", ns, file, .. args];

    /// <summary>Runs <c>ip ARGS</c>; its stdout, or an exception with its stderr.</summary>
    public static string Ip(string args) => Run("ip", args);

    /// <summary>Runs <c>FILE ARGS</c> inside <paramref name="ns"/>; its stdout, or an exception with its stderr.</summary>
    public static string Exec(string ns, string file, string args) => Run("ip", $"netns exec {ns} {file} {args}");

    /// <summary>Runs <paramref name="action"/> on a new thread that entered <paramref name="ns"/> (sockets it opens stay there); 30 s bound.</summary>
    public static Task<T> InNamespace<T>(string ns, Func<T> action)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle(Path.Combine(RunDirectory, ns), FileMode.Open, FileAccess.Read);
                var added = false;
                handle.DangerousAddRef(ref added);
                try
                {
                    if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                    {
                        var errno = Marshal.GetLastPInvokeError();
                        throw new IOException($"setns({ns}, CLONE_NEWNET) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
                    }
                }
                finally
                {
                    if (added)
                    {
                        handle.DangerousRelease();
                    }
                }

                done.SetResult(action());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "netns " + ns,
        };
        thread.Start();
        return done.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Runs an async opener inside <paramref name="ns"/>, blocking that thread until it completes.</summary>
    public static Task<T> InNamespace<T>(string ns, Func<Task<T>> action) =>
        InNamespace(ns, () => action().GetAwaiter().GetResult());

    /// <summary>Tears the lab down (see the type's summary); owned things are disposed synchronously.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var item in TakeOwned())
        {
            ((IDisposable)item).Dispose();
        }

        TearDown();
    }

    /// <summary>Tears the lab down (see the type's summary); owned things that can be are disposed asynchronously.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var item in TakeOwned())
        {
            if (item is IAsyncDisposable async)
            {
                await async.DisposeAsync();
            }
            else
            {
                ((IDisposable)item).Dispose();
            }
        }

        TearDown();
    }

    /// <summary>Whether this process may create network namespaces (Linux, root, a working <c>ip netns</c>); the reason if not.</summary>
    public static (bool Ok, string Reason) CanUseNamespaces()
    {
        if (!OperatingSystem.IsLinux())
        {
            return (false, "not Linux");
        }

        if (Environment.UserName != "root" && !string.Equals(TryRun("id", "-u").Stdout.Trim(), "0", StringComparison.Ordinal))
        {
            return (false, "not root (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN)");
        }

        var probe = string.Create(CultureInfo.InvariantCulture, $"hnprobe{Environment.ProcessId}x{Random.Shared.Next(0x1000, 0xFFFF):x4}");
        var (code, _, err) = TryRun("ip", $"netns add {probe}");
        if (code != 0)
        {
            return (false, $"'ip netns add' failed: {err.Trim()}");
        }

        TryRun("ip", $"netns del {probe}");
        return (true, "");
    }

    /// <summary>
    /// Removes the namespaces named <c>{prefix}{pid}...</c> whose process is gone (killed before it could tear down):
    /// the processes left in them, then the namespaces. Returns how many.
    /// </summary>
    public static int RemoveLeftovers(string prefix)
    {
        if (!System.IO.Directory.Exists(RunDirectory))
        {
            return 0;
        }

        var removed = 0;
        foreach (var name in ExistingNamespaces(prefix))
        {
            var digits = new string([.. name.Skip(prefix.Length).TakeWhile(char.IsAsciiDigit)]);
            if (digits.Length == 0 || !int.TryParse(digits, CultureInfo.InvariantCulture, out var pid) || System.IO.Directory.Exists($"/proc/{pid}"))
            {
                continue;
            }

            KillNamespaceProcesses(name);
            TryRun("ip", $"netns del {name}", TimeSpan.FromSeconds(10));
            removed++;
        }

        return removed;
    }

    /// <summary>The namespaces whose names start with <paramref name="prefix"/>.</summary>
    public static IReadOnlyList<string> ExistingNamespaces(string prefix) =>
        System.IO.Directory.Exists(RunDirectory) ? [.. System.IO.Directory.GetFiles(RunDirectory, prefix + "*").Select(Path.GetFileName).OfType<string>()] : [];

    /// <summary>Processes (but this one) whose command line mentions <paramref name="text"/>, as <c>pid cmdline</c>.</summary>
    public static IReadOnlyList<string> ProcessesMentioning(string text)
    {
        var found = new List<string>();
        foreach (var dir in System.IO.Directory.GetDirectories("/proc"))
        {
            var pid = Path.GetFileName(dir);
            if (!pid.All(char.IsAsciiDigit) || pid == Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim();
                if (cmdline.Contains(text, StringComparison.Ordinal))
                {
                    found.Add($"{pid} {cmdline}");
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    /// <summary>SIGKILL to every process in <paramref name="ns"/>, again to any still listed, until none is (bounded: about 5 s).</summary>
    public static void KillNamespaceProcesses(string ns)
    {
        for (var round = 0; round < 100; round++)
        {
            var (code, pids, _) = TryRun("ip", $"netns pids {ns}", TimeSpan.FromSeconds(10));
            var list = code == 0 ? pids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
            if (list.Length == 0)
            {
                return;
            }

            foreach (var pid in list)
            {
                if (!int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    continue;
                }

                try
                {
                    using var process = Process.GetProcessById(id);
                    process.Kill();
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                }
            }

            Thread.Sleep(50);
        }
    }

    /// <summary>Runs <c>FILE ARGS</c> (30 s bound unless told); its stdout, or an exception with its stderr (<see cref="TimeoutException"/> when it outlived the bound).</summary>
    public static string Run(string file, string args, TimeSpan? timeout = null)
    {
        var (code, stdout, stderr) = TryRun(file, args, timeout);
        return code switch
        {
            0 => stdout,
            -1 => throw new TimeoutException($"'{file} {args}' {stderr}"),
            _ => throw new InvalidOperationException($"'{file} {args}' exited {code}: {stderr.Trim()} {stdout.Trim()}"),
        };
    }

    /// <summary>Runs <c>FILE ARGS</c> (30 s bound unless told); code -1 when it could not start or outlived the bound (and was killed).</summary>
    public static (int Code, string Stdout, string Stderr) TryRun(string file, string args, TimeSpan? timeout = null)
    {
        var bound = timeout ?? TimeSpan.FromSeconds(30);
        using var p = new Process
        {
            StartInfo = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false },
        };
        try
        {
            p.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, "", ex.Message);
        }

        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(bound))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(5_000);
            return (-1, "", $"timed out after {bound.TotalSeconds:0} s");
        }

        p.WaitForExit(); // and for stdout and stderr to reach their ends
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private static string Mac(string? mac) => mac is null ? "" : " address " + mac;

    private static string RandomMac() => $"02:00:c6:13:{Random.Shared.Next(256):x2}:{Random.Shared.Next(256):x2}";

    private static int RemoveLeftoversOnce(string prefix)
    {
        lock (LeftoversGate)
        {
            return LeftoversCleaned.Add(prefix) ? RemoveLeftovers(prefix) : 0;
        }
    }

    private List<object> TakeOwned()
    {
        lock (_gate)
        {
            var owned = Enumerable.Reverse(_owned).ToList();
            _owned.Clear();
            return owned;
        }
    }

    private void TearDown()
    {
        List<Action> cleanups;
        List<string> namespaces;
        lock (_gate)
        {
            cleanups = [.. Enumerable.Reverse(_cleanups)];
            namespaces = [.. _namespaces];
        }

        foreach (var cleanup in cleanups)
        {
            try
            {
                cleanup();
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or TimeoutException)
            {
                _report?.Invoke($"cleanup: {ex.Message}");
            }
        }

        foreach (var ns in namespaces)
        {
            KillNamespaceProcesses(ns);
        }

        foreach (var ns in Enumerable.Reverse(namespaces))
        {
            TryRun("ip", $"netns del {ns}", TimeSpan.FromSeconds(10));
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _report?.Invoke($"could not delete {Directory}: {ex.Message}");
        }
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
