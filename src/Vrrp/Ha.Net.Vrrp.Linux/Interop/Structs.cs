using System.Runtime.InteropServices;

namespace Ha.Net.Vrrp.Linux.Interop;

// Blittable mirrors of the kernel/libc structures this backend reads and writes, named as in C.
// Their offsets and sizes are checked against the real headers by a test that compiles a small
// C program with g++ (tests/Ha.Net.Vrrp.Linux.Tests/Interop/StructLayoutTests.cs).
#pragma warning disable IDE1006, CS8981 // C names on purpose

/// <summary><c>struct sockaddr_nl</c> (linux/netlink.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct sockaddr_nl
{
    public ushort nl_family;
    public ushort nl_pad;
    public uint nl_pid;
    public uint nl_groups;
}

/// <summary><c>struct sockaddr_ll</c> (linux/if_packet.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct sockaddr_ll
{
    public ushort sll_family;
    public ushort sll_protocol;
    public int sll_ifindex;
    public ushort sll_hatype;
    public byte sll_pkttype;
    public byte sll_halen;
    public fixed byte sll_addr[8];
}

/// <summary><c>struct nlmsghdr</c> (linux/netlink.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct nlmsghdr
{
    public uint nlmsg_len;
    public ushort nlmsg_type;
    public ushort nlmsg_flags;
    public uint nlmsg_seq;
    public uint nlmsg_pid;
}

/// <summary><c>struct nlmsgerr</c> (linux/netlink.h): the error code and the header of the request it answers.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct nlmsgerr
{
    public int error;
    public nlmsghdr msg;
}

/// <summary><c>struct rtattr</c> (linux/rtnetlink.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct rtattr
{
    public ushort rta_len;
    public ushort rta_type;
}

/// <summary><c>struct ifaddrmsg</c> (linux/if_addr.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ifaddrmsg
{
    public byte ifa_family;
    public byte ifa_prefixlen;
    public byte ifa_flags;
    public byte ifa_scope;
    public uint ifa_index;
}

/// <summary><c>struct ifinfomsg</c> (linux/rtnetlink.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ifinfomsg
{
    public byte ifi_family;
    public byte __ifi_pad;
    public ushort ifi_type;
    public int ifi_index;
    public uint ifi_flags;
    public uint ifi_change;
}

/// <summary><c>struct in6_pktinfo</c> (netinet/in.h, RFC 3542).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct in6_pktinfo
{
    public fixed byte ipi6_addr[16];
    public int ipi6_ifindex;
}

/// <summary><c>struct sockaddr_in6</c> (netinet/in.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct sockaddr_in6
{
    public ushort sin6_family;
    public ushort sin6_port;
    public uint sin6_flowinfo;
    public fixed byte sin6_addr[16];
    public uint sin6_scope_id;
}

/// <summary><c>struct iovec</c> (sys/uio.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct iovec
{
    public void* iov_base;
    public nuint iov_len;
}

/// <summary><c>struct msghdr</c> (sys/socket.h, glibc x86-64/arm64 layout: size_t lengths).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct msghdr
{
    public void* msg_name;
    public uint msg_namelen;
    public iovec* msg_iov;
    public nuint msg_iovlen;
    public void* msg_control;
    public nuint msg_controllen;
    public int msg_flags;
}

/// <summary><c>struct cmsghdr</c> (sys/socket.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct cmsghdr
{
    public nuint cmsg_len;
    public int cmsg_level;
    public int cmsg_type;
}
#pragma warning restore IDE1006, CS8981
