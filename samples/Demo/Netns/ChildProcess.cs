using System.Diagnostics;
using System.Text;
using Ha.Net.Samples.Lab;

namespace Ha.Net.Samples.Demo.Netns;

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

    /// <summary>Starts <paramref name="file"/> inside <paramref name="ns"/> (<c>ip netns exec</c>), owned by <paramref name="lab"/> (killed at its teardown).</summary>
    public static ChildProcess StartIn(NetnsLab lab, string ns, string file, IEnumerable<string> args, string logFile, Action<string>? onLine = null,
        IDictionary<string, string>? environment = null, bool redirectInput = false) =>
        lab.Own(Start("ip", NetnsLab.ExecArguments(ns, file, args), logFile, onLine, environment, redirectInput));

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

    /// <summary>SIGKILL, then a bounded wait for its last output lines (so its log file is complete), then the log is closed.</summary>
    public void Dispose()
    {
        Kill();
        WaitForExit(TimeSpan.FromSeconds(5));
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
