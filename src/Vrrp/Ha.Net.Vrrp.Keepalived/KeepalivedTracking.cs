using System.Globalization;
using System.Text;
using Ha.Net.HealthChecks;
using Ha.Net.HealthChecks.Probes;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ha.Net.Vrrp.Keepalived;

/// <summary>
/// Runs a keepalived.conf on a router collection with its tracking wired: each tracked <c>vrrp_script</c> becomes one
/// health monitor (shared by every instance tracking it, as keepalived runs each script once) whose settled state is
/// reported to those routers, and link states (<see cref="SetInterfaceState"/>) reach the instances on the interface
/// and those that <c>track_interface</c> it. What a state does to the priority is the engine's one weight rule
/// (<see cref="TrackedObject"/>: the weights and <c>reverse</c> the mapper put in the options); nothing is restated here.
/// </summary>
/// <remarks>
/// <see cref="ApplyAsync"/> is the start and every reload: it applies the instances through
/// <see cref="IVirtualRouterCollection.ApplyAsync"/>, so an instance keeps running untouched unless its engine options,
/// its <c>unicast_ttl</c> or the definition of a script it tracks changed (then it restarts). Monitors are named after
/// their script in the scheduler. Log lines keep keepalived's wording: <c>VRRP_Script(chk) succeeded</c>,
/// <c>failed (exited with status 1)</c>, <c>timed_out</c>.
/// </remarks>
public sealed partial class KeepalivedTracking : IAsyncDisposable
{
    private readonly IVirtualRouterCollection _routers;
    private readonly IHealthCheckScheduler _scheduler;
    private readonly Func<KeepalivedVrrpScript, IHealthProbe> _probe;
    private readonly Func<string, bool>? _interfaceIsUp;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, ScriptMonitor> _scripts = new(StringComparer.Ordinal);
    private volatile Dictionary<string, KeepalivedRouterMapping> _mappings = new(StringComparer.Ordinal);
    private Dictionary<string, string> _instanceKeys = new(StringComparer.Ordinal);

    /// <summary>Wires tracking to <paramref name="routers"/>; nothing runs until <see cref="ApplyAsync"/>.</summary>
    /// <param name="routers">The routers (<see cref="VirtualRouter.CreateCollection"/> or <c>services.AddVrrp(...)</c>).</param>
    /// <param name="scheduler">Runs the script monitors; the caller owns it (disposing it kills running scripts).</param>
    /// <param name="scriptProbe">Makes the probe that runs a script once; by default <c>/bin/sh -c '&lt;script&gt;'</c>
    /// as the current user (a daemon that honours <c>script_user</c> and keepalived's word splitting passes its own).</param>
    /// <param name="interfaceIsUp">Whether a link is up now, for routers as they start (Ha.Net.Vrrp.Linux:
    /// <c>ILinkStateMonitor.IsUp</c>), or <see langword="null"/> to leave link states to someone else.</param>
    /// <param name="loggerFactory">Where the script lines are logged; none by default.</param>
    public KeepalivedTracking(
        IVirtualRouterCollection routers,
        IHealthCheckScheduler scheduler,
        Func<KeepalivedVrrpScript, IHealthProbe>? scriptProbe = null,
        Func<string, bool>? interfaceIsUp = null,
        ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(routers);
        ArgumentNullException.ThrowIfNull(scheduler);
        _routers = routers;
        _scheduler = scheduler;
        _probe = scriptProbe ?? (s => HealthProbes.Command(new CommandProbeOptions { FileName = s.Script, UseShell = true }));
        _interfaceIsUp = interfaceIsUp;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Ha.Net.Vrrp.Keepalived");
        _routers.RouterStarted += OnRouterStarted;
    }

    /// <summary>Raised when a script's settled state changes (up; or down after <c>fall</c> failures), before routers are told.</summary>
    public event EventHandler<KeepalivedScriptStateChangedEventArgs>? ScriptStateChanged;

    /// <summary>
    /// Runs <paramref name="mapping"/>: refuses it whole when it has errors (nothing changes), otherwise starts a monitor
    /// for each newly tracked script (a changed script's monitor is replaced; an untracked one removed) and applies the
    /// instances to the collection, restarting those whose <c>unicast_ttl</c> or tracked scripts changed. Routers that
    /// start get their links' state and their scripts' settled state at once.
    /// </summary>
    /// <param name="mapping">From <see cref="KeepalivedConfigMapper.ToVirtualRouterOptions(KeepalivedConfig)"/>.</param>
    /// <param name="cancellationToken">Cancels waiting for an apply in progress.</param>
    /// <returns>What the collection kept, restarted, stopped, started and could not start.</returns>
    /// <exception cref="VrrpConfigurationException">The mapping or the instance set has errors (all listed); nothing changed.</exception>
    public async Task<VirtualRouterApplyResult> ApplyAsync(KeepalivedMapping mapping, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        if (!mapping.IsValid)
        {
            throw new VrrpConfigurationException("Invalid keepalived configuration:" + string.Concat(mapping.Errors.Select(e => Environment.NewLine + "  " + e)));
        }

        var set = new VrrpOptions();
        foreach (var router in mapping.Routers)
        {
            set.Instances.Add(router.Options);
        }

        var errors = set.Validate().Where(i => !i.IsWarning).ToList();
        if (errors.Count > 0)
        {
            throw new VrrpConfigurationException(errors);
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var global = mapping.Config.Global;
            var wanted = new Dictionary<string, (KeepalivedVrrpScript Script, string Key)>(StringComparer.Ordinal);
            var keys = new Dictionary<string, string>(StringComparer.Ordinal);
            var restart = new List<string>();
            foreach (var r in mapping.Routers)
            {
                var key = new StringBuilder().Append("unicast_ttl=").Append(r.Instance.UnicastTtl.ToString(CultureInfo.InvariantCulture)).Append(';');
                foreach (var (name, script) in r.TrackedScripts.OrderBy(k => k.Key, StringComparer.Ordinal))
                {
                    var scriptKey = ScriptKey(script, global);
                    wanted[name] = (script, scriptKey);
                    key.Append("script ").Append(name).Append('=').Append(scriptKey).Append(';');
                }

                var name2 = r.Instance.Name;
                keys[name2] = key.ToString();
                if (_instanceKeys.TryGetValue(name2, out var before) && before != keys[name2])
                {
                    restart.Add(name2);
                }
            }

            SyncScripts(wanted);
            _mappings = mapping.Routers.ToDictionary(r => r.Instance.Name, StringComparer.Ordinal);
            var result = await _routers.ApplyAsync(mapping.Routers.Select(r => r.Options), restart, cancellationToken).ConfigureAwait(false);
            foreach (var failed in result.Failed.Keys)
            {
                keys.Remove(failed);
            }

            _instanceKeys = keys;
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Reports a link's state: the instances on <paramref name="interfaceName"/> go to FAULT while it is down
    /// (<see cref="IVirtualRouter.SetLinkState"/>), and those with <c>track_interface</c> on it see their tracked object change.
    /// </summary>
    /// <param name="interfaceName">The interface.</param>
    /// <param name="isUp">Whether it is up.</param>
    public void SetInterfaceState(string interfaceName, bool isUp)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        var mappings = _mappings;
        foreach (var router in _routers)
        {
            if (!mappings.TryGetValue(router.InstanceName, out var mapping))
            {
                continue;
            }

            if (mapping.Options.InterfaceName == interfaceName)
            {
                router.SetLinkState(isUp);
            }

            if (mapping.Instance.TrackInterfaces.Any(t => t.Interface == interfaceName))
            {
                SetTracked(router, interfaceName, isUp);
            }
        }
    }

    /// <summary>The settled state of a tracked script: <see langword="true"/> up, <see langword="false"/> down, <see langword="null"/> not settled yet or not tracked.</summary>
    /// <param name="scriptName">The <c>vrrp_script</c> name.</param>
    public bool? GetScriptState(string scriptName)
    {
        lock (_scripts)
        {
            return _scripts.TryGetValue(scriptName, out var monitor) ? monitor.Reported : null;
        }
    }

    /// <summary>Removes the script monitors from the scheduler and stops feeding the routers (which keep running).</summary>
    public ValueTask DisposeAsync()
    {
        _routers.RouterStarted -= OnRouterStarted;
        lock (_scripts)
        {
            foreach (var name in _scripts.Keys)
            {
                _scheduler.Remove(name);
            }

            _scripts.Clear();
        }

        _gate.Dispose();
        return ValueTask.CompletedTask;
    }

    private static string ScriptKey(KeepalivedVrrpScript s, KeepalivedGlobalDefs global) => string.Create(CultureInfo.InvariantCulture,
        $"{s.Script}|{s.Interval.Ticks}|{s.Timeout.Ticks}|{s.Weight}|{s.WeightReverse}|{s.Rise}|{s.Fall}|{s.User}|{s.Group}|{s.InitFail}|{global.ScriptUser}|{global.ScriptGroup}");

    private static void SetTracked(IVirtualRouter router, string name, bool isUp)
    {
        try
        {
            router.SetTrackedObjectState(name, isUp);
        }
        catch (ArgumentException)
        {
            // A router of the previous configuration that a reload is replacing does not track it.
        }
    }

    /// <summary>One monitor per tracked vrrp_script: new ones added, changed ones replaced, untracked ones removed.</summary>
    private void SyncScripts(Dictionary<string, (KeepalivedVrrpScript Script, string Key)> wanted)
    {
        lock (_scripts)
        {
            foreach (var (name, existing) in _scripts.ToList())
            {
                if (!wanted.TryGetValue(name, out var w) || w.Key != existing.Key)
                {
                    _scheduler.Remove(name);
                    _scripts.Remove(name);
                }
            }

            foreach (var (name, (script, key)) in wanted)
            {
                if (_scripts.ContainsKey(name))
                {
                    continue;
                }

                var options = HealthMonitorOptions.VrrpScript(script.Interval) with { Timeout = script.Timeout, Rise = script.Rise, Fall = script.Fall };
                var sm = new ScriptMonitor(name, key);
                _scripts[name] = sm;
                var monitor = _scheduler.Add(name, _probe(script), options);
                monitor.CheckCompleted += (_, e) => OnScriptChecked(sm, e);
            }
        }
    }

    private void OnRouterStarted(object? sender, VirtualRouterStartedEventArgs e)
    {
        if (!_mappings.TryGetValue(e.Options.InstanceName, out var mapping))
        {
            return;
        }

        var router = e.Router;
        if (_interfaceIsUp is { } isUp)
        {
            router.SetLinkState(isUp(e.Options.InterfaceName));
            foreach (var t in mapping.Instance.TrackInterfaces)
            {
                SetTracked(router, t.Interface, isUp(t.Interface));
            }
        }

        lock (_scripts)
        {
            foreach (var name in mapping.TrackedScripts.Keys)
            {
                if (_scripts.TryGetValue(name, out var s) && s.Reported is { } up)
                {
                    SetTracked(router, name, up);
                }
            }
        }
    }

    private void OnScriptChecked(ScriptMonitor sm, CheckCompletedEventArgs e)
    {
        var snap = e.Snapshot;
        var up = snap.State == HealthState.Up;
        lock (_scripts)
        {
            if (!_scripts.TryGetValue(sm.Name, out var current) || current != sm)
            {
                return; // replaced by a reload
            }

            // keepalived reports a script once its state is settled: up, or down after 'fall' failures; then each change.
            if (sm.Reported == up || (sm.Reported is null && !up && snap.ConsecutiveFailures < snap.Fall))
            {
                return;
            }

            sm.Reported = up;
        }

        if (up)
        {
            Log.Succeeded(_logger, sm.Name);
        }
        else if (e.Result.IsTimeout)
        {
            Log.TimedOut(_logger, sm.Name);
        }
        else
        {
            Log.Failed(_logger, sm.Name, e.Result.Code is { } code
                ? string.Create(CultureInfo.InvariantCulture, $"exited with status {code}")
                : e.Result.Description ?? "could not be run");
        }

        ScriptStateChanged?.Invoke(this, new KeepalivedScriptStateChangedEventArgs(sm.Name, up, e.Result));
        var mappings = _mappings;
        foreach (var router in _routers)
        {
            if (mappings.TryGetValue(router.InstanceName, out var mapping) && mapping.TrackedScripts.ContainsKey(sm.Name))
            {
                SetTracked(router, sm.Name, up);
            }
        }
    }

    private sealed class ScriptMonitor(string name, string key)
    {
        public string Name { get; } = name;

        public string Key { get; } = key;

        public bool? Reported { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(2500, LogLevel.Information, "VRRP_Script({Name}) succeeded")]
        public static partial void Succeeded(ILogger logger, string name);

        [LoggerMessage(2501, LogLevel.Information, "VRRP_Script({Name}) timed_out")]
        public static partial void TimedOut(ILogger logger, string name);

        [LoggerMessage(2502, LogLevel.Information, "VRRP_Script({Name}) failed ({Reason})")]
        public static partial void Failed(ILogger logger, string name, string reason);
    }
}

/// <summary>Data of <see cref="KeepalivedTracking.ScriptStateChanged"/>.</summary>
public sealed class KeepalivedScriptStateChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    /// <param name="name">The <c>vrrp_script</c> name.</param>
    /// <param name="isUp">Its settled state.</param>
    /// <param name="result">The check that settled it.</param>
    public KeepalivedScriptStateChangedEventArgs(string name, bool isUp, CheckResult result)
    {
        Name = name;
        IsUp = isUp;
        Result = result;
    }

    /// <summary>The <c>vrrp_script</c> name.</summary>
    public string Name { get; }

    /// <summary>Whether it is up (succeeded) or down (failed or timed out).</summary>
    public bool IsUp { get; }

    /// <summary>The check that settled it.</summary>
    public CheckResult Result { get; }
}
