using System.Diagnostics;

namespace Ha.Net.Testing.Environment;

/// <summary>Waiting for a child process whose output is read through <see cref="Process.OutputDataReceived"/>.</summary>
public static class ProcessExit
{
    /// <summary>
    /// Waits (bounded) until <paramref name="process"/> has exited and its redirected stdout and stderr have
    /// been read to the end, so its last lines are in whatever the output handlers collect.
    /// </summary>
    /// <remarks>
    /// <see cref="Process.WaitForExit(TimeSpan)"/> returns as soon as the process is gone, before the
    /// asynchronous readers have delivered its last lines: a test reading the log right after it can miss
    /// what the process printed on its way out. <see cref="Process.WaitForExitAsync"/> waits for both.
    /// Returns whether the process exited; if it exited but a grandchild still holds its pipes open past
    /// the bound, this still returns <see langword="true"/>.
    /// </remarks>
    public static bool WaitForExitAndOutput(this Process process, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            process.WaitForExitAsync(cts.Token).GetAwaiter().GetResult();
            return true;
        }
        catch (OperationCanceledException)
        {
            return process.HasExited;
        }
    }
}
