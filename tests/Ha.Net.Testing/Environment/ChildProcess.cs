using System.Diagnostics;
using Ha.Net.Samples.Lab;

namespace Ha.Net.Testing.Environment;

/// <summary>
/// A long-running child process under test (a daemon, keepalived, a VRRP node), its stdout and stderr
/// collected line by line (and copied to the suite's output log); killed with its children on disposal.
/// Starting, reading and killing are the lab's <see cref="LineProcess"/>, shared with the demo.
/// </summary>
public sealed class ChildProcess : IDisposable, IAsyncDisposable
{
    private readonly LineProcess _process;

    private ChildProcess(ProcessStartInfo info, string name)
    {
        Name = name;
        _process = LineProcess.Start(info, line => SuiteOutputLog.Append(name, line));
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
    public string Output => _process.Output;

    /// <summary>Starts <c>FILE ARGS</c> (ARGS split like a command line).</summary>
    public static ChildProcess Start(string file, string args, string? name = null) =>
        new(new ProcessStartInfo(file, args), name ?? Path.GetFileName(file));

    /// <summary>Starts <paramref name="file"/> with each of <paramref name="args"/> as one argument.</summary>
    public static ChildProcess Start(string file, IEnumerable<string> args, string? name = null) =>
        new(new ProcessStartInfo(file, args), name ?? Path.GetFileName(file));

    /// <summary>How many times <paramref name="text"/> occurs in the output.</summary>
    public int CountOf(string text) => _process.CountOf(text);

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
    public Task<bool> WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout);

    /// <summary>The blocking form of <see cref="WaitForExitAsync"/>.</summary>
    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    /// <summary>SIGKILL to the process and its children, then waits (bounded) for it.</summary>
    public void KillTree() => _process.KillTree(TimeSpan.FromSeconds(10));

    /// <inheritdoc />
    public void Dispose()
    {
        KillTree();
        _process.Dispose();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _process.SignalKill();
        await WaitForExitAsync(TimeSpan.FromSeconds(30));
        _process.Dispose();
    }
}
