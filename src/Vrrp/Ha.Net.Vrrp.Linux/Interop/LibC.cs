using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Ha.Net.Vrrp.Linux.Interop;

/// <summary>
/// The few libc calls .NET lacks for this backend. Everything else (lifetime, readiness, socket
/// options .NET knows) goes through <see cref="Socket"/>; see DESIGN.md "Linux backend".
/// Names follow C so they can be checked against the man pages.
/// </summary>
[SupportedOSPlatform("linux")]
internal static partial class LibC
{
    private const string Library = "libc";

    // <sys/socket.h>, <linux/netlink.h>, <linux/if_ether.h>, <netinet/in.h>, <sched.h>
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int AF_NETLINK = 16;
    public const int AF_PACKET = 17;
    public const int SOCK_RAW = 3;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int NETLINK_ROUTE = 0;
    public const int SOL_SOCKET = 1;
    public const int SO_BINDTODEVICE = 25;
    public const int SOL_IP = 0;
    public const int IP_MULTICAST_ALL = 49;
    public const int SOL_IPV6 = 41;
    public const int IPV6_CHECKSUM = 7;
    public const int IPV6_RECVPKTINFO = 49;
    public const int IPV6_PKTINFO = 50;
    public const int IPV6_RECVHOPLIMIT = 51;
    public const int IPV6_HOPLIMIT = 52;
    public const int SOL_NETLINK = 270;
    public const int NETLINK_ADD_MEMBERSHIP = 1;
    public const int NETLINK_CAP_ACK = 10;
    public const int NETLINK_EXT_ACK = 11;
    public const ushort ETH_P_ARP = 0x0806;
    public const ushort ETH_P_IPV6 = 0x86DD;
    public const int CLONE_NEWNET = 0x40000000;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_TRUNC = 0x20;
    public const int MSG_CTRUNC = 0x8;

    // <errno.h>
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENODEV = 19;
    public const int EEXIST = 17;
    public const int EADDRNOTAVAIL = 99;

    [LibraryImport(Library, SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Library, SetLastError = true)]
    public static unsafe partial int bind(int sockfd, void* addr, uint addrlen);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int dup(int oldfd);

    [LibraryImport(Library, SetLastError = true)]
    public static unsafe partial nint sendto(SafeSocketHandle sockfd, void* buf, nuint len, int flags, void* dest_addr, uint addrlen);

    [LibraryImport(Library, SetLastError = true)]
    public static unsafe partial nint recvmsg(SafeSocketHandle sockfd, msghdr* msg, int flags);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int setns(int fd, int nstype);

    [LibraryImport(Library, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint if_nametoindex(string ifname);

    /// <summary>Opens a socket with <c>SOCK_CLOEXEC</c> and hands it to a <see cref="Socket"/> that owns it from then on.</summary>
    public static Socket OpenSocket(int domain, int protocol, Func<int, int>? beforeWrap = null)
    {
        var fd = socket(domain, SOCK_RAW | SOCK_CLOEXEC, protocol);
        if (fd < 0)
        {
            throw new SocketException(Marshal.GetLastPInvokeError());
        }

        try
        {
            if (beforeWrap is not null && beforeWrap(fd) < 0)
            {
                throw new SocketException(Marshal.GetLastPInvokeError());
            }

            return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        }
        catch
        {
            _ = close(fd);
            throw;
        }
    }

    /// <summary>The network byte order of a 16-bit value.</summary>
    public static ushort htons(ushort value) => BitConverter.IsLittleEndian ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(value) : value;
}
