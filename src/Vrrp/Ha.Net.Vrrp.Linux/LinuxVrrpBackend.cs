using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using System.Runtime.Versioning;
using System.Net.Sockets;
using Ha.Net.Vrrp.Linux.Addresses;
using Ha.Net.Vrrp.Linux.Announcements;
using Ha.Net.Vrrp.Linux.Links;
using Ha.Net.Vrrp.Linux.Signals;
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

    /// <summary>
    /// Makes <paramref name="signals"/> (a daemon's SIGTERM and SIGINT) stop VRRP from inside the signal handler, as
    /// keepalived does within a millisecond: every instance that is MASTER over a transport and binder opened after this
    /// call sends its priority-0 advert and every IPv4 virtual address it holds is removed, before the .NET runtime even
    /// hears of the signal. The handler then calls the one installed before it, so the application's own handling of the
    /// signal (<see cref="System.Runtime.InteropServices.PosixSignalRegistration"/>: its graceful stop, log lines, exit
    /// code) runs as before; the instances' own priority-0 adverts are then not sent a second time.
    /// </summary>
    /// <remarks>
    /// Needs <c>libhanet_sigstop.so</c> beside the application: this project builds it with gcc when the build machine
    /// has gcc. Without it nothing changes (<paramref name="reason"/> says why), and the application's own stop sends
    /// the priority-0 adverts. Call once, after registering the application's own signal handling and before opening
    /// transports and binders. IPv6 instances are left to the application's own stop.
    /// </remarks>
    /// <param name="signals">The signal numbers (Linux: SIGINT 2, SIGTERM 15).</param>
    /// <param name="reason">Why the handler was not installed.</param>
    /// <returns>Whether the handler is installed.</returns>
    public static bool TryInstallSignalStop(IEnumerable<int> signals, [NotNullWhen(false)] out string? reason)
    {
        ArgumentNullException.ThrowIfNull(signals);
        return SignalStop.TryInstall(signals, AppContext.BaseDirectory, out reason);
    }

    private static LinuxVrrpMetrics Metrics(IMeterFactory? meterFactory) => meterFactory is null ? LinuxVrrpMetrics.Shared : new LinuxVrrpMetrics(meterFactory);
}
