using System.Runtime.Versioning;
using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Ha.Net.Vrrp.Linux.Interop;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Hosting;
using Ha.Net.Vrrp.Linux.Netlink;
using Ha.Net.Vrrp.Linux.Signals;
using Ha.Net.Vrrp.Transport;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Vrrp.Linux.Transport;

/// <summary>
/// VRRP over a raw IPv4 socket for protocol 112, set up as keepalived sets up its own
/// (ka: vrrp_if.c, vrrp.c): bound to the interface (SO_BINDTODEVICE), IP_HDRINCL so every advert
/// carries TOS 0xC0, TTL 255 (or <c>unicast_ttl</c>) and the configured source address,
/// IP_MULTICAST_IF on the interface, multicast loop off, IP_MULTICAST_ALL off, and — in multicast
/// mode — 224.0.0.18 joined on the interface. A raw IPv4 socket delivers the IP header, so TTL,
/// source and destination of each received packet are read from it.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed partial class RawIPv4VrrpTransport : IVrrpTransport, IHotPathPreparable, ISynchronousVrrpReceiver
{
    private const int IP_MULTICAST_IF = 32;
    private const int IP_ADD_MEMBERSHIP = 35;
    private const int MaxPacket = 65535;

    private readonly Socket _socket;
    private readonly RawVrrpTransportOptions _options;
    private readonly LinuxVrrpMetrics _metrics;
    private readonly ILogger _logger;
    private readonly byte[] _receive = new byte[MaxPacket];
    private readonly byte[] _source;
    private readonly uint _group;
    private readonly HashSet<uint> _peers;
    private readonly ConcurrentDictionary<IPAddress, SocketAddress> _endpoints = new();
    private readonly byte[] _send = new byte[MaxPacket];
    private readonly ConcurrentDictionary<uint, IPAddress> _addresses = new();
    private readonly KeyValuePair<string, object?> _interfaceTag;
    private readonly StopAdverts? _stop;
    private int _disposed;

    private RawIPv4VrrpTransport(Socket socket, RawVrrpTransportOptions options, int interfaceIndex, IPAddress localAddress, LinuxVrrpMetrics metrics, ILogger logger)
    {
        _socket = socket;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        InterfaceIndex = interfaceIndex;
        LocalAddress = localAddress;
        _source = localAddress.GetAddressBytes();
        _group = VrrpEnvelope.ToUInt32(options.EffectiveMulticastGroup);
        _peers = [.. options.UnicastPeers.Select(VrrpEnvelope.ToUInt32)];
        _interfaceTag = new("interface", options.InterfaceName);
        _stop = StopAdverts.For(socket);
    }

    public IPAddress LocalAddress { get; }

    public int InterfaceIndex { get; }

    /// <summary>Opens the transport in the calling thread's network namespace, synchronously (no thread switch can move it out).</summary>
    public static RawIPv4VrrpTransport Open(RawVrrpTransportOptions options, LinuxVrrpMetrics metrics, ILogger logger)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid VRRP transport options: " + string.Join(" ", errors), nameof(options));
        }

        if (options.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"{nameof(RawVrrpTransportOptions.AddressFamily)}: this transport is IPv4.", nameof(options));
        }

        var socket = LibC.OpenSocket(LibC.AF_INET, LinuxVrrpNames.IpProtocolVrrp);
        try
        {
            using var route = RouteClient.Open();
            var link = route.GetLink(options.InterfaceName);
            var local = options.SourceAddress ?? FindPrimaryAddress(route, link);
            Configure(socket, options, link.Index);
            var transport = new RawIPv4VrrpTransport(socket, options, link.Index, local, metrics, logger);
            Log.Opened(logger, options.InterfaceName, link.Index, local, options.IsUnicast ? "unicast" : "multicast " + options.EffectiveMulticastGroup);
            return transport;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends synchronously (one sendto(2) on the caller's thread; a raw socket does not block on a full queue, it drops
    /// or fails), so the VRRP loop never waits for a thread-pool continuation.
    /// </summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> message, IPAddress destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"Destination {destination} is not IPv4.", nameof(destination));
        }

        if (message.Length > MaxPacket - VrrpEnvelope.IPv4HeaderLength)
        {
            throw new ArgumentException($"A {message.Length}-byte VRRP message does not fit in one IPv4 packet.", nameof(message));
        }

        var length = VrrpEnvelope.IPv4HeaderLength + message.Length;
        try
        {
            lock (_send)
            {
                Span<byte> destinationBytes = stackalloc byte[4];
                destination.TryWriteBytes(destinationBytes, out _);
                var ttl = RawVrrpTransportOptions.IsMulticast(destination) ? (byte)255 : _options.UnicastTtl;
                VrrpEnvelope.WriteIPv4Header(_send, message.Length, ttl, _source, destinationBytes);
                message.Span.CopyTo(_send.AsSpan(VrrpEnvelope.IPv4HeaderLength));
                var to = VrrpEnvelope.ToUInt32(destination);
                if (_stop?.Suppress(message.Span, to) == true)
                {
                    return ValueTask.CompletedTask; // the SIGTERM handler sent this instance's priority 0 already
                }

                var endpoint = _endpoints.GetOrAdd(destination, static d => new IPEndPoint(d, 0).Serialize());
                _socket.SendTo(_send.AsSpan(0, length), SocketFlags.None, endpoint);
                _stop?.Sent(_send.AsSpan(0, length), VrrpEnvelope.IPv4HeaderLength, to);
            }

            _metrics.Sent.Add(1, _interfaceTag);
            return ValueTask.CompletedTask;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return ValueTask.FromException(ex);
        }
    }

    /// <summary>Compiles the send and receive path (nothing is sent).</summary>
    public void PrepareHotPath(IReadOnlyList<VirtualAddress> addresses)
    {
        HotPath.PrepareType(typeof(RawIPv4VrrpTransport));
        HotPath.PrepareType(typeof(VrrpEnvelope));
        HotPath.PrepareType(typeof(StopAdverts));
        HotPath.PrepareType(typeof(SignalStop));
    }

    public async ValueTask<VrrpReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            var received = await _socket.ReceiveAsync(_receive, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            var reason = Accept(received, out var offset, out var length, out var ttl, out var source, out var destination);
            if (reason == EnvelopeDropReason.None && length > buffer.Length)
            {
                reason = EnvelopeDropReason.TooLarge;
            }

            if (reason != EnvelopeDropReason.None)
            {
                _metrics.Dropped.Add(1, _interfaceTag, new("reason", ReasonName(reason)));
                Log.Dropped(_logger, _options.InterfaceName, reason, received);
                continue;
            }

            _receive.AsSpan(offset, length).CopyTo(buffer.Span);
            _metrics.Received.Add(1, _interfaceTag);
            return new VrrpReceiveResult(length, Intern(source), Intern(destination), ttl);
        }
    }

    /// <summary>The blocking receive the host runs on a thread of its own (poll(2) with the timeout, then recvfrom(2)).</summary>
    public VrrpReceiveResult? Receive(Span<byte> buffer, TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            var left = deadline - Environment.TickCount64;
            if (left <= 0 || !_socket.Poll(TimeSpan.FromMilliseconds(left), SelectMode.SelectRead))
            {
                return null;
            }

            var received = _socket.Receive(_receive, SocketFlags.None);
            var reason = Accept(received, out var offset, out var length, out var ttl, out var source, out var destination);
            if (reason == EnvelopeDropReason.None && length > buffer.Length)
            {
                reason = EnvelopeDropReason.TooLarge;
            }

            if (reason != EnvelopeDropReason.None)
            {
                _metrics.Dropped.Add(1, _interfaceTag, new("reason", ReasonName(reason)));
                Log.Dropped(_logger, _options.InterfaceName, reason, received);
                continue;
            }

            _receive.AsSpan(offset, length).CopyTo(buffer);
            _metrics.Received.Add(1, _interfaceTag);
            return new VrrpReceiveResult(length, Intern(source), Intern(destination), ttl);
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stop?.Dispose();
            _socket.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    internal static string ReasonName(EnvelopeDropReason reason) => reason switch
    {
        EnvelopeDropReason.Truncated => "truncated",
        EnvelopeDropReason.NotIPv4 => "not_ipv4",
        EnvelopeDropReason.NotVrrp => "not_vrrp",
        EnvelopeDropReason.Fragment => "fragment",
        EnvelopeDropReason.BadLength => "bad_length",
        EnvelopeDropReason.WrongTtl => "ttl",
        EnvelopeDropReason.UnexpectedMulticast => "unexpected_multicast",
        EnvelopeDropReason.UnexpectedUnicast => "unexpected_unicast",
        EnvelopeDropReason.UnknownPeer => "unknown_peer",
        EnvelopeDropReason.TooLarge => "too_large",
        _ => "none",
    };

    private EnvelopeDropReason Accept(int received, out int offset, out int length, out byte ttl, out uint source, out uint destination)
    {
        var reason = VrrpEnvelope.ParseIPv4(_receive.AsSpan(0, received), out offset, out length, out ttl, out source, out destination);
        if (reason != EnvelopeDropReason.None)
        {
            return reason;
        }

        var multicast = VrrpEnvelope.IsIPv4Multicast(destination);
        if (_options.IsUnicast)
        {
            if (multicast)
            {
                return EnvelopeDropReason.UnexpectedMulticast; // keepalived: "Expected unicast packet but received multicast packet"
            }

            return _options.CheckUnicastSource && !_peers.Contains(source) ? EnvelopeDropReason.UnknownPeer : EnvelopeDropReason.None;
        }

        if (destination != _group)
        {
            return EnvelopeDropReason.UnexpectedUnicast;
        }

        return _options.CheckMulticastTtl && ttl != 255 ? EnvelopeDropReason.WrongTtl : EnvelopeDropReason.None;
    }

    private IPAddress Intern(uint address)
    {
        if (_addresses.TryGetValue(address, out var known))
        {
            return known;
        }

        var value = VrrpEnvelope.ToAddress(address);
        if (_addresses.Count < 256)
        {
            _addresses.TryAdd(address, value);
        }

        return value;
    }

    private static void Configure(Socket socket, RawVrrpTransportOptions options, int interfaceIndex)
    {
        socket.SetRawSocketOption(LibC.SOL_SOCKET, LibC.SO_BINDTODEVICE, System.Text.Encoding.ASCII.GetBytes(options.InterfaceName + "\0"));
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.HeaderIncluded, true);
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, false);
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 255);
        socket.SetRawSocketOption(LibC.SOL_IP, LibC.IP_MULTICAST_ALL, BitConverter.GetBytes(0));
        socket.SetRawSocketOption(LibC.SOL_IP, IP_MULTICAST_IF, IpMreqn(IPAddress.Any, interfaceIndex));
        if (!options.IsUnicast)
        {
            socket.SetRawSocketOption(LibC.SOL_IP, IP_ADD_MEMBERSHIP, IpMreqn(options.EffectiveMulticastGroup, interfaceIndex));
        }
    }

    /// <summary><c>struct ip_mreqn { in_addr imr_multiaddr; in_addr imr_address; int imr_ifindex; }</c> (12 bytes).</summary>
    private static byte[] IpMreqn(IPAddress group, int interfaceIndex)
    {
        var bytes = new byte[12];
        group.TryWriteBytes(bytes, out _);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), interfaceIndex);
        return bytes;
    }

    private static IPAddress FindPrimaryAddress(RouteClient route, LinkInfo link)
    {
        var addresses = route.GetAddresses(LibC.AF_INET);
        foreach (var address in addresses)
        {
            if (address.InterfaceIndex == link.Index && !address.IsSecondary)
            {
                return address.Address;
            }
        }

        throw new InvalidOperationException($"Interface {link.Name} has no IPv4 address to send VRRP adverts from; add one or set {nameof(RawVrrpTransportOptions.SourceAddress)} (mcast_src_ip/unicast_src_ip).");
    }
}
