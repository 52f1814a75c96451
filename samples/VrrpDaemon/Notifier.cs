using System.ComponentModel;
using System.Diagnostics;
using Ha.Net.Vrrp.Keepalived;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.VrrpDaemon;

/// <summary>
/// Runs keepalived's notify scripts for an instance's transition, as keepalived 2.2.7 does (vrrp-anchors §3.6):
/// first the state's own script (<c>notify_master</c>/<c>notify_backup</c>/<c>notify_fault</c>/<c>notify_stop</c>)
/// exactly as configured, no argument appended; then the generic <c>notify</c> with four arguments appended after the
/// configured ones: <c>INSTANCE</c>, the instance name, <c>MASTER|BACKUP|FAULT|STOP</c>, the priority. Scripts run
/// asynchronously (the election never waits for them) as the configured user. Unlike keepalived, which forks them
/// all at once, the scripts of one instance run one after another in transition order (each waited for up to
/// <see cref="PerScriptBound"/>, then left running), so a script never sees MASTER before the BACKUP that preceded it.
/// </summary>
internal sealed class Notifier(ILogger logger)
{
    public static readonly TimeSpan PerScriptBound = TimeSpan.FromSeconds(30);
    private readonly object _gate = new();
    private readonly Dictionary<string, Task> _tails = new(StringComparer.Ordinal);

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
        var generic = vi.Notify;
        if (specific is null && generic is null)
        {
            return;
        }

        var args = new[] { "INSTANCE", vi.Name, state, priority.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        lock (_gate)
        {
            var previous = _tails.TryGetValue(vi.Name, out var t) ? t : Task.CompletedTask;
            _tails[vi.Name] = Task.Run(async () =>
            {
                await previous;
                if (specific is not null)
                {
                    await RunAsync(specific, policy, []);
                }

                if (generic is not null)
                {
                    await RunAsync(generic, policy, args);
                }
            });
        }
    }

    /// <summary>Waits (bounded) for the scripts still queued or running, as keepalived waits for its STOP scripts at shutdown.</summary>
    public async Task DrainAsync(TimeSpan bound)
    {
        Task[] tails;
        lock (_gate)
        {
            tails = [.. _tails.Values];
        }

        try
        {
            await Task.WhenAll(tails).WaitAsync(bound);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("Notify scripts still running after {Seconds} s; leaving them", bound.TotalSeconds);
        }
    }

    private async Task RunAsync(KeepalivedNotifyScript script, ScriptPolicy policy, IReadOnlyList<string> extra)
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
        using (process)
        {
            try
            {
                await process.WaitForExitAsync().WaitAsync(PerScriptBound);
            }
            catch (TimeoutException)
            {
                logger.LogWarning("Notify script {Script} still running after {Seconds} s; not waiting for it", script.Command, PerScriptBound.TotalSeconds);
                return;
            }

            if (process.ExitCode != 0)
            {
                logger.LogWarning("Notify script {Script} exited with status {Status}", script.Command, process.ExitCode);
            }
        }
    }
}
