using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Ha.Net.Vrrp.Addresses;
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
internal sealed partial class PacketAddressAnnouncer : ILinuxAddressAnnouncer
{
    private static readonly IPAddress AllNodes = IPAddress.Parse("ff02::1");
    private readonly Socket _packet;
    private readonly Socket? _icmp6;
    private readonly RouteClient _route;
    private readonly LinuxVrrpMetrics _metrics;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _icmpGate = new(1, 1);
    private int _disposed;

    private PacketAddressAnnouncer(Socket packet, Socket? icmp6, RouteClient route, LinuxVrrpMetrics metrics, ILogger logger)
    {
        _packet = packet;
        _icmp6 = icmp6;
        _route = route;
        _metrics = metrics;
        _logger = logger;
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

    public async ValueTask AnnounceAsync(VirtualAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        var link = await _route.GetLinkAsync(address.InterfaceName, cancellationToken).ConfigureAwait(false);
        if (link.HardwareAddress.Length != 6)
        {
            throw new InvalidOperationException($"Interface {link.Name} has no Ethernet address to announce {address.Address} from.");
        }

        if (address.Address.AddressFamily == AddressFamily.InterNetwork)
        {
            SendGratuitousArp(link, address.Address);
        }
        else
        {
            await SendNeighbourAdvertisementAsync(link, address.Address, cancellationToken).ConfigureAwait(false);
        }

        _metrics.Announcements.Add(1, new KeyValuePair<string, object?>("interface", link.Name));
        Log.Sent(_logger, address.Address, link.Name);
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _packet.Dispose();
            _icmp6?.Dispose();
            _route.Dispose();
            _icmpGate.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private unsafe void SendGratuitousArp(LinkInfo link, IPAddress address)
    {
        Span<byte> frame = stackalloc byte[AnnouncementFrames.GratuitousArpLength];
        AnnouncementFrames.WriteGratuitousArp(frame, link.HardwareAddress, address);
        var destination = new sockaddr_ll
        {
            sll_family = LibC.AF_PACKET,
            sll_protocol = LibC.htons(LibC.ETH_P_ARP),
            sll_ifindex = link.Index,
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
                    return;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != LibC.EINTR)
                {
                    throw new IOException($"Gratuitous ARP for {address} on {link.Name}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
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
}
