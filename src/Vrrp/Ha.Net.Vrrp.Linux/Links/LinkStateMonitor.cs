using System.Runtime.Versioning;
using System.Collections.Concurrent;
using System.Net.Sockets;
using Ha.Net.Vrrp.Linux.Netlink;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Vrrp.Linux.Links;

/// <summary>A link changed state.</summary>
public sealed class LinkStateChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    /// <param name="interfaceName">The interface.</param>
    /// <param name="isUp">Whether it is now up (administratively up and running).</param>
    public LinkStateChangedEventArgs(string interfaceName, bool isUp)
    {
        InterfaceName = interfaceName;
        IsUp = isUp;
    }

    /// <summary>The interface.</summary>
    public string InterfaceName { get; }

    /// <summary>Whether it is now up: IFF_UP and IFF_RUNNING (carrier), as keepalived judges an interface.</summary>
    public bool IsUp { get; }
}

/// <summary>
/// Link state from rtnetlink (RTNLGRP_LINK): what keepalived's <c>track_interface</c> and the
/// instance's own interface watch. An interface that goes down (or disappears) sends the instance
/// to FAULT; coming back up returns it to BACKUP.
/// </summary>
public interface ILinkStateMonitor : IAsyncDisposable
{
    /// <summary>Raised (on a pool thread) when an interface goes up or down.</summary>
    event EventHandler<LinkStateChangedEventArgs>? LinkStateChanged;

    /// <summary>Whether <paramref name="interfaceName"/> is up now; <see langword="false"/> when there is no such interface.</summary>
    /// <param name="interfaceName">The interface.</param>
    bool IsUp(string interfaceName);

    /// <summary>Whether an interface of that name exists now.</summary>
    /// <param name="interfaceName">The interface.</param>
    bool Exists(string interfaceName);
}

/// <summary>The rtnetlink implementation: an RTM_GETLINK dump at start, then RTM_NEWLINK/RTM_DELLINK notifications.</summary>
[SupportedOSPlatform("linux")]
internal sealed partial class LinkStateMonitor : ILinkStateMonitor
{
    private const int ENOBUFS = 105;
    private readonly RouteClient _route;
    private readonly NetlinkSocket _events;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, bool> _state = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, string> _names = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task _watch = Task.CompletedTask;

    private LinkStateMonitor(RouteClient route, NetlinkSocket events, ILogger logger)
    {
        _route = route;
        _events = events;
        _logger = logger;
    }

    public event EventHandler<LinkStateChangedEventArgs>? LinkStateChanged;

    /// <summary>Opens the sockets in the calling thread's network namespace, reads the current state (synchronously), then follows changes.</summary>
    public static LinkStateMonitor Start(ILogger logger)
    {
        // Subscribe before the dump so no change falls between the two.
        var events = NetlinkSocket.Open(Rtnl.RTNLGRP_LINK);
        var route = RouteClient.Open();
        var monitor = new LinkStateMonitor(route, events, logger);
        try
        {
            foreach (var link in route.GetLinks())
            {
                monitor.Update(link, removed: false, raise: false);
            }

            monitor._watch = Task.Run(() => monitor.WatchAsync(monitor._stopping.Token), CancellationToken.None);
            return monitor;
        }
        catch
        {
            monitor.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    public bool IsUp(string interfaceName) => _state.TryGetValue(interfaceName, out var up) && up;

    public bool Exists(string interfaceName) => _names.Values.Contains(interfaceName);

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _events.Dispose();
        try
        {
            await _watch.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _route.Dispose();
        _stopping.Dispose();
    }

    private async Task ResyncAsync(bool raise, CancellationToken cancellationToken)
    {
        var links = await _route.GetLinksAsync(cancellationToken).ConfigureAwait(false);
        foreach (var link in links)
        {
            Update(link, removed: false, raise);
        }

        foreach (var name in _state.Keys.Where(n => !links.Any(l => l.Name == n)).ToList())
        {
            Set(name, false, raise);
        }
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var length = await _events.ReceiveAsync(cancellationToken).ConfigureAwait(false);
                Apply(_events.LastDatagram(length));
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
                Log.Resync(_logger);
                await ResyncAsync(raise: true, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private void Apply(ReadOnlySpan<byte> datagram)
    {
        var reader = new NetlinkMessageReader(datagram);
        while (reader.TryRead(out var message))
        {
            if (RouteNetlink.TryParseLink(message) is { } link)
            {
                Update(link, removed: message.Type == Rtnl.RTM_DELLINK, raise: true);
            }
        }
    }

    private void Update(LinkInfo link, bool removed, bool raise)
    {
        if (_names.TryGetValue(link.Index, out var previousName) && previousName != link.Name)
        {
            Set(previousName, false, raise); // renamed
        }

        if (removed)
        {
            _names.TryRemove(link.Index, out _);
        }
        else
        {
            _names[link.Index] = link.Name;
        }

        Set(link.Name, !removed && link.IsUp, raise);
    }

    private void Set(string name, bool up, bool raise)
    {
        var known = _state.TryGetValue(name, out var previous);
        _state[name] = up;
        if (known && previous == up)
        {
            return;
        }

        if (!raise)
        {
            return;
        }

        Log.Changed(_logger, name, up ? "UP" : "DOWN");
        try
        {
            LinkStateChanged?.Invoke(this, new LinkStateChangedEventArgs(name, up));
        }
#pragma warning disable CA1031 // a subscriber's bug must not stop the monitor
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.HandlerFailed(_logger, ex);
        }
    }
}
