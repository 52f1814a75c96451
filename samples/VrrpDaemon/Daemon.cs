using System.Net.Sockets;
using System.Text;
using Ha.Net.HealthChecks;
using Ha.Net.HealthChecks.Probes;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Keepalived;
using Ha.Net.Vrrp.Hosting;
using Ha.Net.Vrrp.Linux;
using Ha.Net.Vrrp.Linux.Addresses;
using Ha.Net.Vrrp.Linux.Announcements;
using Ha.Net.Vrrp.Linux.Links;
using Ha.Net.Vrrp.Linux.Transport;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.VrrpDaemon;

/// <summary>
/// The running daemon: one Ha.Net virtual router per <c>vrrp_instance</c> over the Linux backend (raw transport per
/// instance; one netlink binder, GARP announcer and link monitor shared), one health monitor per tracked
/// <c>vrrp_script</c>, link tracking for each instance's interface and <c>track_interface</c>, notify scripts and SMTP
/// alerts on transitions, reload that keeps unchanged instances running untouched, and keepalived's SIGTERM shutdown.
/// </summary>
internal sealed partial class Daemon : IAsyncDisposable
{
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private readonly Notifier _notifier;
    private readonly SmtpAlerter _smtp;
    private readonly SemaphoreSlim _applyGate = new(1, 1);
    private readonly Dictionary<string, ScriptMonitor> _scripts = new(StringComparer.Ordinal);
    private volatile Instance[] _instances = [];
    private ILinuxAddressBinder? _binder;
    private ILinuxAddressAnnouncer? _announcer;
    private ILinkStateMonitor? _links;
    private IHealthCheckScheduler? _health;

    public Daemon(ILoggerFactory loggers)
    {
        _loggers = loggers;
        _log = loggers.CreateLogger("hanet-vrrpd");
        _notifier = new Notifier(_log);
        _smtp = new SmtpAlerter(_log);
    }

    /// <summary>The instance names running now (for tests and logs).</summary>
    public IReadOnlyList<string> InstanceNames => [.. _instances.Select(i => i.Name)];

    /// <summary>The running instances as the metrics endpoint shows them.</summary>
    public IReadOnlyList<InstanceStatus> Snapshot() =>
        [.. _instances.Select(i => new InstanceStatus(i.Name, i.Mapping.Options.InterfaceName, i.Mapping.Options.VirtualRouterId,
            [.. i.Mapping.Options.VirtualAddresses.Select(a => a.Address)], i.Router.State, i.Mapping.Options.Priority, i.Router.EffectivePriority))];

    /// <summary>Opens the Linux backend, removes VIPs a killed predecessor left behind, and starts every instance.</summary>
    public async Task StartAsync(LoadedConfig loaded)
    {
        _binder = LinuxVrrpBackend.OpenAddressBinder(new NetlinkAddressBinderOptions { OnExternalRemoval = ExternalRemovalPolicy.LeaveMaster }, _loggers);
        var stale = await _binder.RemoveStaleAsync(
            loaded.Mapping.Routers.SelectMany(r => r.Options.VirtualAddresses.Concat(r.Options.ExcludedVirtualAddresses)), CancellationToken.None);
        foreach (var address in stale)
        {
            _log.LogInformation("Removed stale VIP {Address} left on {Interface}", address.Address, address.InterfaceName);
        }

        _announcer = LinuxVrrpBackend.OpenAnnouncer(_loggers);
        _links = LinuxVrrpBackend.StartLinkMonitor(_loggers);
        _health = HealthCheckScheduler.Create(loggerFactory: _loggers);
        _binder.RemovedExternally += OnAddressRemovedExternally;
        _links.LinkStateChanged += OnLinkStateChanged;
        _ = Task.Run(() => HotPath.PrepareType(typeof(Daemon))); // the SIGTERM path runs compiled, not JIT-compiled (#18)
        await ApplyAsync(loaded);
    }

    /// <summary>
    /// SIGHUP: re-reads the configuration. A refused configuration changes nothing. Otherwise instances whose
    /// effective settings are identical keep running untouched (no transition, no advert burst, no notify); changed
    /// ones are stopped (priority 0, VIPs released) and started again; removed ones are stopped; new ones started.
    /// Notify scripts, smtp_alert and global_defs mail settings of kept instances are updated in place.
    /// </summary>
    public async Task<bool> ReloadAsync(string path)
    {
        _log.LogInformation("Reloading");
        _log.LogInformation("Opening file '{Path}'.", path);
        var result = ConfigLoader.Load(path);
        foreach (var w in result.Warnings)
        {
            _log.LogWarning("{Warning}", w);
        }

        if (result.Loaded is null)
        {
            foreach (var e in result.Errors)
            {
                _log.LogError("{Error}", e);
            }

            _log.LogError("Reload refused: the new configuration has {Count} error(s); the running configuration is kept", result.Errors.Count);
            return false;
        }

        await ApplyAsync(result.Loaded);
        _log.LogInformation("Reload finished");
        return true;
    }

    /// <summary>
    /// Tells every router to stop now (each master's priority-0 advert and VIP removal run on its own thread at once);
    /// called from the SIGTERM handler, so nothing queued before the signal's processing delays them.
    /// <see cref="StopAsync"/> then waits for them.
    /// </summary>
    public void BeginStop()
    {
        foreach (var instance in _instances)
        {
            _ = instance.Router.StopAsync();
        }
    }

    /// <summary>
    /// keepalived's SIGTERM: each master sends priority 0 and removes its VIPs first (the routers' own threads do it the
    /// moment they are told), then running scripts are stopped, notify STOP, exit.
    /// </summary>
    public async Task StopAsync()
    {
        var instances = _instances;
        _instances = [];
        var stopping = Task.WhenAll(instances.Select(StopInstanceAsync));
        _log.LogInformation("Stopping");
        if (_health is not null)
        {
            await _health.DisposeAsync(); // running vrrp_scripts are killed
            _health = null;
        }

        await stopping;
        await _notifier.DrainAsync(TimeSpan.FromSeconds(3));
        await _smtp.DrainAsync(TimeSpan.FromSeconds(15));
        _log.LogInformation("Stopped");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var i in _instances)
        {
            await i.Router.DisposeAsync();
        }

        _instances = [];
        if (_health is not null)
        {
            await _health.DisposeAsync();
        }

        if (_links is not null)
        {
            await _links.DisposeAsync();
        }

        if (_announcer is not null)
        {
            await _announcer.DisposeAsync();
        }

        if (_binder is not null)
        {
            await _binder.DisposeAsync();
        }

        _applyGate.Dispose();
    }

    private async Task ApplyAsync(LoadedConfig loaded)
    {
        await _applyGate.WaitAsync();
        try
        {
            var desired = loaded.Mapping.Routers.Select(r => (Mapping: r, Fingerprint: InstanceFingerprint(r, loaded.Policy))).ToList();
            var old = _instances.ToDictionary(i => i.Name, StringComparer.Ordinal);
            var keep = new List<Instance>();
            var stop = new List<Instance>();
            var start = new List<(KeepalivedRouterMapping Mapping, string Fingerprint)>();
            foreach (var (mapping, fingerprint) in desired)
            {
                if (old.Remove(mapping.Instance.Name, out var running))
                {
                    if (running.Fingerprint == fingerprint)
                    {
                        running.Update(mapping.Instance, loaded);
                        keep.Add(running);
                        continue;
                    }

                    _log.LogInformation("({Instance}) configuration changed; restarting the instance", mapping.Instance.Name);
                    stop.Add(running);
                }

                start.Add((mapping, fingerprint));
            }

            foreach (var removed in old.Values)
            {
                _log.LogInformation("({Instance}) removed from the configuration; stopping the instance", removed.Name);
                stop.Add(removed);
            }

            // Instances stop before new ones start: a changed instance may reuse its VRID, interface and VIPs.
            _instances = [.. keep];
            await Task.WhenAll(stop.Select(StopInstanceAsync));
            SyncScripts(desired.Select(d => d.Mapping), loaded.Policy);
            foreach (var (mapping, fingerprint) in start)
            {
                var instance = await StartInstanceAsync(mapping, fingerprint, loaded);
                if (instance is not null)
                {
                    keep.Add(instance);
                    _instances = [.. keep];
                }
            }
        }
        finally
        {
            _applyGate.Release();
        }
    }

    private async Task<Instance?> StartInstanceAsync(KeepalivedRouterMapping mapping, string fingerprint, LoadedConfig loaded)
    {
        var o = mapping.Options;
        var vi = mapping.Instance;
        IVirtualRouter router;
        try
        {
            var transport = LinuxVrrpBackend.OpenTransport(RawVrrpTransportOptions.ForInstance(o, (byte)Math.Clamp(vi.UnicastTtl, 1, 255)), _loggers);
            router = VirtualRouter.Create(o, transport, _binder!, _announcer!, loggerFactory: _loggers);
        }
        catch (Exception ex) when (ex is SocketException or IOException or ArgumentException or InvalidOperationException or UnauthorizedAccessException)
        {
            _log.LogError("({Instance}) cannot start on {Interface}: {Error}", vi.Name, o.InterfaceName, ex.Message);
            return null;
        }

        var instance = new Instance(vi.Name, fingerprint, mapping, router, loaded);
        router.StateChanged += (_, e) => OnStateChanged(instance, e);
        await router.StartAsync();
        router.SetLinkState(_links!.IsUp(o.InterfaceName));
        foreach (var t in vi.TrackInterfaces)
        {
            router.SetTrackedObjectState(t.Interface, _links.IsUp(t.Interface));
        }

        lock (_scripts)
        {
            foreach (var name in mapping.TrackedScripts.Keys)
            {
                if (_scripts.TryGetValue(name, out var s) && s.Reported is { } up)
                {
                    router.SetTrackedObjectState(name, up);
                }
            }
        }

        return instance;
    }

    private async Task StopInstanceAsync(Instance instance)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await instance.Router.StopAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            _log.LogWarning("({Instance}) did not stop within 20 s", instance.Name);
        }

        await instance.Router.DisposeAsync();
    }

    private void OnStateChanged(Instance instance, VirtualRouterStateChangedEventArgs e)
    {
        var (vi, loaded) = instance.Current;
        RecordTransition(instance, e);
        _notifier.Notify(vi, loaded.Policy, e.KeepalivedState, e.EffectivePriority);
        _smtp.Alert(loaded.Config.Global, vi, e.KeepalivedState);
    }

    private void OnLinkStateChanged(object? sender, LinkStateChangedEventArgs e)
    {
        _log.LogInformation("Netlink reports {Interface} {State}", e.InterfaceName, e.IsUp ? "up" : "down");
        foreach (var i in _instances)
        {
            if (i.Mapping.Options.InterfaceName == e.InterfaceName)
            {
                i.Router.SetLinkState(e.IsUp);
            }

            if (i.Mapping.Instance.TrackInterfaces.Any(t => t.Interface == e.InterfaceName))
            {
                i.Router.SetTrackedObjectState(e.InterfaceName, e.IsUp);
            }
        }
    }

    private void OnAddressRemovedExternally(object? sender, VirtualAddressRemovedEventArgs e)
    {
        if (e.Restored)
        {
            return;
        }

        foreach (var i in _instances.Where(i => i.Mapping.Options.VirtualAddresses.Any(v => v.Address.Equals(e.Address.Address))))
        {
            i.Router.ReportAddressRemoved(e.Address.Address);
        }
    }

    /// <summary>One monitor per tracked vrrp_script (shared by every instance tracking it, as keepalived runs each script once).</summary>
    private void SyncScripts(IEnumerable<KeepalivedRouterMapping> routers, ScriptPolicy policy)
    {
        var wanted = new Dictionary<string, KeepalivedVrrpScript>(StringComparer.Ordinal);
        foreach (var r in routers)
        {
            foreach (var (name, script) in r.TrackedScripts)
            {
                wanted[name] = script;
            }
        }

        lock (_scripts)
        {
            foreach (var (name, existing) in _scripts.ToList())
            {
                if (!wanted.TryGetValue(name, out var s) || ScriptFingerprint(s, policy) != existing.Fingerprint)
                {
                    _health!.Remove(name);
                    _scripts.Remove(name);
                }
            }

            foreach (var (name, s) in wanted)
            {
                if (_scripts.ContainsKey(name))
                {
                    continue;
                }

                var command = ScriptCommand.Parse(s.Script);
                var (file, args) = command.ToStart(command.Resolve() ?? command.Program, [], s.User ?? policy.User, s.User is null ? policy.Group : s.Group);
                var probe = HealthProbes.Command(new CommandProbeOptions { FileName = file, Arguments = args });
                var options = HealthMonitorOptions.VrrpScript(s.Interval) with { Timeout = s.Timeout, Rise = s.Rise, Fall = s.Fall };
                var sm = new ScriptMonitor(name, ScriptFingerprint(s, policy));
                _scripts[name] = sm;
                var monitor = _health!.Add(name, probe, options);
                monitor.CheckCompleted += (_, e) => OnScriptChecked(sm, e);
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

            // Report once the state is settled: up, or down after 'fall' failures; then on every change.
            if (sm.Reported == up || (sm.Reported is null && !up && snap.ConsecutiveFailures < snap.Fall))
            {
                return;
            }

            sm.Reported = up;
        }

        if (up)
        {
            _log.LogInformation("VRRP_Script({Name}) succeeded", sm.Name);
        }
        else if (e.Result.IsTimeout)
        {
            _log.LogInformation("VRRP_Script({Name}) timed_out", sm.Name);
        }
        else
        {
            _log.LogInformation("VRRP_Script({Name}) failed ({Reason})", sm.Name,
                e.Result.Code is { } code ? Users.Invariant($"exited with status {code}") : e.Result.Description ?? "could not be run");
        }

        foreach (var i in _instances)
        {
            if (i.Mapping.TrackedScripts.ContainsKey(sm.Name))
            {
                i.Router.SetTrackedObjectState(sm.Name, up);
            }
        }
    }

    /// <summary>
    /// Everything that, if changed, needs the router restarted: every engine option, the transport's TTL and the tracked
    /// scripts. Each option is written out by name (no reflection, so Native AOT and trimming keep it exact); a test
    /// walks <see cref="VirtualRouterOptions"/>' properties by reflection and fails when one is missing here.
    /// </summary>
    internal static string InstanceFingerprint(KeepalivedRouterMapping r, ScriptPolicy policy)
    {
        var sb = new StringBuilder();
        AppendOptions(sb, r.Options);
        sb.Append("unicast_ttl=").Append(r.Instance.UnicastTtl).Append(';');
        foreach (var (name, script) in r.TrackedScripts.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            sb.Append("script ").Append(name).Append('=').Append(ScriptFingerprint(script, policy)).Append(';');
        }

        return sb.ToString();
    }

    private static string ScriptFingerprint(KeepalivedVrrpScript s, ScriptPolicy policy) =>
        Users.Invariant($"{s.Script}|{s.Interval}|{s.Timeout}|{s.Weight}|{s.WeightReverse}|{s.Rise}|{s.Fall}|{s.User}|{s.Group}|{s.InitFail}|{policy.User}|{policy.Group}");

    /// <summary>Every public property of <see cref="VirtualRouterOptions"/>, in name order, as <c>Name=value;</c>.</summary>
    internal static void AppendOptions(StringBuilder sb, VirtualRouterOptions o)
    {
        Field(sb, nameof(o.AddressFailureRetryDelay), o.AddressFailureRetryDelay.Ticks);
        Field(sb, nameof(o.AdvertisementInterval), o.AdvertisementInterval.Ticks);
        Field(sb, nameof(o.AnnounceWithAdvertisements), o.AnnounceWithAdvertisements);
        Field(sb, nameof(o.AuthenticationPassword), o.AuthenticationPassword);
        Field(sb, nameof(o.AuthenticationType), (int)o.AuthenticationType);
        Field(sb, nameof(o.CheckUnicastSource), o.CheckUnicastSource);
        Field(sb, nameof(o.DownTimerAdverts), o.DownTimerAdverts);
        Field(sb, nameof(o.DropOnAddressListMismatch), o.DropOnAddressListMismatch);
        Addresses(sb, nameof(o.ExcludedVirtualAddresses), o.ExcludedVirtualAddresses);
        Field(sb, nameof(o.GarpLowerPriorityDelay), o.GarpLowerPriorityDelay?.Ticks);
        Field(sb, nameof(o.GarpLowerPriorityRepeat), o.GarpLowerPriorityRepeat);
        Field(sb, nameof(o.GarpMasterDelay), o.GarpMasterDelay.Ticks);
        Field(sb, nameof(o.GarpMasterRefresh), o.GarpMasterRefresh.Ticks);
        Field(sb, nameof(o.GarpMasterRefreshRepeat), o.GarpMasterRefreshRepeat);
        Field(sb, nameof(o.GarpMasterRepeat), o.GarpMasterRepeat);
        Field(sb, nameof(o.HigherPrioritySendAdvert), o.HigherPrioritySendAdvert);
        Field(sb, nameof(o.InstanceName), o.InstanceName);
        Field(sb, nameof(o.InterfaceName), o.InterfaceName);
        Field(sb, nameof(o.LowerPriorityNoAdvert), o.LowerPriorityNoAdvert);
        Field(sb, nameof(o.MulticastGroup), o.MulticastGroup?.ToString());
        Field(sb, nameof(o.Preempt), o.Preempt);
        Field(sb, nameof(o.PreemptDelay), o.PreemptDelay.Ticks);
        Field(sb, nameof(o.Priority), o.Priority);
        Field(sb, nameof(o.SourceAddress), o.SourceAddress?.ToString());
        sb.Append(nameof(o.TrackedObjects)).Append('=');
        foreach (var t in o.TrackedObjects)
        {
            sb.Append(t.Name).Append('/').Append(t.Weight).Append('/').Append(t.Reverse).Append('/').Append(t.InitiallyUp).Append(',');
        }

        sb.Append(';');
        sb.Append(nameof(o.UnicastPeers)).Append('=');
        foreach (var peer in o.UnicastPeers)
        {
            sb.Append(peer).Append(',');
        }

        sb.Append(';');
        Field(sb, nameof(o.V3ChecksumMode), (int)o.V3ChecksumMode);
        Field(sb, nameof(o.Version), (int)o.Version);
        Addresses(sb, nameof(o.VirtualAddresses), o.VirtualAddresses);
        Field(sb, nameof(o.VirtualRouterId), o.VirtualRouterId);
    }

    private static void Field<T>(StringBuilder sb, string name, T value) =>
        sb.Append(name).Append('=').Append(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)).Append(';');

    private static void Addresses(StringBuilder sb, string name, IEnumerable<Ha.Net.Vrrp.Addresses.VirtualAddress> addresses)
    {
        sb.Append(name).Append('=');
        foreach (var a in addresses)
        {
            sb.Append(a.Address).Append('/').Append(a.PrefixLength).Append('/').Append(a.InterfaceName).Append('/')
              .Append(a.Broadcast).Append('/').Append((int)a.Scope).Append('/').Append(a.Label).Append(',');
        }

        sb.Append(';');
    }

    private sealed class Instance(string name, string fingerprint, KeepalivedRouterMapping mapping, IVirtualRouter router, LoadedConfig loaded)
    {
        private volatile Tuple<KeepalivedVrrpInstance, LoadedConfig> _current = Tuple.Create(mapping.Instance, loaded);

        public string Name { get; } = name;

        public string Fingerprint { get; } = fingerprint;

        public KeepalivedRouterMapping Mapping { get; } = mapping;

        public IVirtualRouter Router { get; } = router;

        /// <summary>The notify/smtp settings in force (replaced by a reload that keeps the router).</summary>
        public (KeepalivedVrrpInstance Instance, LoadedConfig Config) Current => (_current.Item1, _current.Item2);

        public void Update(KeepalivedVrrpInstance instance, LoadedConfig config) => _current = Tuple.Create(instance, config);
    }

    private sealed class ScriptMonitor(string name, string fingerprint)
    {
        public string Name { get; } = name;

        public string Fingerprint { get; } = fingerprint;

        public bool? Reported { get; set; }
    }
}
