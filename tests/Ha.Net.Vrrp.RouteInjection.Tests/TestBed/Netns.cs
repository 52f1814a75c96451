using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Ha.Net.Vrrp.RouteInjection.Tests.TestBed;

/// <summary>Creates sockets inside a named network namespace: a dedicated thread enters it with setns(2); the socket
/// stays in that namespace whatever thread uses it later.</summary>
internal static partial class Netns
{
    private const int CloneNewNet = 0x40000000;

    public static Task<T> RunAsync<T>(string name, Func<T> action)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle("/run/netns/" + name, FileMode.Open, FileAccess.Read);
                if (SetNs(handle.DangerousGetHandle().ToInt32(), CloneNewNet) != 0)
                {
                    throw new IOException($"setns({name}) failed: errno {Marshal.GetLastPInvokeError()}");
                }

                done.SetResult(action());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        { IsBackground = true, Name = "netns " + name };
        thread.Start();
        return done.Task;
    }

    public static Task<Socket> TcpSocketAsync(string ns) =>
        RunAsync(ns, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true });

    public static Task<Socket> ListenAsync(string ns, IPEndPoint at) => RunAsync(ns, () =>
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        s.Bind(at);
        s.Listen(512);
        return s;
    });

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
