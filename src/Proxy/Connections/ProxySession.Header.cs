using System.Buffers;
using System.Net;
using Ha.Net.Proxy.Connections.Session;
using Ha.Net.Proxy.ProxyProtocol;

namespace Ha.Net.Proxy.Connections;

/// <summary>
/// <c>bind ... accept-proxy</c>: before anything else, the client (another proxy, a cloud load
/// balancer) sends a PROXY protocol header, and its addresses replace the connection's own in the
/// log, in <c>balance source</c> and in a <c>send-proxy</c> header to the server.
/// </summary>
/// <remarks>
/// As in HAProxy, the wait for the header is bounded by <c>timeout client</c> (the machine's deadline),
/// and a connection whose header is missing, invalid or late is closed before it becomes a backend
/// session: it is logged with the reason (HAProxy's messages) instead of a tcplog line, and never reaches
/// a server. Bytes the client sent after the header in the same segment are kept and go to the server first.
/// </remarks>
internal sealed partial class ProxySession
{
    /// <summary>The client's address: the connection's peer, or what its PROXY header said.</summary>
    private IPEndPoint? _remote;
    private IPEndPoint? _frontendAddress;
    private byte[]? _header;
    private int _headerCount;
    private bool _headerReceiving;
    private byte[]? _early;
    private int _earlyCount;
    private string? _headerError;
    private bool _headerNull;

    private void BeginHeader()
    {
        _header = ArrayPool<byte>.Shared.Rent(ProxyHeaderParser.MaxLength);
        ReceiveHeader();
    }

    private void ReceiveHeader()
    {
        _headerReceiving = true;
        _transport.ReceiveClient(_header.AsMemory(_headerCount, ProxyHeaderParser.MaxLength - _headerCount));
    }

    /// <summary>A read of the PROXY header completed (0 bytes: the client closed).</summary>
    public void OnClientReceived(SocketResult received)
    {
        _headerReceiving = false;
        if (_machine.State != SessionState.Header)
        {
            // The session ended while the read was pending: only the buffer is left to give back.
            ReleaseHeader();
            return;
        }

        if (received.HasError)
        {
            _headerNull = true;
            HeaderFailed("Connection error while waiting for PROXY protocol header", SessionEnd.HeaderError);
            return;
        }

        if (received.BytesTransferred == 0)
        {
            _headerNull = _headerCount == 0;
            HeaderFailed(_headerCount == 0
                ? "Connection closed while waiting for PROXY protocol header"
                : "Truncated PROXY protocol header received", SessionEnd.HeaderClosed);
            return;
        }

        _headerCount += received.BytesTransferred;
        var header = ProxyHeaderParser.Parse(_header.AsSpan(0, _headerCount));
        switch (header.Status)
        {
            case ProxyHeaderStatus.Incomplete:
                ReceiveHeader();
                return;
            case ProxyHeaderStatus.NotProxy:
                HeaderFailed("Received something which does not look like a PROXY protocol header", SessionEnd.HeaderInvalid);
                return;
            case ProxyHeaderStatus.Invalid:
                HeaderFailed("Received an invalid PROXY protocol header: " + header.Error, SessionEnd.HeaderInvalid);
                return;
        }

        if (header.Source is { } source)
        {
            _remote = source;
            _frontendAddress = header.Destination;
        }

        int extra = _headerCount - header.Length;
        if (extra > 0)
        {
            // Client data that came with the header: it goes to the server first.
            _early = ArrayPool<byte>.Shared.Rent(extra);
            _header.AsSpan(header.Length, extra).CopyTo(_early);
            _earlyCount = extra;
            CountBytes(upstream: true, extra);
        }

        ReleaseHeader();
        Raise(SessionInput.Of(SessionInputKind.HeaderRead));
    }

    private void HeaderFailed(string reason, SessionEnd end)
    {
        _headerError = reason;
        ReleaseHeader();
        Raise(new SessionInput(SessionInputKind.HeaderFailed, End: end));
    }

    /// <summary>Gives the header buffer back, unless a read into it is still pending (its completion does).</summary>
    private void ReleaseHeader()
    {
        if (!_headerReceiving && _header is { } header)
        {
            _header = null;
            ArrayPool<byte>.Shared.Return(header);
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
        var reason = _machine.Termination.End == SessionEnd.HeaderTimeout ? "Timeout while waiting for PROXY protocol header" : _headerError;
        if (_runtime.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Information)
            && reason is not null
            && !(_frontend.Options.DontLogNull && _headerNull))
        {
            Log.ProxyHeaderFailed(_runtime.Logger, _remote?.Address.ToString() ?? "-", _remote?.Port ?? 0, _acceptDate, _frontend.Name, reason);
        }
    }
}
