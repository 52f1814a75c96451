using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ha.Net.Vrrp.RouteInjection.Tests.TestBed;

/// <summary>
/// A node's backend server inside the node's namespace: greets each connection with the node's name
/// (<c>node2\n</c>), then echoes what it receives until the client closes. Stop() closes the listener (a failed
/// backend: health checks fail) and leaves live connections alone.
/// </summary>
internal sealed class NodeBackend : IAsyncDisposable
{
    private readonly string _ns;
    private readonly IPEndPoint _at;
    private readonly byte[] _greeting;
    private readonly List<Socket> _open = [];
    private Socket? _listener;
    private Task? _accepting;

    public NodeBackend(string ns, string node, IPEndPoint at)
    {
        _ns = ns;
        _at = at;
        _greeting = Encoding.ASCII.GetBytes(node + "\n");
    }

    public async Task StartAsync()
    {
        var listener = await Netns.ListenAsync(_ns, _at);
        _listener = listener;
        _accepting = Task.Run(() => AcceptAsync(listener));
    }

    public async Task StopAsync()
    {
        var listener = Interlocked.Exchange(ref _listener, null);
        listener?.Dispose();
        if (_accepting is { } accepting)
        {
            await accepting;
        }
    }

    private async Task AcceptAsync(Socket listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (_open)
            {
                _open.Add(client);
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        var buffer = new byte[4096];
        try
        {
            await client.SendAsync(_greeting);
            while (true)
            {
                var n = await client.ReceiveAsync(buffer);
                if (n == 0)
                {
                    break;
                }

                await client.SendAsync(buffer.AsMemory(0, n));
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
            lock (_open)
            {
                _open.Remove(client);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        lock (_open)
        {
            foreach (var s in _open)
            {
                s.Dispose();
            }
        }
    }
}
