using System.Diagnostics;
using System.Text;
using Ha.Net.Testing.Environment;

namespace Ha.Net.Samples.Vrrp.Tests;

/// <summary>hanet-vrrpd started as a process (optionally under <c>ip netns exec</c>), its output collected; killed on disposal.</summary>
internal sealed class DaemonProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly object _lock = new();

    private DaemonProcess(Process process) => _process = process;

    public static string DllPath { get; } = FindDll();

    public int Id => _process.Id;

    public string Output
    {
        get
        {
            lock (_lock)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Runs <c>hanet-vrrpd ARGS</c> to completion (bounded) and returns its exit code, stdout and stderr.</summary>
    public static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(DllPath);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("hanet-vrrpd " + string.Join(' ', args) + " did not exit within 60 s");
        }

        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts <c>ip netns exec NS dotnet hanet-vrrpd.dll ARGS</c>.</summary>
    public static DaemonProcess StartInNamespace(string ns, params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", ns, "dotnet", DllPath }.Concat(args))
        {
            psi.ArgumentList.Add(a);
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var d = new DaemonProcess(process);
        process.OutputDataReceived += (_, e) => d.Append(e.Data);
        process.ErrorDataReceived += (_, e) => d.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return d;
    }

    public int CountOf(string text)
    {
        var output = Output;
        var n = 0;
        for (var i = output.IndexOf(text, StringComparison.Ordinal); i >= 0; i = output.IndexOf(text, i + text.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    /// <summary>Waits (bounded) until the output holds <paramref name="text"/> <paramref name="occurrences"/> times.</summary>
    public async Task WaitForAsync(string text, TimeSpan timeout, int occurrences = 1)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (CountOf(text) < occurrences)
        {
            if (DateTime.UtcNow > deadline || _process.HasExited && CountOf(text) < occurrences)
            {
                throw new TimeoutException($"hanet-vrrpd never logged '{text}' ×{occurrences} (exited: {_process.HasExited}):\n{Output}");
            }

            await Task.Delay(25);
        }
    }

    /// <summary>Sends a signal to hanet-vrrpd itself (the child of <c>ip netns exec</c>, which execs it: same pid).</summary>
    public void Signal(string signal) => Lab.Run("kill", $"-{signal} {_process.Id}");

    /// <summary>Waits (bounded) for the process to exit and for its last output lines to be collected.</summary>
    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExitAndOutput(timeout);

    public int ExitCode => _process.ExitCode;

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_lock)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static string FindDll()
    {
        var configuration = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples", "VrrpDaemon", "bin", configuration, "net10.0", "hanet-vrrpd.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"hanet-vrrpd.dll ({configuration}) not found above {AppContext.BaseDirectory}: build the solution.");
    }
}
