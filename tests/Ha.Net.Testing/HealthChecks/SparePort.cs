using System.Net;
using System.Net.Sockets;

namespace Ha.Net.Testing.HealthChecks;

/// <summary>Spare TCP ports on 127.0.0.1 for servers the tests start (nginx, Postfix).</summary>
public static class SparePort
{
    private static readonly (int Low, int High) Ephemeral = ReadEphemeralRange();

    /// <summary>
    /// A port nothing uses right now, chosen below the kernel's ephemeral range
    /// (<c>/proc/sys/net/ipv4/ip_local_port_range</c>): a port the kernel picked for us could be handed out again
    /// as the source port of some other test's outgoing connection before our server binds it (EADDRINUSE under
    /// parallel tests). A small race with another test picking the same random port remains.
    /// </summary>
    public static int Next()
    {
        int low = 10_000, high = Math.Max(low + 1000, Ephemeral.Low);
        for (int attempt = 0; attempt < 200; attempt++)
        {
            int port = Random.Shared.Next(low, high);
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
                probe.Listen(1);
                return port;
            }
            catch (SocketException)
            {
                // In use: try another.
            }
        }

        using var fallback = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        fallback.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)fallback.LocalEndPoint!).Port;
    }

    private static (int Low, int High) ReadEphemeralRange()
    {
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return (32768, 60999);
        }
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
