using System.Runtime.Versioning;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Ha.Net.Vrrp.Linux.Interop;
using Ha.Net.Vrrp.Linux.Netlink;
using Ha.Net.Vrrp.Transport;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Vrrp.Linux.Transport;

/// <summary>
/// VRRPv3 over a raw IPv6 socket for next header 112, as keepalived sets it up (ka: vrrp_if.c):
/// bound to the interface, IPV6_CHECKSUM at offset 6 (the kernel computes the pseudo-header
/// checksum on send and verifies it on receive), hop limit 255 for multicast and
/// <c>unicast_ttl</c> for unicast, loop off, ff02::12 joined on the interface in multicast mode,
/// the link-local address as sticky source (IPV6_PKTINFO). A raw IPv6 socket does not deliver the
/// IPv6 header, so the hop limit and destination come from IPV6_HOPLIMIT/IPV6_PKTINFO ancillary
/// data read with <c>recvmsg</c>, which <see cref="Socket"/> does not expose.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed partial class RawIPv6VrrpTransport : IVrrpTransport
{
    private const int IPV6_UNICAST_HOPS = 16;
    private const int IPV6_MULTICAST_IF = 17;
    private const int IPV6_MULTICAST_HOPS = 18;
    private const int IPV6_MULTICAST_LOOP = 19;
    private const int IPV6_ADD_MEMBERSHIP = 20;
    private const int IPV6_MULTICAST_ALL = 29;
    private const int MaxPacket = 65535;

    private readonly Socket _socket;
    private readonly RawVrrpTransportOptions _options;
    private readonly LinuxVrrpMetrics _metrics;
    private readonly ILogger _logger;
    private readonly byte[] _receive = new byte[MaxPacket];
    private readonly byte[] _peek = new byte[1];
    private readonly ConcurrentDictionary<IPAddress, IPEndPoint> _endpoints = new();
    private readonly KeyValuePair<string, object?> _interfaceTag;
    private readonly int _interfaceIndex;
    private int _disposed;

    private RawIPv6VrrpTransport(Socket socket, RawVrrpTransportOptions options, int interfaceIndex, IPAddress localAddress, LinuxVrrpMetrics metrics, ILogger logger)
    {
        _socket = socket;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _interfaceIndex = interfaceIndex;
        LocalAddress = localAddress;
        _interfaceTag = new("interface", options.InterfaceName);
    }

    public IPAddress LocalAddress { get; }

    /// <summary>Opens the transport in the calling thread's network namespace, synchronously.</summary>
    public static RawIPv6VrrpTransport Open(RawVrrpTransportOptions options, LinuxVrrpMetrics metrics, ILogger logger)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid VRRP transport options: " + string.Join(" ", errors), nameof(options));
        }

        var socket = LibC.OpenSocket(LibC.AF_INET6, LinuxVrrpNames.IpProtocolVrrp);
        try
        {
            using var route = RouteClient.Open();
            var link = route.GetLink(options.InterfaceName);
            var local = options.SourceAddress ?? FindLinkLocal(route, link);
            Configure(socket, options, link.Index, local);
            Log.Opened(logger, options.InterfaceName, link.Index, local, options.IsUnicast ? "unicast" : "multicast " + options.EffectiveMulticastGroup);
            return new RawIPv6VrrpTransport(socket, options, link.Index, new IPAddress(local.GetAddressBytes()), metrics, logger);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> message, IPAddress destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException($"Destination {destination} is not IPv6.", nameof(destination));
        }

        var endpoint = _endpoints.GetOrAdd(destination, d => new IPEndPoint(
            d.IsIPv6LinkLocal || d.IsIPv6Multicast ? new IPAddress(d.GetAddressBytes(), _interfaceIndex) : d, 0));
        await _socket.SendToAsync(message, SocketFlags.None, endpoint, cancellationToken).ConfigureAwait(false);
        _metrics.Sent.Add(1, _interfaceTag);
    }

    public async ValueTask<VrrpReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Wait for readiness without consuming the datagram, then read it with its ancillary data.
            await _socket.ReceiveAsync(_peek, SocketFlags.Peek, cancellationToken).ConfigureAwait(false);
            var received = ReceiveMessage(out var source, out var destination, out var hopLimit);
            if (received < 0)
            {
                continue; // EAGAIN: someone else took it, or a spurious wake-up
            }

            var reason = Accept(received, source, destination, hopLimit);
            if (reason == EnvelopeDropReason.None && received > buffer.Length)
            {
                reason = EnvelopeDropReason.TooLarge;
            }

            if (reason != EnvelopeDropReason.None)
            {
                _metrics.Dropped.Add(1, _interfaceTag, new("reason", RawIPv4VrrpTransport.ReasonName(reason)));
                Log.Dropped(_logger, _options.InterfaceName, reason, received);
                continue;
            }

            _receive.AsSpan(0, received).CopyTo(buffer.Span);
            _metrics.Received.Add(1, _interfaceTag);
            return new VrrpReceiveResult(received, source!, destination!, hopLimit);
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Walks the control buffer (CMSG_FIRSTHDR/CMSG_NXTHDR, CMSG_ALIGN to size_t) for IPV6_HOPLIMIT and IPV6_PKTINFO.</summary>
    internal static void ParseControl(ReadOnlySpan<byte> control, ref byte hopLimit, ref IPAddress? destination)
    {
        var headerSize = Marshal.SizeOf<cmsghdr>();
        var align = IntPtr.Size;
        var offset = 0;
        while (offset + headerSize <= control.Length)
        {
            var header = MemoryMarshal.Read<cmsghdr>(control[offset..]);
            var length = (int)header.cmsg_len;
            if (length < headerSize || offset + length > control.Length)
            {
                return;
            }

            var data = control[(offset + headerSize)..(offset + length)];
            if (header.cmsg_level == LibC.SOL_IPV6 && header.cmsg_type == LibC.IPV6_HOPLIMIT && data.Length >= 4)
            {
                hopLimit = (byte)MemoryMarshal.Read<int>(data);
            }
            else if (header.cmsg_level == LibC.SOL_IPV6 && header.cmsg_type == LibC.IPV6_PKTINFO && data.Length >= Marshal.SizeOf<in6_pktinfo>())
            {
                destination = new IPAddress(data[..16]);
            }

            offset += (length + align - 1) & ~(align - 1);
        }
    }

    private unsafe int ReceiveMessage(out IPAddress? source, out IPAddress? destination, out byte hopLimit)
    {
        source = destination = null;
        hopLimit = 0;
        sockaddr_in6 name = default;
        var control = stackalloc byte[256];
        fixed (byte* data = _receive)
        {
            var vector = new iovec { iov_base = data, iov_len = (nuint)_receive.Length };
            var message = new msghdr
            {
                msg_name = &name,
                msg_namelen = (uint)sizeof(sockaddr_in6),
                msg_iov = &vector,
                msg_iovlen = 1,
                msg_control = control,
                msg_controllen = 256,
            };
            nint received;
            do
            {
                received = LibC.recvmsg(_socket.SafeHandle, &message, LibC.MSG_DONTWAIT);
            }
            while (received < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);
            if (received < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                return errno == LibC.EAGAIN ? -1 : throw new SocketException(errno);
            }

            source = new IPAddress(new ReadOnlySpan<byte>(name.sin6_addr, 16));
            ParseControl(new ReadOnlySpan<byte>(control, (int)message.msg_controllen), ref hopLimit, ref destination);
            destination ??= IPAddress.IPv6None;
            return (message.msg_flags & LibC.MSG_TRUNC) != 0 ? int.MaxValue : (int)received;
        }
    }

    private EnvelopeDropReason Accept(int received, IPAddress? source, IPAddress? destination, byte hopLimit)
    {
        if (received == int.MaxValue)
        {
            return EnvelopeDropReason.TooLarge;
        }

        if (source is null || destination is null)
        {
            return EnvelopeDropReason.Truncated;
        }

        if (_options.IsUnicast)
        {
            if (destination.IsIPv6Multicast)
            {
                return EnvelopeDropReason.UnexpectedMulticast;
            }

            return _options.CheckUnicastSource && !_options.UnicastPeers.Contains(source) ? EnvelopeDropReason.UnknownPeer : EnvelopeDropReason.None;
        }

        if (!destination.Equals(_options.EffectiveMulticastGroup))
        {
            return EnvelopeDropReason.UnexpectedUnicast;
        }

        return _options.CheckMulticastTtl && hopLimit != 255 ? EnvelopeDropReason.WrongTtl : EnvelopeDropReason.None;
    }

    private static unsafe void Configure(Socket socket, RawVrrpTransportOptions options, int interfaceIndex, IPAddress local)
    {
        socket.SetRawSocketOption(LibC.SOL_SOCKET, LibC.SO_BINDTODEVICE, System.Text.Encoding.ASCII.GetBytes(options.InterfaceName + "\0"));
        socket.SetRawSocketOption(LibC.SOL_IPV6, LibC.IPV6_CHECKSUM, BitConverter.GetBytes(6));
        socket.SetRawSocketOption(LibC.SOL_IPV6, IPV6_MULTICAST_HOPS, BitConverter.GetBytes(255));
        socket.SetRawSocketOption(LibC.SOL_IPV6, IPV6_UNICAST_HOPS, BitConverter.GetBytes((int)options.UnicastTtl));
        socket.SetRawSocketOption(LibC.SOL_IPV6, IPV6_MULTICAST_LOOP, BitConverter.GetBytes(0));
        socket.SetRawSocketOption(LibC.SOL_IPV6, IPV6_MULTICAST_IF, BitConverter.GetBytes(interfaceIndex));
        socket.SetRawSocketOption(LibC.SOL_IPV6, IPV6_MULTICAST_ALL, BitConverter.GetBytes(0));
        socket.SetRawSocketOption(LibC.SOL_IPV6, LibC.IPV6_RECVHOPLIMIT, BitConverter.GetBytes(1));
        socket.SetRawSocketOption(LibC.SOL_IPV6, LibC.IPV6_RECVPKTINFO, BitConverter.GetBytes(1));

        // Sticky source address and interface for every send (RFC 3542 §6.1).
        var pktinfo = new in6_pktinfo { ipi6_ifindex = interfaceIndex };
        local.TryWriteBytes(new Span<byte>(pktinfo.ipi6_addr, 16), out _);
        socket.SetRawSocketOption(LibC.SOL_IPV6, LibC.IPV6_PKTINFO, new ReadOnlySpan<byte>(&pktinfo, sizeof(in6_pktinfo)));

        if (!options.IsUnicast)
        {
            // struct ipv6_mreq { struct in6_addr ipv6mr_multiaddr; int ipv6mr_interface; }
            var mreq = new byte[20];
            options.EffectiveMulticastGroup.TryWriteBytes(mreq, out _);
            BitConverter.TryWriteBytes(mreq.AsSpan(16), interfaceIndex);
            socket.SetRawSocketOption(LibC.SOL_IPV6, IPV6_ADD_MEMBERSHIP, mreq);
        }
    }

    private static IPAddress FindLinkLocal(RouteClient route, LinkInfo link)
    {
        var addresses = route.GetAddresses(LibC.AF_INET6);
        foreach (var address in addresses)
        {
            if (address.InterfaceIndex == link.Index && address.Address.IsIPv6LinkLocal)
            {
                return address.Address;
            }
        }

        throw new InvalidOperationException($"Interface {link.Name} has no IPv6 link-local address to send VRRPv3 adverts from (RFC 5798 §5.1.2.1); bring it up with IPv6 enabled or set {nameof(RawVrrpTransportOptions.SourceAddress)}.");
    }
}
