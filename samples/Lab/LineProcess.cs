using System.Diagnostics;
using System.Text;

namespace Ha.Net.Samples.Lab;

/// <summary>
/// A child process read line by line: stdout and stderr interleaved into <see cref="Output"/> and handed to a
/// callback; killed with its children, and waited for with its last lines read. The one core under the demo's
/// child process (log file and narration) and the tests' (the suite's output log, waits on output); linked into
/// both, like <see cref="NetnsLab"/>.
/// </summary>
internal sealed class LineProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();
    private readonly Action<string>? _onLine;
    private volatile bool _disposed;

    private LineProcess(Process process, Action<string>? onLine)
    {
        _process = process;
        _onLine = onLine;
    }

    /// <summary>The process id (under <c>ip netns exec</c>, which execs the command, the command's own).</summary>
    public int Id => _process.Id;

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Its standard input, when started with it redirected.</summary>
    public StreamWriter Input => _process.StandardInput;

    /// <summary>Everything printed so far, stdout and stderr interleaved by line.</summary>
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

    /// <summary>
    /// Starts <paramref name="info"/> with stdout and stderr redirected (and stdin when
    /// <paramref name="redirectInput"/>); each line goes to <see cref="Output"/>, then to <paramref name="onLine"/>.
    /// </summary>
    public static LineProcess Start(ProcessStartInfo info, Action<string>? onLine = null, bool redirectInput = false)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = redirectInput;
        info.UseShellExecute = false;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new LineProcess(process, onLine);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>How many times <paramref name="text"/> occurs in the output.</summary>
    public int CountOf(string text)
    {
        var output = Output;
        var count = 0;
        for (var i = output.IndexOf(text, StringComparison.Ordinal); i >= 0; i = output.IndexOf(text, i + text.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>
    /// Waits (bounded) until the process has exited and its stdout and stderr have been read to the end, so its last
    /// lines are in <see cref="Output"/>.
    /// </summary>
    /// <remarks>
    /// <see cref="Process.WaitForExit(TimeSpan)"/> returns as soon as the process is gone, before the asynchronous
    /// readers have delivered its last lines; <see cref="Process.WaitForExitAsync"/> waits for both. If a grandchild
    /// holds the pipes open past the bound, this still says the process exited.
    /// </remarks>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        if (_disposed)
        {
            return true; // disposed after it was killed and waited for: nothing left to wait for
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return _process.HasExited;
        }
        catch (InvalidOperationException) when (_disposed)
        {
            return true;
        }
    }

    /// <summary>The blocking form of <see cref="WaitForExitAsync"/>.</summary>
    public bool WaitForExit(TimeSpan timeout) => WaitForExitAsync(timeout).GetAwaiter().GetResult();

    /// <summary>SIGKILL to the process and its children (<c>kill -9</c>), without waiting.</summary>
    public void SignalKill()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>SIGKILL to the process and its children, then a bounded wait for it and its last lines.</summary>
    public void KillTree(TimeSpan wait)
    {
        SignalKill();
        WaitForExit(wait);
    }

    /// <summary>Releases the process handle (call after it has been killed or has exited); a second call, and any kill or wait after it, does nothing.</summary>
    public void Dispose()
    {
        _disposed = true;
        _process.Dispose();
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
        }

        _onLine?.Invoke(line);
    }
}
