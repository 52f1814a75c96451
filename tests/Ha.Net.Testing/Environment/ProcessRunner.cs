using System.Diagnostics;

namespace Ha.Net.Testing.Environment;

/// <summary>Runs a command to completion, bounded, and returns what it printed.</summary>
public static class ProcessRunner
{
    /// <summary>How long a command may run unless the caller says otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs <c>FILE ARGS</c> (ARGS split like a command line); exit code -1 when it outlived <paramref name="timeout"/> and was killed.</summary>
    public static (int Code, string Stdout, string Stderr) TryRun(string file, string args, TimeSpan? timeout = null, string? workingDirectory = null) =>
        TryRun(new ProcessStartInfo(file, args), timeout, workingDirectory);

    /// <summary>Runs <paramref name="file"/> with each of <paramref name="args"/> as one argument.</summary>
    public static (int Code, string Stdout, string Stderr) TryRun(string file, IEnumerable<string> args, TimeSpan? timeout = null, string? workingDirectory = null) =>
        TryRun(new ProcessStartInfo(file, args), timeout, workingDirectory);

    /// <summary>Runs <c>FILE ARGS</c> and returns its stdout; throws, with its stderr, when it fails or times out.</summary>
    public static string Run(string file, string args, TimeSpan? timeout = null, string? workingDirectory = null) =>
        Checked(TryRun(file, args, timeout, workingDirectory), $"{file} {args}");

    /// <summary>Runs <paramref name="file"/> with each of <paramref name="args"/> as one argument; throws when it fails.</summary>
    public static string Run(string file, IEnumerable<string> args, TimeSpan? timeout = null, string? workingDirectory = null) =>
        Checked(TryRun(file, args, timeout, workingDirectory), $"{file} {string.Join(' ', args)}");

    private static string Checked((int Code, string Stdout, string Stderr) result, string command) => result.Code switch
    {
        0 => result.Stdout,
        -1 => throw new TimeoutException($"'{command}' {result.Stderr}"),
        _ => throw new InvalidOperationException($"'{command}' exited {result.Code}: {result.Stderr.Trim()} {result.Stdout.Trim()}"),
    };

    private static (int Code, string Stdout, string Stderr) TryRun(ProcessStartInfo info, TimeSpan? timeout, string? workingDirectory)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        var bound = timeout ?? DefaultTimeout;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(bound))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(5_000);
            return (-1, "", $"timed out after {bound.TotalSeconds:0} s");
        }

        p.WaitForExit(); // and for stdout and stderr to reach their ends
        SuiteOutputLog.Append(System.IO.Path.GetFileName(info.FileName), stdout.Result + stderr.Result);
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
