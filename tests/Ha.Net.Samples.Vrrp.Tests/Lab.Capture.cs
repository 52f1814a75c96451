using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Ha.Net.Samples.Vrrp.Tests;

internal sealed partial class Lab
{
    /// <summary>
    /// Collects the VRRP adverts the namespace's interfaces receive (an AF_PACKET socket for IPv4 frames: outgoing copies
    /// are not handed to a protocol-bound packet socket, so each advert from vd0 is seen once, as vd1 receives it).
    /// </summary>
    public async Task<AdvertCapture> CaptureAdvertsAsync()
    {
        var socket = await InNamespaceAsync(() => new Socket(AddressFamily.Packet, SocketType.Raw, (ProtocolType)0x0008 /* htons(ETH_P_IP) */));
        var capture = new AdvertCapture(socket);
        _lab.Own(capture); // the lab disposes it (asynchronously) before its namespace goes
        return capture;
    }

    /// <summary>Adverts seen so far: source and priority, in arrival order.</summary>
    internal sealed class AdvertCapture : IAsyncDisposable, IDisposable
    {
        private readonly Socket _socket;
        private readonly ConcurrentQueue<(IPAddress Source, int Priority)> _adverts = new();
        private readonly Task _loop;

        public AdvertCapture(Socket socket)
        {
            _socket = socket;
            _loop = Task.Run(ReceiveAsync);
        }

        public IReadOnlyList<(IPAddress Source, int Priority)> Adverts => [.. _adverts];

        private async Task ReceiveAsync()
        {
            var frame = new byte[2048];
            while (true)
            {
                int n;
                try
                {
                    n = await _socket.ReceiveAsync(frame, SocketFlags.None);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }

                // Ethernet (14) + IPv4 (IHL) + VRRP: protocol 112, priority at VRRP byte 2.
                if (n < 14 + 20 + 8 || frame[12] != 0x08 || frame[13] != 0x00 || frame[14 + 9] != 112)
                {
                    continue;
                }

                var ihl = (frame[14] & 0x0F) * 4;
                _adverts.Enqueue((new IPAddress(frame.AsSpan(14 + 12, 4)), frame[14 + ihl + 2]));
            }
        }

        public async ValueTask DisposeAsync()
        {
            _socket.Dispose();
            await _loop;
        }

        public void Dispose()
        {
            _socket.Dispose();
            _loop.Wait(TimeSpan.FromSeconds(10));
        }
    }
}
