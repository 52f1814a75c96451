using System.Runtime.Versioning;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Collections.Concurrent;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Hosting;
using Ha.Net.Vrrp.Linux.Interop;
using Ha.Net.Vrrp.Linux.Netlink;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Vrrp.Linux.Announcements;

/// <summary>An <see cref="IAddressAnnouncer"/> that owns sockets.</summary>
public interface ILinuxAddressAnnouncer : IAddressAnnouncer, IAsyncDisposable
{
}

/// <summary>
/// Gratuitous ARP over an AF_PACKET socket (IPv4 VIPs) and unsolicited Neighbour Advertisements over
/// a raw ICMPv6 socket (IPv6 VIPs), from the interface's own MAC as keepalived sends them without
/// <c>use_vmac</c>. Each call sends one packet; bursts, delays and refreshes are the caller's schedule.
/// </summary>
/// <remarks>
/// A gratuitous ARP is one sendto(2) of a frame built ahead: the interface's index and MAC are looked up once, used
/// as they are, and looked up again in the background once older than <see cref="LinkLifetime"/>, <see cref="RefreshDelay"/>
/// after the frame that found them old (a MAC changed by a bond failover reaches the frames after that look-up; a send
/// that fails with ENXIO/ENODEV looks the interface up again at once); the frame per address is built once per MAC.
/// The look-up waits: started at once it woke a thread-pool thread that competed with the rest of the transition's
/// burst for the CPU (#18).
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed partial class PacketAddressAnnouncer : ILinuxAddressAnnouncer, IHotPathPreparable
{
    /// <summary>How long an interface's index and MAC are used before they are looked up again.</summary>
    internal static readonly TimeSpan LinkLifetime = TimeSpan.FromSeconds(5);

    /// <summary>How long after a frame sent with an old look-up the interfaces are looked up again (after its burst).</summary>
    internal static readonly TimeSpan RefreshDelay = TimeSpan.FromMilliseconds(200);

    private const int ENXIO = 6;
    private readonly ConcurrentDictionary<string, CachedLink> _links = new(StringComparer.Ordinal);

    private static readonly IPAddress AllNodes = IPAddress.Parse("ff02::1");
    private readonly Socket _packet;
    private readonly Socket? _icmp6;
    private readonly RouteClient _route;
    private readonly LinuxVrrpMetrics _metrics;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _icmpGate = new(1, 1);
    private readonly Timer _refresh;
    private int _disposed;
    private int _refreshing;

    private PacketAddressAnnouncer(Socket packet, Socket? icmp6, RouteClient route, LinuxVrrpMetrics metrics, ILogger logger)
    {
        _packet = packet;
        _icmp6 = icmp6;
        _route = route;
        _metrics = metrics;
        _logger = logger;
        _refresh = new Timer(static s => ((PacketAddressAnnouncer)s!).RefreshOld(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Opens the sockets in the calling thread's network namespace.</summary>
    public static PacketAddressAnnouncer Open(LinuxVrrpMetrics metrics, ILogger logger)
    {
        // Protocol 0: this socket only sends, so it is never handed a copy of incoming frames.
        var packet = LibC.OpenSocket(LibC.AF_PACKET, 0);
        Socket? icmp6 = null;
        RouteClient? route = null;
        try
        {
            icmp6 = OpenIcmp6();
            route = RouteClient.Open();
            return new PacketAddressAnnouncer(packet, icmp6, route, metrics, logger);
        }
        catch
        {
            packet.Dispose();
            icmp6?.Dispose();
            route?.Dispose();
            throw;
        }
    }

    /// <summary>The ICMPv6 socket for neighbour advertisements; <see langword="null"/> where IPv6 is disabled.</summary>
    private static Socket? OpenIcmp6()
    {
        Socket icmp6;
        try
        {
            icmp6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Raw, ProtocolType.IcmpV6);
        }
        catch (SocketException)
        {
            return null;
        }

        try
        {
            icmp6.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastTimeToLive, 255);
            icmp6.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.IpTimeToLive, 255);
            icmp6.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastLoopback, false);
            // ICMP6_FILTER: block every type, this socket never reads.
            icmp6.SetRawSocketOption(58, 1, Enumerable.Repeat((byte)0xFF, 32).ToArray());
            return icmp6;
        }
        catch
        {
            icmp6.Dispose();
            throw;
        }
    }

    public ValueTask AnnounceAsync(VirtualAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Address.AddressFamily != AddressFamily.InterNetwork)
        {
            return AnnounceIPv6Async(address, cancellationToken);
        }

        try
        {
            var link = Link(address.InterfaceName, refresh: false);
            if (!TrySendGratuitousArp(link, address.Address))
            {
                // The interface went away or was re-created under another index: look it up again, once.
                link = Link(address.InterfaceName, refresh: true);
                if (!TrySendGratuitousArp(link, address.Address))
                {
                    throw new IOException($"Gratuitous ARP for {address.Address} on {link.Info.Name}: no such device.");
                }
            }

            _metrics.Announcements.Add(1, link.Tag);
            Log.Sent(_logger, address.Address, link.Info.Name);
            RefreshLaterIfOld(link);
            return ValueTask.CompletedTask;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or SocketException or ObjectDisposedException)
        {
            return ValueTask.FromException(ex);
        }
    }

    /// <summary>Looks up the interfaces, builds the frames of <paramref name="addresses"/> and compiles the send path (nothing is sent).</summary>
    public void PrepareHotPath(IReadOnlyList<VirtualAddress> addresses)
    {
        HotPath.PrepareType(typeof(PacketAddressAnnouncer));
        HotPath.PrepareType(typeof(AnnouncementFrames));
        HotPath.PrepareType(typeof(LibC));
        unsafe
        {
            // The P/Invoke's stub is built on its first call, not by preparing the wrapper: call it once with nothing
            // to send and no address. The socket is bound to no interface, so the kernel refuses it (ENXIO) and no
            // frame leaves.
            _ = LibC.sendto(_packet.SafeHandle, null, 0, 0, null, 0);
        }

        foreach (var address in addresses)
        {
            try
            {
                var link = Link(address.InterfaceName, refresh: false);
                if (address.Address.AddressFamily == AddressFamily.InterNetwork)
                {
                    link.Frame(address.Address);
                }
            }
            catch (Exception ex) when (ex is NetlinkException or InvalidOperationException or SocketException or TimeoutException)
            {
                // Looked up again when the address is announced.
            }
        }
    }

    private async ValueTask AnnounceIPv6Async(VirtualAddress address, CancellationToken cancellationToken)
    {
        var link = Link(address.InterfaceName, refresh: false);
        await SendNeighbourAdvertisementAsync(link.Info, address.Address, cancellationToken).ConfigureAwait(false);
        _metrics.Announcements.Add(1, link.Tag);
        Log.Sent(_logger, address.Address, link.Info.Name);
        RefreshLaterIfOld(link);
    }

    /// <summary>
    /// The interface's index and MAC: a cached entry as it is (the frame goes out now; <see cref="RefreshLaterIfOld"/>
    /// looks it up again after the frames). Nothing cached, or <paramref name="refresh"/>: looked up here.
    /// </summary>
    private CachedLink Link(string interfaceName, bool refresh)
    {
        var now = Environment.TickCount64;
        if (!refresh && _links.TryGetValue(interfaceName, out var cached))
        {
            return cached;
        }

        var info = _route.GetLink(interfaceName);
        if (info.HardwareAddress.Length != 6)
        {
            throw new InvalidOperationException($"Interface {info.Name} has no Ethernet address to announce from.");
        }

        var previous = _links.TryGetValue(interfaceName, out var old) ? old : null;
        var link = previous is not null && previous.Info.Index == info.Index && previous.Info.HardwareAddress.AsSpan().SequenceEqual(info.HardwareAddress)
            ? previous with { LookedUpAt = now }
            : new CachedLink(info, now);
        _links[interfaceName] = link;
        return link;
    }

    /// <summary>Once <paramref name="link"/> is older than <see cref="LinkLifetime"/>: every interface looked up again, <see cref="RefreshDelay"/> from now.</summary>
    private void RefreshLaterIfOld(CachedLink link)
    {
        if (Environment.TickCount64 - link.LookedUpAt >= (long)LinkLifetime.TotalMilliseconds && Interlocked.Exchange(ref _refreshing, 1) == 0)
        {
            _refresh.Change(RefreshDelay, Timeout.InfiniteTimeSpan);
        }
    }

    private void RefreshOld()
    {
        try
        {
            var now = Environment.TickCount64;
            foreach (var (name, link) in _links)
            {
                if (now - link.LookedUpAt < (long)LinkLifetime.TotalMilliseconds || Volatile.Read(ref _disposed) != 0)
                {
                    continue;
                }

                try
                {
                    Link(name, refresh: true);
                }
                catch (Exception ex) when (ex is NetlinkException or InvalidOperationException or SocketException or TimeoutException or ObjectDisposedException)
                {
                    // The next announcement looks it up again (or fails and says why).
                }
            }
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _refresh.Dispose();
            _packet.Dispose();
            _icmp6?.Dispose();
            _route.Dispose();
            _icmpGate.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>One gratuitous ARP; <see langword="false"/> when the interface index is no longer valid (ENXIO, ENODEV).</summary>
    private unsafe bool TrySendGratuitousArp(CachedLink link, IPAddress address)
    {
        var frame = link.Frame(address);
        var destination = new sockaddr_ll
        {
            sll_family = LibC.AF_PACKET,
            sll_protocol = LibC.htons(LibC.ETH_P_ARP),
            sll_ifindex = link.Info.Index,
            sll_halen = 6,
        };
        for (var i = 0; i < 6; i++)
        {
            destination.sll_addr[i] = 0xFF;
        }

        fixed (byte* data = frame)
        {
            while (true)
            {
                var sent = LibC.sendto(_packet.SafeHandle, data, (nuint)frame.Length, 0, &destination, (uint)sizeof(sockaddr_ll));
                if (sent >= 0)
                {
                    return true;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno is ENXIO or LibC.ENODEV)
                {
                    return false;
                }

                if (errno != LibC.EINTR)
                {
                    throw new IOException($"Gratuitous ARP for {address} on {link.Info.Name}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
                }
            }
        }
    }

    private async Task SendNeighbourAdvertisementAsync(LinkInfo link, IPAddress address, CancellationToken cancellationToken)
    {
        if (_icmp6 is null)
        {
            throw new InvalidOperationException($"Cannot announce {address}: IPv6 is not available in this network namespace.");
        }

        var message = new byte[AnnouncementFrames.NeighbourAdvertisementLength];
        AnnouncementFrames.WriteNeighbourAdvertisement(message, link.HardwareAddress, address, router: false);
        await _icmpGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _icmp6.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, link.Index);
            await _icmp6.SendToAsync(message, SocketFlags.None, new IPEndPoint(new IPAddress(AllNodes.GetAddressBytes(), link.Index), 0), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _icmpGate.Release();
        }
    }

    /// <summary>An interface's index and MAC as last looked up, and the gratuitous ARP frames built from them.</summary>
    private sealed record CachedLink(LinkInfo Info, long LookedUpAt)
    {
        private readonly ConcurrentDictionary<IPAddress, byte[]> _frames = new();

        public KeyValuePair<string, object?> Tag { get; } = new("interface", Info.Name);

        public byte[] Frame(IPAddress address) => _frames.GetOrAdd(address, static (a, mac) =>
        {
            var frame = new byte[AnnouncementFrames.GratuitousArpLength];
            AnnouncementFrames.WriteGratuitousArp(frame, mac, a);
            return frame;
        }, Info.HardwareAddress);
    }
}
