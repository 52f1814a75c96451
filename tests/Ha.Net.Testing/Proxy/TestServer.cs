using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ha.Net.Testing.Proxy;

/// <summary>
/// A real TCP server on 127.0.0.1 for proxy tests: runs <c>handler</c> per connection, counts
/// connections, can be killed (listener closed, live connections reset) and restarted on the same port.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly Func<Socket, CancellationToken, Task> _handler;
    private readonly ConcurrentDictionary<Socket, byte> _connections = new();
    private readonly CancellationTokenSource _cts = new();
    private Socket? _listener;
    private int _accepted;
    private int _active;

    public TestServer(Func<Socket, CancellationToken, Task> handler, int port = 0)
    {
        _handler = handler;
        Listen(port);
    }

    public IPEndPoint EndPoint { get; private set; } = null!;

    public int Accepted => Volatile.Read(ref _accepted);

    public int Active => Volatile.Read(ref _active);

    /// <summary>Echoes everything back; on the client's FIN, shuts its own send side.</summary>
    public static TestServer Echo() => new(async (s, ct) =>
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            int n = await s.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (n == 0)
            {
                s.Shutdown(SocketShutdown.Send);
                return;
            }

            await s.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, ct);
        }
    });

    /// <summary>Reads everything until the client's FIN and keeps it (as ASCII) in
    /// <paramref name="received"/>, then answers "ok\n" and shuts its send side.</summary>
    public static TestServer Recorder(ConcurrentQueue<string> received) => new(async (s, ct) =>
    {
        var buffer = new byte[4096];
        var text = new StringBuilder();
        int n;
        while ((n = await s.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0)
        {
            text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        received.Enqueue(text.ToString());
        await s.SendAsync("ok\n"u8.ToArray(), SocketFlags.None, ct);
        s.Shutdown(SocketShutdown.Send);
    });

    /// <summary>Sends <paramref name="name"/> + "\n", then holds the connection until the client closes.</summary>
    public static TestServer Named(string name) => new(async (s, ct) =>
    {
        await s.SendAsync(Encoding.ASCII.GetBytes(name + "\n"), SocketFlags.None, ct);
        var buffer = new byte[1024];
        while (await s.ReceiveAsync(buffer, SocketFlags.None, ct) > 0)
        {
        }
    });

    /// <summary>Closes the listener and resets every live connection (a crashed server).</summary>
    public void Kill()
    {
        Interlocked.Exchange(ref _listener, null)?.Dispose();
        foreach (var connection in _connections.Keys)
        {
            try
            {
                connection.LingerState = new LingerOption(true, 0);
                connection.Dispose();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Listens again on the same port.</summary>
    public void Restart() => Listen(EndPoint.Port);

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        Kill();
        await Task.Yield();
        _cts.Dispose();
    }

    private void Listen(int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(512);
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _listener = listener;
        _ = AcceptLoop(listener);
    }

    private async Task AcceptLoop(Socket listener)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_cts.Token);
            }
            catch (Exception)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            Interlocked.Increment(ref _active);
            _connections[socket] = 0;
            _ = Task.Run(async () =>
            {
                try
                {
                    await _handler(socket, _cts.Token);
                }
                catch (Exception)
                {
                    // Resets and cancellations end the handler.
                }
                finally
                {
                    _connections.TryRemove(socket, out _);
                    Interlocked.Decrement(ref _active);
                    socket.Dispose();
                }
            });
        }
    }
}
