using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Ha.Net.Proxy.Connections.Epoll;

/// <summary>The libc calls and constants the epoll data path uses (sys/epoll.h, sys/socket.h, errno.h). Linux only:
/// nothing here is reached unless <see cref="OperatingSystem.IsLinux"/> chose the epoll engine.</summary>

internal static unsafe partial class LinuxNative
{
    private const string Libc = "libc";

    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;
    public const int EpollCtlMod = 3;
    public const uint EpollIn = 0x001;
    public const uint EpollOut = 0x004;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;
    public const uint EpollRdHup = 0x2000;
    public const uint EpollEt = 1u << 31;
    public const int EpollCloexec = 0x80000;
    public const int EfdCloexec = 0x80000;
    public const int EfdNonblock = 0x800;

    public const int SockStream = 1;
    public const int SockNonblock = 0x800;
    public const int SockCloexec = 0x80000;
    public const int AfInet = 2;
    public const int AfInet6 = 10;
    public const int SolSocket = 1;
    public const int SoError = 4;
    public const int SoLinger = 13;
    public const int IpProtoTcp = 6;
    public const int TcpNoDelay = 1;
    public const int MsgDontWait = 0x40;
    public const int MsgNoSignal = 0x4000;
    public const int MsgMore = 0x8000;
    public const int ShutWr = 1;

    public const int ONonblock = 0x800;
    public const int OCloexec = 0x80000;
    public const int FSetPipeSize = 1031;
    public const int FGetPipeSize = 1032;
    public const uint SpliceFMove = 1;
    public const uint SpliceFNonblock = 2;

    public const int EIntr = 4;
    public const int EInval = 22;
    public const int ENoSys = 38;
    public const int EAgain = 11;
    public const int EInProgress = 115;
    public const int EAlready = 114;

    /// <summary>struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16).</summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private static readonly int EpollDataOffset = EpollEventSize == 12 ? 4 : 8;

    public static uint ReadEvents(byte* slot) => *(uint*)slot;

    public static ulong ReadData(byte* slot) => System.Runtime.CompilerServices.Unsafe.ReadUnaligned<ulong>(slot + EpollDataOffset);

    public static int Control(int epfd, int op, int fd, uint events, ulong data)
    {
        byte* ev = stackalloc byte[16];
        *(uint*)ev = events;
        System.Runtime.CompilerServices.Unsafe.WriteUnaligned(ev + EpollDataOffset, data);
        return epoll_ctl(epfd, op, fd, ev);
    }

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int epoll_wait(int epfd, byte* events, int maxevents, int timeout);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint read(int fd, void* buf, nint count);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint write(int fd, void* buf, nint count);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint recv(int fd, byte* buf, nint len, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint send(int fd, byte* buf, nint len, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int connect(int fd, byte* addr, int addrlen);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int name, void* value, int length);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int getsockopt(int fd, int level, int name, void* value, int* length);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int shutdown(int fd, int how);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int listen(int fd, int backlog);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int accept4(int fd, byte* addr, int* addrlen, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int getsockname(int fd, byte* addr, int* addrlen);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int pipe2(int* fds, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int getrlimit(int resource, ulong* limits);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int setrlimit(int resource, ulong* limits);

    /// <summary>Raises the soft <c>RLIMIT_NOFILE</c> to the hard one (as HAProxy raises it at start) and returns
    /// the soft limit in force; <see cref="long.MaxValue"/> when it cannot be read.</summary>
    public static long RaiseDescriptorLimit()
    {
        const int RlimitNofile = 7;
        ulong* limits = stackalloc ulong[2]; // struct rlimit { rlim_cur, rlim_max }
        if (getrlimit(RlimitNofile, limits) != 0)
        {
            return long.MaxValue;
        }

        if (limits[0] < limits[1])
        {
            ulong current = limits[0];
            limits[0] = limits[1];
            if (setrlimit(RlimitNofile, limits) != 0)
            {
                limits[0] = current;
            }
        }

        return limits[0] >= long.MaxValue ? long.MaxValue : (long)limits[0];
    }

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    /// <summary><c>splice(2)</c> with both offsets NULL (sockets and pipes have none).</summary>
    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint splice(int fdIn, nint offIn, int fdOut, nint offOut, nint len, uint flags);

    public static int Errno => Marshal.GetLastPInvokeError();

    public static void SetInt(int fd, int level, int name, int value) => setsockopt(fd, level, name, &value, sizeof(int));

    /// <summary>Sets <c>SO_LINGER {1, 0}</c>: the next close resets the connection (RST) instead of a FIN.</summary>
    public static void SetAbortive(int fd)
    {
        long linger = 1; // struct linger { int l_onoff = 1; int l_linger = 0; }, little-endian
        setsockopt(fd, SolSocket, SoLinger, &linger, sizeof(long));
    }

    /// <summary>Writes <paramref name="endPoint"/> as a sockaddr_in or sockaddr_in6; returns its length.</summary>
    public static int WriteSockaddr(IPEndPoint endPoint, Span<byte> destination)
    {
        destination.Clear();
        int port = endPoint.Port;
        destination[2] = (byte)(port >> 8);
        destination[3] = (byte)port;
        if (endPoint.AddressFamily == AddressFamily.InterNetwork)
        {
            BitConverter.TryWriteBytes(destination, (ushort)AfInet);
            endPoint.Address.TryWriteBytes(destination[4..8], out _);
            return 16;
        }

        BitConverter.TryWriteBytes(destination, (ushort)AfInet6);
        endPoint.Address.TryWriteBytes(destination[8..24], out _);
        BitConverter.TryWriteBytes(destination[24..28], (uint)endPoint.Address.ScopeId);
        return 28;
    }

    /// <summary>Reads a sockaddr_in or sockaddr_in6.</summary>
    public static IPEndPoint ReadSockaddr(ReadOnlySpan<byte> address)
    {
        int port = (address[2] << 8) | address[3];
        if (BitConverter.ToUInt16(address) == AfInet6)
        {
            return new IPEndPoint(new IPAddress(address[8..24], BitConverter.ToUInt32(address[24..28])), port);
        }

        return new IPEndPoint(new IPAddress(address[4..8]), port);
    }

    /// <summary>The <see cref="SocketError"/> for an errno of the socket calls used here.</summary>
    public static SocketError ToSocketError(int errno) => errno switch
    {
        0 => SocketError.Success,
        EAgain => SocketError.WouldBlock,
        EInProgress => SocketError.InProgress,
        EIntr => SocketError.Interrupted,
        9 => SocketError.OperationAborted, // EBADF: closed under us
        32 => SocketError.Shutdown, // EPIPE
        101 => SocketError.NetworkUnreachable,
        103 => SocketError.ConnectionAborted,
        104 => SocketError.ConnectionReset,
        105 => SocketError.NoBufferSpaceAvailable,
        107 => SocketError.NotConnected,
        110 => SocketError.TimedOut,
        111 => SocketError.ConnectionRefused,
        113 => SocketError.HostUnreachable,
        24 or 23 => SocketError.TooManyOpenSockets,
        99 => SocketError.AddressNotAvailable,
        _ => SocketError.SocketError,
    };
}
