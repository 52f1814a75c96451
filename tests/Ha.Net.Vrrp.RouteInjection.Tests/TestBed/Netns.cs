using System.Net;
using System.Net.Sockets;
using Ha.Net.Samples.Lab;

namespace Ha.Net.Vrrp.RouteInjection.Tests.TestBed;

/// <summary>Sockets created inside a named network namespace (<see cref="NetnsLab.InNamespace{T}(string, Func{T})"/>): they stay in
/// that namespace whatever thread uses them later.</summary>
internal static class Netns
{
    public static Task<Socket> TcpSocketAsync(string ns) =>
        NetnsLab.InNamespace(ns, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true });

    public static Task<Socket> ListenAsync(string ns, IPEndPoint at) => NetnsLab.InNamespace(ns, () =>
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        s.Bind(at);
        s.Listen(512);
        return s;
    });
}
