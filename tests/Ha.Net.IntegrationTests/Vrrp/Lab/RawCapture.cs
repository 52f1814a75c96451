using System.Net.Sockets;
using Ha.Net.Vrrp.Linux.Interop;

namespace Ha.Net.Vrrp.Linux.Lab;

/// <summary>A raw IPv4 protocol-112 socket that hands over whole packets (IP header included), for checking what went on the wire.</summary>
internal sealed class RawCapture : IDisposable
{
    private readonly Socket _socket;

    private RawCapture(Socket socket) => _socket = socket;

    public static RawCapture Open() => new(LibC.OpenSocket(LibC.AF_INET, LinuxVrrpNames.IpProtocolVrrp));

    public async Task<byte[]> ReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[2048];
        var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
        return buffer[..n];
    }

    public void Dispose() => _socket.Dispose();
}

/// <summary>An AF_PACKET socket receiving every frame of one ethertype on one namespace's interfaces.</summary>
internal sealed class FrameCapture : IDisposable
{
    private readonly Socket _socket;

    private FrameCapture(Socket socket) => _socket = socket;

    public static FrameCapture Open(ushort etherType) => new(LibC.OpenSocket(LibC.AF_PACKET, LibC.htons(etherType)));

    /// <summary>The next frame <paramref name="match"/> accepts (others are skipped), within <paramref name="timeout"/>.</summary>
    public async Task<byte[]> ReceiveAsync(TimeSpan timeout, Func<byte[], bool>? match = null)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[2048];
        while (true)
        {
            var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            var frame = buffer[..n];
            if (match is null || match(frame))
            {
                return frame;
            }
        }
    }

    public void Dispose() => _socket.Dispose();
}
