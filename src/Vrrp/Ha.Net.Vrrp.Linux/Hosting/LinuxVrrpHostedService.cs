using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Hosting;
using Ha.Net.Vrrp.Linux.Addresses;
using Ha.Net.Vrrp.Linux.Links;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ha.Net.Vrrp.Linux.Hosting;

/// <summary>
/// Connects the Linux backend to the virtual routers: before any router starts it removes the VIPs a
/// killed predecessor left; once they run it feeds link state (the instance's interface, and tracked
/// objects named after an interface — keepalived's <c>track_interface</c>) and deletions of bound
/// VIPs behind our back to them, routers started by a reload (<see cref="IVirtualRouterCollection.ApplyAsync"/>) included.
/// </summary>
internal sealed partial class LinuxVrrpHostedService : IHostedLifecycleService
{
    private readonly IOptions<VrrpOptions> _vrrp;
    private readonly LinuxVrrpOptions _options;
    private readonly IVirtualRouterCollection _routers;
    private readonly ILinuxAddressBinder _binder;
    private readonly ILinkStateMonitor _links;
    private readonly ILogger _logger;

    public LinuxVrrpHostedService(IOptions<VrrpOptions> vrrp, LinuxVrrpOptions options, IVirtualRouterCollection routers, ILinuxAddressBinder binder, ILinkStateMonitor links, ILogger<LinuxVrrpHostedService> logger)
    {
        _vrrp = vrrp;
        _options = options;
        _routers = routers;
        _binder = binder;
        _links = links;
        _logger = logger;
    }

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (!_options.RemoveStaleAddressesAtStart)
        {
            return;
        }

        foreach (var instance in _vrrp.Value.Instances)
        {
            var removed = await _binder.RemoveStaleAsync(instance.VirtualAddresses.Concat(instance.ExcludedVirtualAddresses), cancellationToken).ConfigureAwait(false);
            if (removed.Count > 0)
            {
                Log.StaleRemoved(_logger, instance.InstanceName, removed.Count);
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        _links.LinkStateChanged += OnLinkStateChanged;
        _binder.RemovedExternally += OnRemovedExternally;
        _routers.RouterStarted += OnRouterStarted;
        foreach (var (router, instance) in Pairs())
        {
            SetLinks(router, instance);
        }

        return Task.CompletedTask;
    }

    private void OnRouterStarted(object? sender, VirtualRouterStartedEventArgs e) => SetLinks(e.Router, e.Options);

    private void SetLinks(IVirtualRouter router, VirtualRouterOptions instance)
    {
        router.SetLinkState(_links.IsUp(instance.InterfaceName));
        foreach (var tracked in instance.TrackedObjects.Where(t => _links.Exists(t.Name)))
        {
            router.SetTrackedObjectState(tracked.Name, _links.IsUp(tracked.Name));
        }
    }

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        _links.LinkStateChanged -= OnLinkStateChanged;
        _binder.RemovedExternally -= OnRemovedExternally;
        _routers.RouterStarted -= OnRouterStarted;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private IEnumerable<(IVirtualRouter Router, VirtualRouterOptions Instance)> Pairs()
    {
        foreach (var router in _routers)
        {
            VirtualRouterOptions instance;
            try
            {
                instance = _routers.GetOptions(router.InstanceName);
            }
            catch (KeyNotFoundException)
            {
                continue; // removed by a reload meanwhile
            }

            yield return (router, instance);
        }
    }

    private void OnLinkStateChanged(object? sender, LinkStateChangedEventArgs e)
    {
        foreach (var (router, instance) in Pairs())
        {
            if (instance.InterfaceName == e.InterfaceName)
            {
                router.SetLinkState(e.IsUp);
            }

            if (instance.TrackedObjects.Any(t => t.Name == e.InterfaceName))
            {
                router.SetTrackedObjectState(e.InterfaceName, e.IsUp);
            }
        }
    }

    private void OnRemovedExternally(object? sender, VirtualAddressRemovedEventArgs e)
    {
        if (e.Restored)
        {
            return;
        }

        foreach (var router in _routers)
        {
            router.ReportAddressRemoved(e.Address.Address);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2400, Level = LogLevel.Warning, Message = "({Instance}) removed {Count} stale virtual address(es) at start-up")]
        public static partial void StaleRemoved(ILogger logger, string instance, int count);
    }
}
