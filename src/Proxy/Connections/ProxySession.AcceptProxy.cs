using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Ha.Net.Proxy.ProxyProtocol;

namespace Ha.Net.Proxy.Connections;

/// <summary>
/// <c>bind ... accept-proxy</c>: before anything else, the client (another proxy, a cloud load
/// balancer) sends a PROXY protocol header, and its addresses replace the connection's own in the
/// log, in <c>balance source</c> and in a <c>send-proxy</c> header to the server.
/// </summary>
/// <remarks>
/// As in HAProxy, the wait for the header is bounded by <c>timeout client</c>, and a connection
/// whose header is missing, invalid or late is closed before it becomes a backend session: it is
/// logged with the reason (HAProxy's messages) instead of a tcplog line, and never reaches a server.
/// Bytes the client sent after the header in the same segment are kept and go to the server first.
/// </remarks>
internal sealed partial class ProxySession
{
    private const int PhaseHeader = 3;

    private IPEndPoint? _frontendAddress;
    private byte[]? _early;
    private int _earlyCount;
    private string? _headerError;
    private bool _headerNull;

    /// <summary>Reads the client's PROXY header; false (session terminated) when there is none.</summary>
    private async ValueTask<bool> ReadProxyHeaderAsync()
    {
        Volatile.Write(ref _phase, PhaseHeader);
        if (_frontend.Options.ClientTimeout is { } timeout)
        {
            _timer.Change(timeout, Timeout.InfiniteTimeSpan);
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(ProxyHeaderParser.MaxLength);
        int count = 0;
        try
        {
            while (true)
            {
                var memory = buffer.AsMemory(count, ProxyHeaderParser.MaxLength - count);
                var received = _loop is not null
                    ? await ReceiveHeaderOnLoopAsync(memory).ConfigureAwait(false)
                    : await _upstream!.ReceiveAsync(_client!, memory).ConfigureAwait(false);
                if (received.HasError)
                {
                    _headerNull = true;
                    return HeaderFailed("Connection error while waiting for PROXY protocol header", 'C', abortive: true);
                }

                if (received.BytesTransferred == 0)
                {
                    _headerNull = count == 0;
                    return count == 0
                        ? HeaderFailed("Connection closed while waiting for PROXY protocol header", 'C', abortive: false)
                        : HeaderFailed("Truncated PROXY protocol header received", 'C', abortive: false);
                }

                count += received.BytesTransferred;
                var header = ProxyHeaderParser.Parse(buffer.AsSpan(0, count));
                switch (header.Status)
                {
                    case ProxyHeaderStatus.Incomplete:
                        continue;
                    case ProxyHeaderStatus.NotProxy:
                        return HeaderFailed("Received something which does not look like a PROXY protocol header", 'P', abortive: true);
                    case ProxyHeaderStatus.Invalid:
                        return HeaderFailed("Received an invalid PROXY protocol header: " + header.Error, 'P', abortive: true);
                }

                if (header.Source is { } source)
                {
                    _remoteAtAccept = source;
                    _frontendAddress = header.Destination;
                }

                int extra = count - header.Length;
                if (extra > 0)
                {
                    // Client data that came with the header: it goes to the server first.
                    _early = ArrayPool<byte>.Shared.Rent(extra);
                    buffer.AsSpan(header.Length, extra).CopyTo(_early);
                    _earlyCount = extra;
                    CountBytes(upstream: true, extra);
                }

                Volatile.Write(ref _phase, PhaseQueue);
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                return !IsTerminated;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The header wait ended without a header: note why (unless the session was already
    /// ended, by the timer or a kill) and close.</summary>
    private bool HeaderFailed(string reason, char cause, bool abortive)
    {
        if (!IsTerminated && Interlocked.CompareExchange(ref _headerError, reason, null) is null)
        {
            // The first to name a reason (this read, or the timer) is the one logged.
            Terminate(cause, 'R', abortive);
        }

        return false;
    }

    /// <summary><c>timeout client</c> struck while the header was awaited.</summary>
    private void OnHeaderTimeout()
    {
        if (!IsTerminated && Interlocked.CompareExchange(ref _headerError, "Timeout while waiting for PROXY protocol header", null) is null)
        {
            Terminate('c', 'R', abortive: false);
        }
    }

    /// <summary>The client data that came in behind the PROXY header (rented; <see cref="ReleaseEarlyData"/> returns it).</summary>
    private ReadOnlySpan<byte> EarlyData => _early.AsSpan(0, _earlyCount);

    private void ReleaseEarlyData()
    {
        if (_early is { } early)
        {
            _early = null;
            _earlyCount = 0;
            ArrayPool<byte>.Shared.Return(early);
        }
    }

    /// <summary>Logs why a header wait failed; HAProxy's <c>option dontlognull</c> also silences
    /// the connections that closed or failed before sending anything.</summary>
    private void LogHeaderFailure()
    {
        if (_runtime.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Information)
            && _headerError is { } reason
            && !(_frontend.Options.DontLogNull && _headerNull))
        {
            Log.ProxyHeaderFailed(_runtime.Logger, _remoteAtAccept?.Address.ToString() ?? "-", _remoteAtAccept?.Port ?? 0, _acceptDate, _frontend.Name, reason);
        }
    }
}
