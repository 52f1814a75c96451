using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using Ha.Net.Vrrp.Configuration.Keepalived;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.VrrpDaemon;

/// <summary>
/// Runs keepalived's notify scripts for an instance's transition, as keepalived 2.2.7 does (vrrp-anchors §3.6):
/// first the state's own script (<c>notify_master</c>/<c>notify_backup</c>/<c>notify_fault</c>/<c>notify_stop</c>)
/// exactly as configured, no argument appended; then the generic <c>notify</c> with four arguments appended after the
/// configured ones: <c>INSTANCE</c>, the instance name, <c>MASTER|BACKUP|FAULT|STOP</c>, the priority. Scripts run
/// asynchronously (the election never waits for them) as the configured user; their exit status is logged.
/// </summary>
internal sealed class Notifier(ILogger logger)
{
    private readonly ConcurrentDictionary<int, Task> _running = new();

    public void Notify(KeepalivedVrrpInstance vi, ScriptPolicy policy, string state, int priority)
    {
        var specific = state switch
        {
            "MASTER" => vi.NotifyMaster,
            "BACKUP" => vi.NotifyBackup,
            "FAULT" => vi.NotifyFault,
            "STOP" => vi.NotifyStop,
            _ => null,
        };
        if (specific is not null)
        {
            Start(specific, policy, []);
        }

        if (vi.Notify is { } generic)
        {
            Start(generic, policy, ["INSTANCE", vi.Name, state, priority.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }
    }

    /// <summary>Waits (bounded) for the scripts still running, as keepalived waits for its STOP scripts at shutdown.</summary>
    public async Task DrainAsync(TimeSpan bound)
    {
        try
        {
            await Task.WhenAll(_running.Values).WaitAsync(bound);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("{Count} notify script(s) still running after {Seconds} s; leaving them", _running.Count, bound.TotalSeconds);
        }
    }

    private void Start(KeepalivedNotifyScript script, ScriptPolicy policy, IReadOnlyList<string> extra)
    {
        var command = ScriptCommand.Parse(script.Command);
        var resolved = command.Resolve();
        if (resolved is null)
        {
            logger.LogWarning("Cannot find script {Script} - not run", command.Program);
            return;
        }

        var (file, args) = command.ToStart(resolved, extra, script.User ?? policy.User, script.Group ?? (script.User is null ? policy.Group : null));
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(psi)!;
            process.StandardInput.Close();
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            logger.LogWarning("Failed to exec notify script {Script}: {Error}", script.Command, ex.Message);
            return;
        }

        logger.LogDebug("Executing notify script {Script} {Args}", script.Command, string.Join(' ', extra));
        var pid = process.Id;
        _running[pid] = Task.Run(async () =>
        {
            using (process)
            {
                await process.WaitForExitAsync();
                if (process.ExitCode != 0)
                {
                    logger.LogWarning("Notify script {Script} exited with status {Status}", script.Command, process.ExitCode);
                }
            }

            _running.TryRemove(pid, out _);
        });
    }
}
