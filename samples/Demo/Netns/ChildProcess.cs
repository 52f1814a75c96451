using System.Diagnostics;
using Ha.Net.Samples.Lab;

namespace Ha.Net.Samples.Demo.Netns;

/// <summary>
/// A child process of the demo whose output lines go to a log file and a callback; killed (SIGKILL) on disposal.
/// Starting, reading and killing are the lab's <see cref="LineProcess"/>, shared with the tests.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly StreamWriter _log;
    private readonly Lock _logGate = new();
    private readonly LineProcess _process;

    private ChildProcess(ProcessStartInfo info, string logFile, Action<string>? onLine, bool redirectInput)
    {
        _log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        _process = LineProcess.Start(info, line => Log(line, onLine), redirectInput);
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public StreamWriter Input => _process.Input;

    public string Output => _process.Output;

    /// <summary>Starts <paramref name="file"/> inside <paramref name="ns"/> (<c>ip netns exec</c>), owned by <paramref name="lab"/> (killed at its teardown).</summary>
    public static ChildProcess StartIn(NetnsLab lab, string ns, string file, IEnumerable<string> args, string logFile, Action<string>? onLine = null,
        IDictionary<string, string>? environment = null, bool redirectInput = false) =>
        lab.Own(Start("ip", NetnsLab.ExecArguments(ns, file, args), logFile, onLine, environment, redirectInput));

    public static ChildProcess Start(string file, IEnumerable<string> args, string logFile, Action<string>? onLine,
        IDictionary<string, string>? environment, bool redirectInput)
    {
        var info = new ProcessStartInfo(file, args);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }

        return new ChildProcess(info, logFile, onLine, redirectInput);
    }

    public bool Contains(string text) => _process.CountOf(text) > 0;

    /// <summary>SIGKILL, as <c>kill -9</c>, and a bounded wait for it.</summary>
    public void Kill() => _process.KillTree(TimeSpan.FromSeconds(5));

    /// <summary>Waits (bounded) for the process to exit and for its last output lines to be collected.</summary>
    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    /// <summary>SIGKILL, then a bounded wait for its last output lines (so its log file is complete), then the log is closed.</summary>
    public void Dispose()
    {
        Kill();
        _process.Dispose();
        lock (_logGate)
        {
            _log.Dispose();
        }
    }

    private void Log(string line, Action<string>? onLine)
    {
        lock (_logGate)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }

        onLine?.Invoke(line);
    }
}
