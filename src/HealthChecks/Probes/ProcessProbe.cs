using System.Globalization;
using System.Text;

namespace Ha.Net.HealthChecks.Probes;

/// <summary>
/// Is a process alive, without spawning anything:
/// <list type="bullet">
/// <item>by name, as <c>killall -0 NAME</c> finds it (psmisc): the kernel's process name
/// (/proc/PID/stat, at most 15 characters) equals NAME; for a NAME of 15 or more characters the
/// truncated name must match its first 15 and the basename of /proc/PID/exe or of argv[0]
/// (/proc/PID/cmdline) must equal NAME. Zombies and this process itself do not count;</item>
/// <item>by pidfile, with <c>kill(pid, 0)</c> semantics: the process exists (EPERM counts as existing).</item>
/// </list>
/// PROCOK with the count (or pid) as code, PROCERR with what was missing.
/// </summary>
internal sealed partial class ProcessProbe(ProcessProbeOptions options, TimeProvider time) : IHealthProbe
{
    private const int CommLength = 15; // TASK_COMM_LEN − 1

    public ValueTask<CheckResult> ProbeAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        if (!OperatingSystem.IsLinux())
        {
            return ValueTask.FromResult(ProbeIo.Result(CheckStatus.SocketError, null, "Process checks read /proc and need Linux", time, started));
        }

        return ValueTask.FromResult(options.PidFile is { } pidFile ? ByPidFile(pidFile, started) : ByName(options.Name!, started));
    }

    /// <summary>Pids whose process matches <paramref name="name"/> as killall would match it.</summary>
    internal static List<int> FindByName(string procRoot, string name)
    {
        var found = new List<int>();
        var self = Environment.ProcessId;
        IEnumerable<string> dirs;
        try
        {
            dirs = Directory.EnumerateDirectories(procRoot);
        }
        catch (IOException)
        {
            return found;
        }

        foreach (var dir in dirs)
        {
            var pidText = Path.GetFileName(dir.AsSpan());
            if (pidText.IsEmpty || !char.IsAsciiDigit(pidText[0]) || !int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == self)
            {
                continue;
            }

            if (Matches(dir, name))
            {
                found.Add(pid);
            }
        }

        found.Sort();
        return found;
    }

    private static bool Matches(string dir, string name)
    {
        string stat;
        try
        {
            stat = File.ReadAllText(Path.Combine(dir, "stat"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false; // gone meanwhile
        }

        // "pid (comm) S ...": comm may itself contain ')' and spaces, so take the last ')'.
        var open = stat.IndexOf('(', StringComparison.Ordinal);
        var close = stat.LastIndexOf(')');
        if (open < 0 || close < open || close + 2 >= stat.Length)
        {
            return false;
        }

        var comm = stat.AsSpan(open + 1, close - open - 1);
        var state = stat[close + 2];
        if (state is 'Z' or 'X')
        {
            return false; // dead, waiting to be reaped: not a running service
        }

        if (name.Length < CommLength)
        {
            return comm.SequenceEqual(name);
        }

        if (!comm.SequenceEqual(name.AsSpan(0, CommLength)) && !comm.SequenceEqual(name))
        {
            return false;
        }

        // The kernel truncated the name: confirm from the executable or argv[0].
        return BaseNameOfLink(Path.Combine(dir, "exe")) == name || BaseNameOfArgv0(Path.Combine(dir, "cmdline")) == name;
    }

    private static string? BaseNameOfLink(string path)
    {
        try
        {
            var target = new FileInfo(path).LinkTarget;
            if (target is null)
            {
                return null;
            }

            const string Deleted = " (deleted)";
            if (target.EndsWith(Deleted, StringComparison.Ordinal))
            {
                target = target[..^Deleted.Length];
            }

            return Path.GetFileName(target);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? BaseNameOfArgv0(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            var end = Array.IndexOf(bytes, (byte)0);
            var argv0 = Encoding.UTF8.GetString(bytes, 0, end < 0 ? bytes.Length : end);
            return argv0.Length == 0 ? null : Path.GetFileName(argv0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private CheckResult ByName(string name, long started)
    {
        var pids = FindByName(options.ProcRoot, name);
        if (pids.Count == 0)
        {
            return ProbeIo.Result(CheckStatus.ProcessError, 0, $"No process named '{name}'", time, started);
        }

        var list = string.Join(", ", pids.Take(8)) + (pids.Count > 8 ? ", ..." : "");
        var what = pids.Count == 1 ? "process" : "processes";
        return ProbeIo.Result(CheckStatus.ProcessOk, pids.Count, string.Create(CultureInfo.InvariantCulture, $"{pids.Count} {what} named '{name}' (pid {list})"), time, started);
    }

    private CheckResult ByPidFile(string pidFile, long started)
    {
        string text;
        try
        {
            text = File.ReadAllText(pidFile);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return ProbeIo.Result(CheckStatus.ProcessError, null, $"Pidfile {pidFile} not found", time, started);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ProbeIo.Result(CheckStatus.ProcessError, null, $"Pidfile {pidFile} cannot be read: {ex.Message}", time, started);
        }

        var first = text.AsSpan().Trim();
        var nl = first.IndexOfAny('\n', '\r');
        if (nl >= 0)
        {
            first = first[..nl].Trim();
        }

        if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
        {
            return ProbeIo.Result(CheckStatus.ProcessError, null, $"Pidfile {pidFile} does not hold a process id: '{ProbeIo.Printable(Encoding.UTF8.GetBytes(first.ToString()), 40)}'", time, started);
        }

        // kill(pid, 0): 0 or EPERM = the process exists; ESRCH = it does not.
        if (Native.Kill(pid, 0) == 0 || System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Native.EPERM)
        {
            return ProbeIo.Result(CheckStatus.ProcessOk, pid, string.Create(CultureInfo.InvariantCulture, $"Process {pid} from {pidFile} is running"), time, started);
        }

        return ProbeIo.Result(CheckStatus.ProcessError, pid, string.Create(CultureInfo.InvariantCulture, $"Process {pid} from {pidFile} is not running"), time, started);
    }
}

/// <summary>The libc calls .NET lacks.</summary>
internal static partial class Native
{
    public const int EPERM = 1;
    public const int ESRCH = 3;
    public const int SIGKILL = 9;

    /// <summary>kill(2); errno via <see cref="System.Runtime.InteropServices.Marshal.GetLastPInvokeError"/>.</summary>
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
