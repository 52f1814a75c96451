using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Ha.Net.Samples.ProxyDaemon;

/// <summary>Pauses and resumes a listening socket as HAProxy's <c>tcp_suspend_receiver</c> and
/// <c>tcp_resume_receiver</c> do: <c>connect(AF_UNSPEC)</c> takes it out of the listening state with its
/// address and port kept, <c>listen()</c> puts it back.</summary>
internal static partial class ListenerControl
{
    public static unsafe void Pause(Socket listener)
    {
        byte* address = stackalloc byte[16]; // struct sockaddr, all zero: sa_family = AF_UNSPEC
        new Span<byte>(address, 16).Clear();
        if (connect((int)listener.SafeHandle.DangerousGetHandle(), address, 16) != 0)
        {
            throw new SocketException((int)SocketError.SocketError, $"{listener.LocalEndPoint} failed to enter pause mode.");
        }
    }

    public static void Resume(Socket listener, int backlog)
    {
        if (listen((int)listener.SafeHandle.DangerousGetHandle(), backlog) != 0)
        {
            throw new SocketException((int)SocketError.AddressAlreadyInUse,
                $"Port {(listener.LocalEndPoint as System.Net.IPEndPoint)?.Port} busy while trying to enable the stats page.");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int connect(int fd, byte* address, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int listen(int fd, int backlog);
}
