using System.Diagnostics;
using System.Text;

namespace Ha.Net.Testing.Environment;

/// <summary>
/// A long-running child process under test (a daemon, keepalived, a VRRP node), its stdout and stderr
/// collected line by line; killed with its children on disposal.
/// </summary>
public sealed class ChildProcess : IDisposable, IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();

    private ChildProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    /// <summary>What the messages call this process.</summary>
    public string Name { get; }

    /// <summary>The process id (under <c>ip netns exec</c>, which execs the command, the command's own).</summary>
    public int Id => _process.Id;

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once exited.</summary>
    public int ExitCode => _process.ExitCode;

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

    /// <summary>Starts <c>FILE ARGS</c> (ARGS split like a command line).</summary>
    public static ChildProcess Start(string file, string args, string? name = null) =>
        Start(new ProcessStartInfo(file, args), name ?? Path.GetFileName(file));

    /// <summary>Starts <paramref name="file"/> with each of <paramref name="args"/> as one argument.</summary>
    public static ChildProcess Start(string file, IEnumerable<string> args, string? name = null) =>
        Start(new ProcessStartInfo(file, args), name ?? Path.GetFileName(file));

    private static ChildProcess Start(ProcessStartInfo info, string name)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, name);
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
    /// Waits (bounded) until the output holds <paramref name="text"/> <paramref name="occurrences"/> times;
    /// false when the bound passes or the process exits (its last lines read) without printing it.
    /// </summary>
    public async Task<bool> WaitForOutputAsync(string text, TimeSpan timeout, int occurrences = 1)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (CountOf(text) < occurrences)
        {
            if (_process.HasExited)
            {
                await WaitForExitAsync(TimeSpan.FromSeconds(5)); // the readers may still hold its last lines
                return CountOf(text) >= occurrences;
            }

            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }

    /// <summary>As <see cref="WaitForOutputAsync"/>, but throws, with the output, when the text never comes.</summary>
    public async Task ExpectOutputAsync(string text, TimeSpan timeout, int occurrences = 1)
    {
        if (!await WaitForOutputAsync(text, timeout, occurrences))
        {
            var why = _process.HasExited ? $"exited ({_process.ExitCode}) without printing" : $"did not print within {timeout.TotalSeconds:0} s";
            throw new TimeoutException($"{Name} {why} '{text}' ×{occurrences}:\n{Output}");
        }
    }

    /// <summary>Sends a signal by name (<c>TERM</c>, <c>HUP</c>, <c>KILL</c>...) to the process.</summary>
    public void Signal(string signal) => ProcessRunner.Run("kill", $"-{signal} {_process.Id}");

    /// <summary>
    /// Waits (bounded) until the process has exited and its stdout and stderr have been read to the end,
    /// so its last lines are in <see cref="Output"/>.
    /// </summary>
    /// <remarks>
    /// <see cref="Process.WaitForExit(TimeSpan)"/> returns as soon as the process is gone, before the
    /// asynchronous readers have delivered its last lines; <see cref="Process.WaitForExitAsync"/> waits for
    /// both. If a grandchild holds the pipes open past the bound, this still says the process exited.
    /// </remarks>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return _process.HasExited;
        }
    }

    /// <summary>The blocking form of <see cref="WaitForExitAsync"/>.</summary>
    public bool WaitForExit(TimeSpan timeout) => WaitForExitAsync(timeout).GetAwaiter().GetResult();

    /// <summary>SIGKILL to the process and its children, then waits (bounded) for it.</summary>
    public void KillTree()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        KillTree();
        _process.Dispose();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        }

        await WaitForExitAsync(TimeSpan.FromSeconds(30));
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

        SuiteOutputLog.Append(Name, line);
    }
}
