using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Ha.Net.HealthChecks.Probes;

/// <summary>
/// Runs a command as keepalived's <c>vrrp_script</c> and HAProxy's <c>external-check</c> do:
/// argv without a shell (unless <c>UseShell</c>), exit status 0 = PROCOK, anything else = PROCERR
/// with the status as code; on timeout the command's whole process group is killed (it is started
/// in a session of its own through util-linux <c>setsid</c>, so its pid is its group id) = PROCTOUT.
/// The first characters of stdout and stderr become the result text. A command that cannot be
/// started is SOCKERR.
/// </summary>
internal sealed class CommandProbe : IHealthProbe
{
    private static readonly TimeSpan OutputGrace = TimeSpan.FromMilliseconds(200);
    private static readonly string? SetSid = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);
    private readonly CommandProbeOptions _options;
    private readonly TimeProvider _time;
    private readonly string _display;

    public CommandProbe(CommandProbeOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _display = options.UseShell ? options.FileName : string.Join(' ', new[] { options.FileName }.Concat(options.Arguments));
    }

    public async ValueTask<CheckResult> ProbeAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        string file;
        IEnumerable<string> argv;
        if (_options.UseShell)
        {
            file = "/bin/sh";
            argv = ["-c", _options.FileName];
        }
        else
        {
            var resolved = Resolve(_options.FileName);
            if (resolved is null)
            {
                return ProbeIo.Result(CheckStatus.SocketError, null, $"Command '{_options.FileName}' not found", _time, started);
            }

            file = resolved;
            argv = _options.Arguments;
        }

        var psi = new ProcessStartInfo
        {
            FileName = SetSid ?? file,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (SetSid is not null)
        {
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(file);
        }

        foreach (var a in argv)
        {
            psi.ArgumentList.Add(a);
        }

        if (_options.WorkingDirectory is { } wd)
        {
            psi.WorkingDirectory = wd;
        }

        foreach (var (key, value) in _options.Environment ?? new Dictionary<string, string?>())
        {
            if (value is null) { psi.Environment.Remove(key); } else { psi.Environment[key] = value; }
        }

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            return ProbeIo.Result(CheckStatus.SocketError, null, $"Command '{_display}' could not be started: {ex.Message}", _time, started);
        }

        process.StandardInput.Close(); // scripts reading stdin see EOF, as under keepalived
        var pid = process.Id;
        var stdout = new BoundedText(_options.MaxOutputChars);
        var stderr = new BoundedText(_options.MaxOutputChars);
        var readers = Task.WhenAll(stdout.DrainAsync(process.StandardOutput), stderr.DrainAsync(process.StandardError));
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            KillGroup(process, pid);
            await WaitQuietlyAsync(readers, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            var output = Output(stdout, stderr);
            return ProbeIo.Result(CheckStatus.ProcessTimeout, null,
                $"Command '{_display}' timed out and was killed{(output.Length > 0 ? ": " + output : "")}", _time, started);
        }

        // Output from children that outlive the command (a daemon it started) does not hold us up.
        await WaitQuietlyAsync(readers, OutputGrace).ConfigureAwait(false);
        var code = process.ExitCode;
        var text = Output(stdout, stderr);
        var summary = string.Create(CultureInfo.InvariantCulture, $"exit status {code}");
        return ProbeIo.Result(code == 0 ? CheckStatus.ProcessOk : CheckStatus.ProcessError, code, text.Length > 0 ? $"{summary}: {text}" : summary, _time, started);
    }

    private static async Task WaitQuietlyAsync(Task readers, TimeSpan bound)
    {
        try
        {
            // Real time: these are real processes, whatever clock the probe measures durations with.
            await readers.WaitAsync(bound, TimeProvider.System).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }
    }

    private static void KillGroup(Process process, int pid)
    {
        if (SetSid is not null && OperatingSystem.IsLinux())
        {
            _ = Native.Kill(-pid, Native.SIGKILL); // the whole process group (ESRCH if already gone)
        }

        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception)
        {
        }

        try
        {
            process.WaitForExit(5000); // reap
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static string Output(BoundedText stdout, BoundedText stderr)
    {
        var o = stdout.ToString().Trim();
        var e = stderr.ToString().Trim();
        var text = o.Length > 0 && e.Length > 0 ? o + " | " + e : o + e;
        return string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static string? Resolve(string fileName)
    {
        if (fileName.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(fileName) ? Path.GetFullPath(fileName) : null;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, fileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Keeps the first N characters of a stream and drains the rest so the writer never blocks.</summary>
    private sealed class BoundedText(int max)
    {
        private readonly StringBuilder _text = new();

        public async Task DrainAsync(StreamReader reader)
        {
            var chunk = new char[1024];
            try
            {
                int n;
                while ((n = await reader.ReadAsync(chunk).ConfigureAwait(false)) > 0)
                {
                    lock (_text)
                    {
                        var room = max - _text.Length;
                        if (room > 0)
                        {
                            _text.Append(chunk, 0, Math.Min(room, n));
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
            }
        }

        public override string ToString()
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }
}
