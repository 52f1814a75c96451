using System.Net;
using System.Net.Sockets;

namespace Ha.Net.Testing.HealthChecks;

/// <summary>Spare TCP ports on 127.0.0.1 for servers the tests start (nginx, Postfix).</summary>
public static class SparePort
{
    /// <summary>A port nothing listens on right now (the kernel's pick; a tiny race remains, as with any such helper).</summary>
    public static int Next()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>A port that refuses connections (bound, never listening, so nobody else gets it while it is held).</summary>
    public static Socket Refusing(out IPEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        endPoint = (IPEndPoint)socket.LocalEndPoint!;
        return socket;
    }

    /// <summary>Waits (bounded) until something accepts connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static async Task WaitListeningAsync(int port, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (true)
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await s.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
                s.LingerState = new LingerOption(true, 0);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>chmod on Unix (no-op elsewhere): lets Postfix/nginx workers read the temp directories.</summary>
    public static void Chmod(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }
}
