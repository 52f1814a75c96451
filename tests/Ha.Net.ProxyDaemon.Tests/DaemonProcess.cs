using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Ha.Net.ProxyDaemon.Tests;

/// <summary>hanet-proxyd run as a child process (dotnet hanet-proxyd.dll ...), its stdout/stderr collected.</summary>
internal sealed partial class DaemonProcess : IAsyncDisposable
{
    public const int SigHup = 1;
    public const int SigTerm = 15;
    public const int SigUsr1 = 10;

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();

    private DaemonProcess(Process process) => _process = process;

    public int Pid => _process.Id;

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

    public static string DaemonDll => Path.Combine(AppContext.BaseDirectory, "hanet-proxyd.dll");

    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>Runs hanet-proxyd to completion (for -c); bounded at 60 s.</summary>
    public static async Task<(int ExitCode, string StdOut, string StdErr)> RunToEndAsync(params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts the daemon and waits (bounded) for "Loading success".</summary>
    public static async Task<DaemonProcess> StartAsync(params string[] args)
    {
        var process = Process.Start(StartInfo(args))!;
        var daemon = new DaemonProcess(process);
        process.OutputDataReceived += (_, e) => daemon.Append(e.Data);
        process.ErrorDataReceived += (_, e) => daemon.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await daemon.WaitForOutputAsync("Loading success", TimeSpan.FromSeconds(30));
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }

        return daemon;
    }

    private static ProcessStartInfo StartInfo(string[] args)
    {
        var info = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(DaemonDll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        return info;
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
    }

    public async Task WaitForOutputAsync(string text, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited && !Output.Contains(text, StringComparison.Ordinal))
            {
                await Task.Delay(200); // let the last lines arrive
                if (Output.Contains(text, StringComparison.Ordinal))
                {
                    return;
                }

                throw new InvalidOperationException($"hanet-proxyd exited ({_process.ExitCode}) before '{text}':\n{Output}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"'{text}' not seen within {bound}:\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Waits (bounded) for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan bound)
    {
        using var cts = new CancellationTokenSource(bound);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(cts.Token);
        }

        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
