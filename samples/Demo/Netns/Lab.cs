using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Ha.Net.Samples.Demo.Netns;

/// <summary>
/// The demo's network lab: namespaces named <c>hnd{pid}{role}</c> (so a later run can tell leftovers of a
/// dead run from a live one), a switch namespace with bridge br0, veth links whose namespace end is
/// always <c>eth0</c>, and child processes started under <c>ip netns exec</c>. Disposal kills every process it
/// started and every process left in its namespaces, deletes the namespaces and the run directory.
/// </summary>
internal sealed class Lab : IDisposable
{
    public const string Prefix = "hnd";
    private readonly List<string> _namespaces = [];
    private readonly ConcurrentBag<ChildProcess> _processes = [];
    private readonly List<Action> _cleanups = [];
    private int _ports;

    public Lab(string runDirectory)
    {
        Id = $"{Prefix}{Environment.ProcessId}";
        RunDirectory = runDirectory;
        Directory.CreateDirectory(runDirectory);
    }

    public string Id { get; }

    public string RunDirectory { get; }

    public string? Switch { get; private set; }

    public IReadOnlyList<string> Namespaces => _namespaces;

    /// <summary>Whether this process may create network namespaces (root and a working <c>ip netns</c>); the reason if not.</summary>
    public static (bool Ok, string Reason) CanUseNamespaces()
    {
        if (!OperatingSystem.IsLinux())
        {
            return (false, "not Linux");
        }

        if (Environment.UserName != "root" && !string.Equals(Run("id", "-u").Stdout.Trim(), "0", StringComparison.Ordinal))
        {
            return (false, "not root (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN)");
        }

        var probe = $"{Prefix}{Environment.ProcessId}probe";
        var (code, _, err) = Run("ip", $"netns add {probe}");
        if (code != 0)
        {
            return (false, $"'ip netns add' failed: {err.Trim()}");
        }

        Run("ip", $"netns del {probe}");
        return (true, "");
    }

    public string AddNamespace(string role)
    {
        var name = Id + role;
        Must("ip", $"netns add {name}");
        _namespaces.Add(name);
        Must("ip", $"-n {name} link set lo up");
        return name;
    }

    /// <summary>Plugs <paramref name="ns"/> into the switch (created on first use) with interface eth0 and the given addresses.</summary>
    public void Plug(string ns, string mac, params string[] cidrs)
    {
        if (Switch is null)
        {
            Switch = AddNamespace("sw");
            Must("ip", $"-n {Switch} link add br0 type bridge forward_delay 0 mcast_snooping 0");
            Must("ip", $"-n {Switch} link set br0 up");
        }

        var port = "p" + (++_ports).ToString(CultureInfo.InvariantCulture);
        Must("ip", $"-n {Switch} link add {port} type veth peer name eth0 address {mac} netns {ns}");
        Must("ip", $"-n {Switch} link set {port} master br0");
        Must("ip", $"-n {Switch} link set {port} up");
        foreach (var cidr in cidrs)
        {
            Must("ip", $"-n {ns} addr add {cidr} dev eth0");
        }

        Must("ip", $"-n {ns} link set eth0 up");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!Must("ip", $"-n {ns} -o link show eth0").Contains("LOWER_UP", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{ns}/eth0 has no carrier after 20 s");
            }

            Thread.Sleep(10);
        }
    }

    /// <summary>Starts <paramref name="file"/> inside <paramref name="ns"/>; output goes to <paramref name="logFile"/> and <paramref name="onLine"/>.</summary>
    public ChildProcess Start(string ns, string file, IEnumerable<string> args, string logFile, Action<string>? onLine = null,
        IDictionary<string, string>? environment = null, bool redirectInput = false)
    {
        var child = ChildProcess.Start("ip", ["netns", "exec", ns, file, .. args], logFile, onLine, environment, redirectInput);
        _processes.Add(child);
        return child;
    }

    /// <summary>Something else to undo on disposal (run before the namespaces go).</summary>
    public void OnDispose(Action cleanup) => _cleanups.Add(cleanup);

    /// <summary>Addresses of <paramref name="ns"/>'s eth0 (IPv4, without prefix); empty when the namespace or link is gone.</summary>
    public static IReadOnlyList<string> Addresses(string ns)
    {
        var (code, stdout, _) = Run("ip", $"-n {ns} -o -4 addr show dev eth0", 5_000);
        return code != 0 ? [] : [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(w => Array.IndexOf(w, "inet") is var i and >= 0 && i + 1 < w.Length ? w[i + 1].Split('/')[0] : "")
            .Where(a => a.Length > 0)];
    }

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            p.Kill();
        }

        foreach (var cleanup in Enumerable.Reverse(_cleanups))
        {
            try
            {
                cleanup();
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or TimeoutException)
            {
                Console.Error.WriteLine($"hanet-demo: cleanup: {ex.Message}");
            }
        }

        foreach (var ns in _namespaces)
        {
            KillNamespaceProcesses(ns);
        }

        foreach (var ns in Enumerable.Reverse(_namespaces))
        {
            Run("ip", $"netns del {ns}", 10_000);
        }

        foreach (var p in _processes)
        {
            p.Dispose();
        }

        try
        {
            Directory.Delete(RunDirectory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"hanet-demo: could not delete {RunDirectory}: {ex.Message}");
        }
    }

    /// <summary>Namespaces of earlier demo runs whose process is gone (killed before it could tear down): their processes and the namespaces.</summary>
    public static int RemoveLeftovers()
    {
        if (!Directory.Exists("/run/netns"))
        {
            return 0;
        }

        var removed = 0;
        foreach (var path in Directory.GetFiles("/run/netns", Prefix + "*"))
        {
            var name = Path.GetFileName(path);
            var digits = new string([.. name.Skip(Prefix.Length).TakeWhile(char.IsAsciiDigit)]);
            if (digits.Length == 0 || !int.TryParse(digits, CultureInfo.InvariantCulture, out var pid) || Directory.Exists($"/proc/{pid}"))
            {
                continue;
            }

            KillNamespaceProcesses(name);
            Run("ip", $"netns del {name}", 10_000);
            removed++;
        }

        return removed;
    }

    /// <summary>Namespaces named with the demo's prefix that still exist (for the final check).</summary>
    public static IReadOnlyList<string> ExistingNamespaces(string prefix) =>
        Directory.Exists("/run/netns") ? [.. Directory.GetFiles("/run/netns", prefix + "*").Select(Path.GetFileName).OfType<string>()] : [];

    /// <summary>Processes whose command line mentions <paramref name="text"/> (for the final check).</summary>
    public static IReadOnlyList<string> ProcessesMentioning(string text)
    {
        var found = new List<string>();
        foreach (var dir in Directory.GetDirectories("/proc"))
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

    public static void KillNamespaceProcesses(string ns)
    {
        for (var round = 0; round < 3; round++)
        {
            var (code, pids, _) = Run("ip", $"netns pids {ns}", 10_000);
            var list = code == 0 ? pids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
            if (list.Length == 0)
            {
                return;
            }

            foreach (var pid in list)
            {
                Run("kill", $"-9 {pid}", 5_000);
            }

            Thread.Sleep(100);
        }
    }

    public static string Must(string file, string args)
    {
        var (code, stdout, stderr) = Run(file, args);
        return code == 0 ? stdout : throw new InvalidOperationException($"'{file} {args}' exited {code}: {stderr.Trim()} {stdout.Trim()}");
    }

    public static (int Code, string Stdout, string Stderr) Run(string file, string args, int timeoutMs = 30_000)
    {
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
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(5_000);
            return (-1, "", $"timed out after {timeoutMs} ms");
        }

        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>A child process whose output lines go to a log file and a callback; killed (SIGKILL) on disposal.</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Action<string>? _onLine;
    private readonly object _gate = new();
    private readonly StringBuilder _output = new();

    private ChildProcess(Process process, StreamWriter log, Action<string>? onLine)
    {
        _process = process;
        _log = log;
        _onLine = onLine;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public StreamWriter Input => _process.StandardInput;

    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    public static ChildProcess Start(string file, IEnumerable<string> args, string logFile, Action<string>? onLine,
        IDictionary<string, string>? environment, bool redirectInput)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }

        var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, log, onLine);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    public bool Contains(string text) => Output.Contains(text, StringComparison.Ordinal);

    /// <summary>SIGKILL, as <c>kill -9</c>.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>
    /// Waits (bounded) for the process to exit and for its last output lines to be collected
    /// (<see cref="Process.WaitForExit(TimeSpan)"/> alone returns before the readers have delivered them).
    /// </summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            _process.WaitForExitAsync(cts.Token).GetAwaiter().GetResult();
            return true;
        }
        catch (OperationCanceledException)
        {
            return _process.HasExited;
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        lock (_gate)
        {
            _log.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _output.AppendLine(line);
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }

        _onLine?.Invoke(line);
    }
}
