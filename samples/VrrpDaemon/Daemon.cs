using System.Runtime.CompilerServices;
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
using Ha.Net.Vrrp.Transport;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.VrrpDaemon;

/// <summary>
/// The running daemon, composed from the libraries' public API: a router collection
/// (<see cref="VirtualRouter.CreateCollection"/>) over the Linux backend (raw transport per instance with its
/// <c>unicast_ttl</c>; one netlink binder, GARP announcer and link monitor shared), keepalived's tracking
/// (<see cref="KeepalivedTracking"/>: one health monitor per tracked <c>vrrp_script</c>, link states for each instance's
/// interface and <c>track_interface</c>), notify scripts and SMTP alerts on transitions, reload through the collection's
/// <see cref="IVirtualRouterCollection.ApplyAsync"/> (unchanged instances keep running untouched), and keepalived's
/// SIGTERM shutdown.
/// </summary>
internal sealed partial class Daemon : IAsyncDisposable
{
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private readonly Notifier _notifier;
    private readonly SmtpAlerter _smtp;
    private readonly SemaphoreSlim _applyGate = new(1, 1);
    private readonly ConditionalWeakTable<IVirtualRouter, Instance> _bound = new();
    private volatile LoadedConfig? _current;
    private ILinuxAddressBinder? _binder;
    private ILinuxAddressAnnouncer? _announcer;
    private ILinkStateMonitor? _links;
    private IHealthCheckScheduler? _health;
    private IVirtualRouterCollection? _routers;
    private KeepalivedTracking? _tracking;

    public Daemon(ILoggerFactory loggers)
    {
        _loggers = loggers;
        _log = loggers.CreateLogger("hanet-vrrpd");
        _notifier = new Notifier(_log);
        _smtp = new SmtpAlerter(_log);
    }

    /// <summary>The instance names running now (for tests and logs).</summary>
    public IReadOnlyList<string> InstanceNames => [.. Routers.Select(r => r.InstanceName)];

    private IEnumerable<IVirtualRouter> Routers => _routers ?? Enumerable.Empty<IVirtualRouter>();

    /// <summary>The running instances as the metrics endpoint shows them.</summary>
    public IReadOnlyList<InstanceStatus> Snapshot()
    {
        var list = new List<InstanceStatus>();
        foreach (var router in Routers)
        {
            VirtualRouterOptions o;
            try
            {
                o = _routers!.GetOptions(router.InstanceName);
            }
            catch (KeyNotFoundException)
            {
                continue; // removed by a reload meanwhile
            }

            list.Add(new InstanceStatus(router.InstanceName, o.InterfaceName, o.VirtualRouterId,
                [.. o.VirtualAddresses.Select(a => a.Address)], router.State, o.Priority, router.EffectivePriority));
        }

        return list;
    }

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
        _routers = VirtualRouter.CreateCollection(new InstanceTransports(this), _binder, _announcer, loggerFactory: _loggers);
        _routers.StateChanged += OnStateChanged;
        _tracking = new KeepalivedTracking(_routers, _health, ScriptProbe, _links.IsUp, _loggers);
        _binder.RemovedExternally += OnAddressRemovedExternally;
        _links.LinkStateChanged += OnLinkStateChanged;
        try
        {
            await ApplyAsync(loaded);
        }
        catch (VrrpConfigurationException ex)
        {
            throw new InvalidOperationException(ex.Message, ex);
        }
    }

    /// <summary>
    /// SIGHUP: re-reads the configuration. A refused configuration changes nothing. Otherwise the collection's reload
    /// keeps instances whose effective settings are identical running untouched (no transition, no advert burst, no
    /// notify); changed ones are stopped (priority 0, VIPs released) and started again; removed ones are stopped; new
    /// ones started. Notify scripts, smtp_alert and global_defs mail settings of kept instances are updated in place.
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

        IReadOnlyList<string> errors = result.Errors;
        if (result.Loaded is not null)
        {
            try
            {
                await ApplyAsync(result.Loaded);
                _log.LogInformation("Reload finished");
                return true;
            }
            catch (VrrpConfigurationException ex)
            {
                errors = ex.Errors.Count > 0 ? [.. ex.Errors.Select(e => e.ToString())] : [ex.Message];
            }
        }

        foreach (var e in errors)
        {
            _log.LogError("{Error}", e);
        }

        _log.LogError("Reload refused: the new configuration has {Count} error(s); the running configuration is kept", errors.Count);
        return false;
    }

    /// <summary>
    /// Tells every router to stop now (each master's priority-0 advert and VIP removal run on its own thread at once);
    /// called from the SIGTERM handler, so nothing queued before the signal's processing delays them.
    /// <see cref="StopAsync"/> then waits for them.
    /// </summary>
    public void BeginStop()
    {
        foreach (var router in Routers)
        {
            _ = router.StopAsync();
        }
    }

    /// <summary>
    /// keepalived's SIGTERM: each master sends priority 0 and removes its VIPs first (the routers' own threads do it the
    /// moment they are told), then running scripts are stopped, notify STOP, exit.
    /// </summary>
    public async Task StopAsync()
    {
        var stopping = _routers?.StopAsync() ?? Task.CompletedTask;
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
        if (_tracking is not null)
        {
            await _tracking.DisposeAsync();
        }

        if (_routers is not null)
        {
            await _routers.DisposeAsync();
        }

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

    /// <summary>Applies a checked configuration through keepalived's tracking and the router collection.</summary>
    /// <exception cref="VrrpConfigurationException">The collection refused it; nothing changed.</exception>
    private async Task ApplyAsync(LoadedConfig loaded)
    {
        await _applyGate.WaitAsync();
        var previous = _current;
        try
        {
            _current = loaded; // what new routers' notify settings, transports and script probes come from
            var result = await _tracking!.ApplyAsync(loaded.Mapping);
            foreach (var name in result.Kept)
            {
                _bound.AddOrUpdate(_routers![name], Instance.For(loaded, name));
            }
        }
        catch (VrrpConfigurationException)
        {
            _current = previous;
            throw;
        }
        finally
        {
            _applyGate.Release();
        }
    }

    /// <summary>The notify/smtp settings a router runs with: those of the configuration it was started from (or kept by).</summary>
    private Instance SettingsOf(IVirtualRouter router) =>
        _bound.GetValue(router, r => Instance.For(_current!, r.InstanceName));

    /// <summary>A vrrp_script as keepalived runs it: split by keepalived's rules, as <c>script_user</c> or its own user.</summary>
    private IHealthProbe ScriptProbe(KeepalivedVrrpScript s)
    {
        var policy = _current!.Policy;
        var command = ScriptCommand.Parse(s.Script);
        var (file, args) = command.ToStart(command.Resolve() ?? command.Program, [], s.User ?? policy.User, s.User is null ? policy.Group : s.Group);
        return HealthProbes.Command(new CommandProbeOptions { FileName = file, Arguments = args });
    }

    private void OnStateChanged(object? sender, VirtualRouterStateChangedEventArgs e)
    {
        if (sender is not IVirtualRouter router)
        {
            return;
        }

        var instance = SettingsOf(router);
        RecordTransition(router, e);
        _notifier.Notify(instance.Vi, instance.Loaded.Policy, e.KeepalivedState, e.EffectivePriority);
        _smtp.Alert(instance.Loaded.Config.Global, instance.Vi, e.KeepalivedState);
    }

    private void OnLinkStateChanged(object? sender, LinkStateChangedEventArgs e)
    {
        _log.LogInformation("Netlink reports {Interface} {State}", e.InterfaceName, e.IsUp ? "up" : "down");
        _tracking?.SetInterfaceState(e.InterfaceName, e.IsUp);
    }

    private void OnAddressRemovedExternally(object? sender, VirtualAddressRemovedEventArgs e)
    {
        if (e.Restored)
        {
            return;
        }

        foreach (var router in Routers)
        {
            router.ReportAddressRemoved(e.Address.Address); // ignored by routers without that address
        }
    }

    /// <summary>Opens each instance's raw transport with its own <c>unicast_ttl</c> (from the configuration being applied).</summary>
    private sealed class InstanceTransports(Daemon daemon) : IVrrpTransportFactory
    {
        public IVrrpTransport Create(VirtualRouterOptions options)
        {
            var ttl = daemon._current?.Mapping.Routers.FirstOrDefault(r => r.Instance.Name == options.InstanceName)?.Instance.UnicastTtl ?? 255;
            return LinuxVrrpBackend.OpenTransport(RawVrrpTransportOptions.ForInstance(options, (byte)Math.Clamp(ttl, 1, 255)), daemon._loggers);
        }
    }

    /// <summary>A router's keepalived instance and the configuration its notify scripts and mail settings come from.</summary>
    private sealed record Instance(KeepalivedRouterMapping Mapping, LoadedConfig Loaded)
    {
        public KeepalivedVrrpInstance Vi => Mapping.Instance;

        public static Instance For(LoadedConfig loaded, string name) =>
            new(loaded.Mapping.Routers.First(r => r.Instance.Name == name), loaded);
    }
}
