using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace Ha.Net.Proxy.Connections;

/// <summary>
/// The portable transport: .NET <see cref="Socket"/>s and one pump task per direction. A pump waits with a
/// zero-byte receive before renting a buffer, so an idle connection holds none; it keeps the buffer while
/// reads fill it (bulk) and gives it back as soon as a read comes up short (request/response).
/// </summary>
/// <remarks>Sockets are disposed once no operation is pending on them: disposing under a pending
/// operation would make .NET close abortively (RST) where an orderly close was asked for.</remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed once the last pending operation ends after Close (see Exit).")]
internal sealed class SocketTransport : ISessionTransport
{
    private readonly Socket _client;
    private readonly int _bufferSize;
    private readonly SocketAwaitableEventArgs _upstream = new();
    private readonly SocketAwaitableEventArgs _downstream = new();
    private ProxySession _session = null!;
    private Socket? _server;
    private int _attempt;
    private int _pending; // operations and pumps in flight, plus one until Close
    private int _closed;

    public SocketTransport(Socket client, int bufferSize)
    {
        _client = client;
        _bufferSize = bufferSize;
        _pending = 1;
        ClientAddress = client.RemoteEndPoint as IPEndPoint;
    }

    public IPEndPoint? ClientAddress { get; }

    /// <summary>Binds the session whose callbacks this transport calls.</summary>
    public void Bind(ProxySession session) => _session = session;

    public IPEndPoint GetFrontendAddress() => (IPEndPoint)_client.LocalEndPoint!;

    public void ReceiveClient(Memory<byte> buffer) => _ = ReceiveClientAsync(buffer);

    private async Task ReceiveClientAsync(Memory<byte> buffer)
    {
        Interlocked.Increment(ref _pending);
        try
        {
            var result = await _upstream.ReceiveAsync(_client, buffer).ConfigureAwait(false);
            _session.OnClientReceived(result);
        }
        catch (Exception e)
        {
            _session.OnUnexpected(e);
        }
        finally
        {
            Exit();
        }
    }

    public void Connect(IPEndPoint server)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Volatile.Write(ref _server, socket);
        _ = ConnectAsync(socket, server, Interlocked.Increment(ref _attempt));
    }

    private async Task ConnectAsync(Socket socket, IPEndPoint server, int attempt)
    {
        Interlocked.Increment(ref _pending);
        try
        {
            var result = await _upstream.ConnectAsync(socket, server).ConfigureAwait(false);
            if (Volatile.Read(ref _attempt) != attempt)
            {
                return; // cut by AbortConnect: it never completes
            }

            if (result.HasError)
            {
                Interlocked.CompareExchange(ref _server, null, socket);
                socket.Dispose();
            }

            _session.OnConnected(result.Error);
        }
        catch (Exception e)
        {
            _session.OnUnexpected(e);
        }
        finally
        {
            Exit();
        }
    }

    public void AbortConnect()
    {
        Interlocked.Increment(ref _attempt);
        Interlocked.Exchange(ref _server, null)?.Dispose();
    }

    public void StartForwarding(byte[]? preface, int length)
    {
        _ = PumpAsync(upstream: true, preface, length);
        _ = PumpAsync(upstream: false, null, 0);
    }

    public void ShutdownWrite(bool toServer)
    {
        try
        {
            (toServer ? _server : _client)?.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The other side is gone already; its own pump reports why.
        }
    }

    public void Close(bool abortive)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        var server = Volatile.Read(ref _server);
        if (abortive)
        {
            SetAbortive(_client);
            _client.Dispose();
            if (server is not null)
            {
                SetAbortive(server);
                server.Dispose();
            }
        }
        else
        {
            // Orderly: FIN both ways now, which also wakes the pumps; the sockets are disposed once no
            // operation is pending.
            ShutdownBoth(_client);
            if (server is not null)
            {
                ShutdownBoth(server);
            }
        }

        Exit();
    }

    /// <summary>One direction: read the client (upstream) or the server, write the other.</summary>
    private async Task PumpAsync(bool upstream, byte[]? preface, int prefaceLength)
    {
        Interlocked.Increment(ref _pending);
        var args = upstream ? _upstream : _downstream;
        var source = upstream ? _client : _server!;
        var target = upstream ? _server! : _client;
        var time = _session.Runtime.Time;
        var pool = ArrayPool<byte>.Shared;
        byte[]? buffer = null;
        try
        {
            if (preface is not null)
            {
                var sent = await args.SendAsync(target, preface.AsMemory(0, prefaceLength)).ConfigureAwait(false);
                pool.Return(preface);
                if (sent.HasError)
                {
                    _session.OnFailed(client: !upstream, sent.Error);
                    return;
                }
            }

            while (true)
            {
                if (buffer is null)
                {
                    // Wait for data before renting: an idle connection holds no buffer.
                    var ready = await args.ReceiveAsync(source, Memory<byte>.Empty).ConfigureAwait(false);
                    if (ready.HasError)
                    {
                        _session.OnFailed(client: upstream, ready.Error);
                        return;
                    }

                    buffer = pool.Rent(_bufferSize);
                }

                // _bufferSize, not the rented length (the pool rounds up to a power of two).
                var received = await args.ReceiveAsync(source, buffer.AsMemory(0, _bufferSize)).ConfigureAwait(false);
                if (received.HasError)
                {
                    _session.OnFailed(client: upstream, received.Error);
                    return;
                }

                int count = received.BytesTransferred;
                if (count == 0)
                {
                    _session.OnSourceEnded(upstream);
                    return;
                }

                Volatile.Write(ref _session.LastActivity, time.GetTimestamp());
                int offset = 0;
                while (offset < count)
                {
                    var sent = await args.SendAsync(target, buffer.AsMemory(offset, count - offset)).ConfigureAwait(false);
                    if (sent.HasError)
                    {
                        _session.OnFailed(client: !upstream, sent.Error);
                        return;
                    }

                    offset += sent.BytesTransferred;
                }

                Volatile.Write(ref _session.LastActivity, time.GetTimestamp());
                _session.CountBytes(upstream, count);
                if (count < _bufferSize)
                {
                    // Drained the socket: give the buffer back until more data arrives.
                    pool.Return(buffer);
                    buffer = null;
                }
            }
        }
        catch (Exception e)
        {
            _session.OnUnexpected(e);
        }
        finally
        {
            if (buffer is not null)
            {
                pool.Return(buffer);
            }

            Exit();
        }
    }

    /// <summary>An operation ended: once closed and nothing is pending, the sockets and event args go.</summary>
    private void Exit()
    {
        if (Interlocked.Decrement(ref _pending) == 0)
        {
            _client.Dispose();
            Volatile.Read(ref _server)?.Dispose();
            _upstream.Dispose();
            _downstream.Dispose();
        }
    }

    private static void ShutdownBoth(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Not connected (yet), or already closed.
        }
    }

    private static void SetAbortive(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }
}
