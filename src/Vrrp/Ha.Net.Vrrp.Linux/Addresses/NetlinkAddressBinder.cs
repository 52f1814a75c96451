using System.Runtime.Versioning;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Hosting;
using Ha.Net.Vrrp.Linux.Interop;
using Ha.Net.Vrrp.Linux.Netlink;
using Ha.Net.Vrrp.Linux.Signals;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Vrrp.Linux.Addresses;

/// <summary>
/// Adds and removes virtual addresses with RTM_NEWADDR/RTM_DELADDR (sequence-numbered, acked),
/// treating EEXIST on add and EADDRNOTAVAIL/ENODEV on delete as success, and watches
/// RTNLGRP_IPV4_IFADDR/RTNLGRP_IPV6_IFADDR for deletions of the addresses it bound.
/// </summary>
/// <remarks>
/// Adds and removes run synchronously on the caller's thread (the VRRP loop): one sendmsg of a request built ahead
/// and the ack, which rtnetlink queues before sendmsg returns. The interface index is looked up once per interface
/// (again if the kernel answers ENODEV: the interface was re-created), not once per address change.
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed partial class NetlinkAddressBinder : ILinuxAddressBinder, IHotPathPreparable
{
    private const int ENOBUFS = 105;
    private readonly RouteClient _route;
    private readonly NetlinkSocket? _events;
    private readonly NetlinkAddressBinderOptions _options;
    private readonly LinuxVrrpMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<(int Index, IPAddress Address), VirtualAddress> _bound = new();
    private readonly ConcurrentDictionary<string, int> _indexes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _watch;
    private readonly StopAddresses? _stop = StopAddresses.Open();

    private NetlinkAddressBinder(RouteClient route, NetlinkSocket? events, NetlinkAddressBinderOptions options, LinuxVrrpMetrics metrics, ILogger logger)
    {
        _route = route;
        _events = events;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _watch = events is null ? Task.CompletedTask : Task.Run(() => WatchAsync(events, _stopping.Token));
    }

    public event EventHandler<VirtualAddressRemovedEventArgs>? RemovedExternally;

    /// <summary>Opens the binder's netlink sockets in the calling thread's network namespace.</summary>
    public static NetlinkAddressBinder Open(NetlinkAddressBinderOptions options, LinuxVrrpMetrics metrics, ILogger logger)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid address binder options: " + string.Join(" ", errors), nameof(options));
        }

        var requests = NetlinkSocket.Open();
        requests.RequestTimeout = options.RequestTimeout;
        NetlinkSocket? events = null;
        try
        {
            events = options.WatchExternalRemoval ? NetlinkSocket.Open(Rtnl.RTNLGRP_IPV4_IFADDR, Rtnl.RTNLGRP_IPV6_IFADDR) : null;
            events?.DropMessagesOfType(Rtnl.RTM_NEWADDR); // only deletions matter; our own adds must not wake the watcher
            return new NetlinkAddressBinder(new RouteClient(requests), events, options, metrics, logger);
        }
        catch
        {
            requests.Dispose();
            events?.Dispose();
            throw;
        }
    }

    public ValueTask AddAsync(VirtualAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        try
        {
            Add(address);
            return ValueTask.CompletedTask;
        }
        catch (Exception ex) when (ex is NetlinkException or SocketException or TimeoutException or ObjectDisposedException)
        {
            return ValueTask.FromException(ex);
        }
    }

    public ValueTask RemoveAsync(VirtualAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        try
        {
            Remove(address);
            return ValueTask.CompletedTask;
        }
        catch (Exception ex) when (ex is NetlinkException or SocketException or TimeoutException or ObjectDisposedException)
        {
            return ValueTask.FromException(ex);
        }
    }

    /// <summary>Looks up the interfaces of <paramref name="addresses"/> and compiles the add/remove path (no address is changed).</summary>
    public void PrepareHotPath(IReadOnlyList<VirtualAddress> addresses)
    {
        HotPath.PrepareType(typeof(NetlinkAddressBinder));
        HotPath.PrepareType(typeof(NetlinkSocket));
        HotPath.PrepareType(typeof(RouteClient));
        HotPath.PrepareType(typeof(RouteNetlink));
        HotPath.PrepareType(typeof(NetlinkMessageWriter));
        HotPath.PrepareType(typeof(NetlinkMessageReader));
        HotPath.PrepareType(typeof(StopAddresses));
        foreach (var address in addresses)
        {
            try
            {
                IndexOf(address.InterfaceName, refresh: false);
            }
            catch (Exception ex) when (ex is NetlinkException or SocketException or TimeoutException)
            {
                // Not there yet: looked up again when the address is added.
            }
        }
    }

    private void Add(VirtualAddress address)
    {
        var index = IndexOf(address.InterfaceName, refresh: false);
        try
        {
            try
            {
                _route.ChangeAddress(add: true, address, index);
            }
            catch (NetlinkException ex) when (ex.Errno == LibC.ENODEV)
            {
                index = IndexOf(address.InterfaceName, refresh: true);
                _route.ChangeAddress(add: true, address, index);
            }

            Log.Added(_logger, address);
        }
        catch (NetlinkException ex) when (ex.Errno == LibC.EEXIST)
        {
            Log.AlreadyPresent(_logger, address);
        }

        _bound[(index, address.Address)] = address;
        _stop?.Added(address, index);
    }

    private void Remove(VirtualAddress address)
    {
        int index;
        try
        {
            index = IndexOf(address.InterfaceName, refresh: false);
        }
        catch (NetlinkException ex) when (ex.Errno == LibC.ENODEV)
        {
            Log.AlreadyAbsent(_logger, address, "no such interface");
            return;
        }

        // Forget it first, so the RTM_DELADDR notification our own request causes is not taken for someone else's.
        _bound.TryRemove((index, address.Address), out _);
        _stop?.Removing(address.Address, index);
        try
        {
            _route.ChangeAddress(add: false, address, index);
            Log.Removed(_logger, address);
        }
        catch (NetlinkException ex) when (ex.Errno is LibC.EADDRNOTAVAIL or LibC.ENODEV)
        {
            if (ex.Errno == LibC.ENODEV)
            {
                _indexes.TryRemove(address.InterfaceName, out _);
            }

            Log.AlreadyAbsent(_logger, address, ex.Message);
        }
    }

    /// <summary>The interface's index, from the cache unless <paramref name="refresh"/> (one RTM_GETLINK otherwise).</summary>
    private int IndexOf(string interfaceName, bool refresh)
    {
        if (!refresh && _indexes.TryGetValue(interfaceName, out var index))
        {
            return index;
        }

        index = _route.GetLink(interfaceName).Index;
        _indexes[interfaceName] = index;
        return index;
    }

    public async Task<IReadOnlyList<VirtualAddress>> ListAsync(string? interfaceName, CancellationToken cancellationToken)
    {
        var links = await _route.GetLinksAsync(cancellationToken).ConfigureAwait(false);
        var names = links.ToDictionary(l => l.Index, l => l.Name);
        var addresses = await _route.GetAddressesAsync(0, cancellationToken).ConfigureAwait(false);
        var result = new List<VirtualAddress>();
        foreach (var a in addresses)
        {
            if (!names.TryGetValue(a.InterfaceIndex, out var name) || (interfaceName is not null && name != interfaceName))
            {
                continue;
            }

            result.Add(ToVirtualAddress(a, name));
        }

        return result;
    }

    public async Task<IReadOnlyList<VirtualAddress>> RemoveStaleAsync(IEnumerable<VirtualAddress> configured, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configured);
        var present = await ListAsync(null, cancellationToken).ConfigureAwait(false);
        var removed = new List<VirtualAddress>();
        foreach (var address in configured)
        {
            if (present.Any(p => p.InterfaceName == address.InterfaceName && p.Address.Equals(address.Address)))
            {
                await RemoveAsync(address, cancellationToken).ConfigureAwait(false);
                Log.RemovedStale(_logger, address);
                removed.Add(address);
            }
        }

        return removed;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _events?.Dispose();
        try
        {
            await _watch.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _route.Dispose();
        _stop?.Dispose();
        _stopping.Dispose();
    }

    internal static VirtualAddress ToVirtualAddress(AddressInfo a, string interfaceName) => new(a.Address, a.PrefixLength, interfaceName)
    {
        Broadcast = a.Broadcast,
        Scope = a.Scope,
        Label = a.Label == interfaceName ? null : a.Label,
    };

    private async Task WatchAsync(NetlinkSocket events, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            List<VirtualAddress> gone = [];
            try
            {
                var length = await events.ReceiveAsync(cancellationToken).ConfigureAwait(false);
                CollectDeleted(events.LastDatagram(length), gone);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex) when (ex.NativeErrorCode == ENOBUFS || ex.SocketErrorCode == SocketError.NoBufferSpaceAvailable)
            {
                // Notifications were lost: compare what we bound with what is there.
                Log.Resync(_logger);
                gone = await FindMissingAsync(cancellationToken).ConfigureAwait(false);
            }

            foreach (var address in gone)
            {
                await HandleExternalRemovalAsync(address, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private void CollectDeleted(ReadOnlySpan<byte> datagram, List<VirtualAddress> gone)
    {
        var reader = new NetlinkMessageReader(datagram);
        while (reader.TryRead(out var message))
        {
            if (message.Type == Rtnl.RTM_DELADDR && RouteNetlink.TryParseAddress(message) is { } info
                && _bound.TryGetValue((info.InterfaceIndex, info.Address), out var address)
                && _stop?.RemovedByHandler(info.Address, info.InterfaceIndex) != true)
            {
                gone.Add(address);
            }
        }
    }

    private async Task<List<VirtualAddress>> FindMissingAsync(CancellationToken cancellationToken)
    {
        var addresses = await _route.GetAddressesAsync(0, cancellationToken).ConfigureAwait(false);
        return [.. _bound.Where(b => !addresses.Any(a => a.InterfaceIndex == b.Key.Index && a.Address.Equals(b.Key.Address))).Select(b => b.Value)];
    }

    private async Task HandleExternalRemovalAsync(VirtualAddress address, CancellationToken cancellationToken)
    {
        _metrics.ExternalRemovals.Add(1, new KeyValuePair<string, object?>("interface", address.InterfaceName));
        var restored = false;
        if (_options.OnExternalRemoval == ExternalRemovalPolicy.Restore)
        {
            try
            {
                await AddAsync(address, cancellationToken).ConfigureAwait(false);
                restored = true;
            }
            catch (Exception ex) when (ex is NetlinkException or TimeoutException or SocketException)
            {
                Log.RestoreFailed(_logger, address, ex);
            }
        }
        else
        {
            var key = _bound.FirstOrDefault(b => b.Value == address).Key;
            _bound.TryRemove(key, out _);
            if (key.Address is not null)
            {
                _stop?.Removing(key.Address, key.Index);
            }
        }

        Log.RemovedExternally(_logger, address, restored);
        try
        {
            RemovedExternally?.Invoke(this, new VirtualAddressRemovedEventArgs(address, restored));
        }
#pragma warning disable CA1031 // a subscriber's bug must not stop the watcher
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.HandlerFailed(_logger, ex);
        }
    }
}
