using System.Runtime.Versioning;
using System.Diagnostics.Metrics;
using System.Net.Sockets;
using Ha.Net.Vrrp.Linux.Addresses;
using Ha.Net.Vrrp.Linux.Announcements;
using Ha.Net.Vrrp.Linux.Links;
using Ha.Net.Vrrp.Linux.Transport;
using Ha.Net.Vrrp.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ha.Net.Vrrp.Linux;

/// <summary>
/// Creates the Linux implementations of the Ha.Net.Vrrp seams. Every socket is created, and every
/// interface looked up, synchronously in the network namespace of the calling thread: a process
/// serving several namespaces can call these from a thread that entered one with <c>setns()</c>;
/// a process started under <c>ip netns exec</c> needs nothing special.
/// All need CAP_NET_ADMIN and CAP_NET_RAW (root).
/// </summary>
[SupportedOSPlatform("linux")]
public static class LinuxVrrpBackend
{
    /// <summary>Opens the raw-socket VRRP transport (IPv4 multicast/unicast, IPv6 VRRPv3).</summary>
    /// <param name="options">The transport options; invalid options throw <see cref="ArgumentException"/> listing every problem.</param>
    /// <param name="loggerFactory">Logging, or <see langword="null"/> for none.</param>
    /// <param name="meterFactory">Metrics, or <see langword="null"/> for a process-wide meter.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="IOException">The interface does not exist, or the kernel refused a request.</exception>
    public static IVrrpTransport OpenTransport(RawVrrpTransportOptions options, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Ha.Net.Vrrp.Linux.Transport");
        var metrics = Metrics(meterFactory);
        return options.AddressFamily == AddressFamily.InterNetworkV6
            ? RawIPv6VrrpTransport.Open(options, metrics, logger)
            : RawIPv4VrrpTransport.Open(options, metrics, logger);
    }

    /// <summary>Opens the rtnetlink virtual-address binder.</summary>
    /// <param name="options">The binder options, or <see langword="null"/> for the defaults.</param>
    /// <param name="loggerFactory">Logging, or <see langword="null"/> for none.</param>
    /// <param name="meterFactory">Metrics, or <see langword="null"/> for a process-wide meter.</param>
    public static ILinuxAddressBinder OpenAddressBinder(NetlinkAddressBinderOptions? options = null, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null) =>
        NetlinkAddressBinder.Open(options ?? new NetlinkAddressBinderOptions(), Metrics(meterFactory), (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Ha.Net.Vrrp.Linux.Addresses"));

    /// <summary>Opens the gratuitous-ARP / unsolicited-NA announcer.</summary>
    /// <param name="loggerFactory">Logging, or <see langword="null"/> for none.</param>
    /// <param name="meterFactory">Metrics, or <see langword="null"/> for a process-wide meter.</param>
    public static ILinuxAddressAnnouncer OpenAnnouncer(ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null) =>
        PacketAddressAnnouncer.Open(Metrics(meterFactory), (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Ha.Net.Vrrp.Linux.Announcements"));

    /// <summary>Starts the link-state monitor: reads every link's state, then follows RTNLGRP_LINK.</summary>
    /// <param name="loggerFactory">Logging, or <see langword="null"/> for none.</param>
    public static ILinkStateMonitor StartLinkMonitor(ILoggerFactory? loggerFactory = null) =>
        LinkStateMonitor.Start((loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Ha.Net.Vrrp.Linux.Links"));

    private static LinuxVrrpMetrics Metrics(IMeterFactory? meterFactory) => meterFactory is null ? LinuxVrrpMetrics.Shared : new LinuxVrrpMetrics(meterFactory);
}
