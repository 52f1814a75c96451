using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ha.Net.HealthChecks.Probes;

/// <summary>Connecting, PROXY headers and text helpers shared by the network probes.</summary>
internal static class ProbeIo
{
    /// <summary>Connects; on failure returns <see langword="null"/> and the L4 result to report.</summary>
    public static async ValueTask<(Socket? Socket, CheckResult Failure)> ConnectAsync(NetworkProbeOptions options, TimeProvider time, long started, CancellationToken cancellationToken, bool noDelay = true)
    {
        var endPoint = options.EndPoint;
        var socket = endPoint is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        CancellationTokenSource? timeout = null;
        CancellationTokenSource? linked = null;
        try
        {
            if (noDelay)
            {
                socket.NoDelay = true; // dialogues: each line goes out at once
            }
            var token = cancellationToken;
            if (options.ConnectTimeout is { } t)
            {
                timeout = new CancellationTokenSource(t, time);
                linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
                token = linked.Token;
            }

            await socket.ConnectAsync(endPoint, token).ConfigureAwait(false);
            return (socket, default);
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            return (null, Result(CheckStatus.L4Timeout, null, "Connection timeout", time, started));
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            var status = ex.SocketErrorCode == SocketError.TimedOut ? CheckStatus.L4Timeout : CheckStatus.L4ConnectionError;
            return (null, Result(status, null, ex.Message, time, started));
        }
        finally
        {
            linked?.Dispose();
            timeout?.Dispose();
        }
    }

    /// <summary>The PROXY header for this connection (source = our end, destination = the server), ready to send.</summary>
    public static ReadOnlyMemory<byte> ProxyHeader(ProxyProtocolVersion version, Socket socket)
    {
        var header = new byte[ProxyProtocolHeader.MaxLength(version)];
        return header.AsMemory(0, WriteProxyHeader(version, socket, header));
    }

    /// <summary>Writes the PROXY header for this connection (source = our end, destination = the server) into <paramref name="buffer"/>; returns its length.</summary>
    private static int WriteProxyHeader(ProxyProtocolVersion version, Socket socket, Span<byte> buffer) =>
        ProxyProtocolHeader.Write(version, (IPEndPoint)socket.LocalEndPoint!, (IPEndPoint)socket.RemoteEndPoint!, buffer);

    /// <summary>A result with its duration measured from <paramref name="started"/>.</summary>
    public static CheckResult Result(CheckStatus status, int? code, string? text, TimeProvider time, long started) =>
        new(status, code, text, time.GetElapsedTime(started));

    /// <summary>Printable ASCII for a result text: control and non-ASCII bytes become '.', at most <paramref name="max"/> characters.</summary>
    public static string Printable(ReadOnlySpan<byte> bytes, int max = 200)
    {
        var length = Math.Min(bytes.Length, max);
        return string.Create(length, bytes[..length].ToArray(), static (span, src) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                var b = src[i];
                span[i] = b is >= 0x20 and < 0x7f ? (char)b : '.';
            }
        });
    }

    /// <summary>Printable text of a caught exception's message.</summary>
    public static string Describe(Exception ex) => ex switch
    {
        SocketException se => se.Message,
        IOException { InnerException: SocketException se } => se.Message,
        _ => ex.Message,
    };

    /// <summary>Whether an I/O failure was a reset (as opposed to anything else).</summary>
    public static bool IsReset(Exception ex, [NotNullWhen(true)] out string? message)
    {
        var se = ex as SocketException ?? ex.InnerException as SocketException;
        message = se?.Message;
        return se is { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown };
    }
}

/// <summary>A pooled receive buffer over a socket or stream: bytes arrive at the end, the parser consumes from the start.</summary>
internal sealed class ReceiveBuffer : IDisposable
{
    private byte[] _buffer;
    private int _start;
    private int _end;

    public ReceiveBuffer(int capacity) => _buffer = ArrayPool<byte>.Shared.Rent(capacity);

    public ReadOnlySpan<byte> Data => _buffer.AsSpan(_start, _end - _start);

    public bool IsFull => _start == 0 && _end == _buffer.Length;

    public int Capacity => _buffer.Length;

    public void Consume(int count) => _start += count;

    /// <summary>Reads more; returns the number of bytes read (0 at end of stream), or −1 when the buffer is full.</summary>
    public async ValueTask<int> FillAsync(Socket socket, CancellationToken cancellationToken)
    {
        if (!Compact())
        {
            return -1;
        }

        var n = await socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        _end += n;
        return n;
    }

    /// <inheritdoc cref="FillAsync(Socket, CancellationToken)"/>
    public async ValueTask<int> FillAsync(Stream stream, CancellationToken cancellationToken)
    {
        if (!Compact())
        {
            return -1;
        }

        var n = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        _end += n;
        return n;
    }

    public void Dispose()
    {
        var b = _buffer;
        _buffer = [];
        if (b.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(b);
        }
    }

    private bool Compact()
    {
        if (_end < _buffer.Length)
        {
            return true;
        }

        if (_start == 0)
        {
            return false;
        }

        Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
        _end -= _start;
        _start = 0;
        return true;
    }
}
