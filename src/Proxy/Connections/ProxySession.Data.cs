using System.Buffers;
using System.Net.Sockets;
using Ha.Net.HealthChecks.Probes;
using Ha.Net.Proxy.Backends;
using Ha.Net.Proxy.Connections.Session;

namespace Ha.Net.Proxy.Connections;

/// <summary>The transport's callbacks, the data phase's start and the per-attempt counters.</summary>
internal sealed partial class ProxySession
{
    /// <summary>A connection attempt ended (<see cref="SocketError.Success"/>: connected).</summary>
    public void OnConnected(SocketError error)
    {
        if (error == SocketError.Success)
        {
            _serverState?.ObserveConnect(failed: false);
            Raise(SessionInput.Of(SessionInputKind.Connected));
        }
        else
        {
            Raise(ConnectFailed());
        }
    }

    /// <summary>A direction's source ended and everything it sent went out (<paramref name="upstream"/>: client → server).</summary>
    public void OnSourceEnded(bool upstream) => Raise(new SessionInput(SessionInputKind.SourceEnded, upstream));

    /// <summary>A socket failed in the data phase: the client's (<paramref name="client"/>) or the server's.
    /// A failure caused by our own close is not reported.</summary>
    public void OnFailed(bool client, SocketError error)
    {
        if (error is not (SocketError.OperationAborted or SocketError.Interrupted) || !_machine.IsClosed)
        {
            Raise(new SessionInput(SessionInputKind.Failed, client));
        }
    }

    /// <summary>A transport operation threw: after our own close that is a socket disposed under it
    /// (nothing to do); otherwise an internal error that ends the session.</summary>
    public void OnUnexpected(Exception e)
    {
        if (!_machine.IsClosed && e is not ObjectDisposedException)
        {
            Log.SessionFailed(_runtime.Logger, _frontend.Name, e);
            Kill(SessionEnd.Internal);
        }
    }

    /// <summary>Counts <paramref name="count"/> bytes forwarded (<paramref name="upstream"/>: client → server),
    /// of which <paramref name="spliced"/> moved through a kernel pipe.</summary>
    public void CountBytes(bool upstream, int count, bool spliced = false)
    {
        var server = _serverState;
        if (spliced)
        {
            Interlocked.Add(ref _frontend.Counters.BytesSpliced, count);
            Interlocked.Add(ref _backend.Counters.BytesSpliced, count);
            if (server is not null)
            {
                Interlocked.Add(ref server.Counters.BytesSpliced, count);
            }
        }

        if (upstream)
        {
            _bytesIn += count;
            Interlocked.Add(ref _frontend.Counters.BytesIn, count);
            Interlocked.Add(ref _backend.Counters.BytesIn, count);
            if (server is not null)
            {
                Interlocked.Add(ref server.Counters.BytesIn, count);
            }
        }
        else
        {
            _bytesOut += count;
            Interlocked.Add(ref _frontend.Counters.BytesOut, count);
            Interlocked.Add(ref _backend.Counters.BytesOut, count);
            if (server is not null)
            {
                Interlocked.Add(ref server.Counters.BytesOut, count);
            }
        }
    }

    /// <summary>Which directions may splice: the frontend's and the backend's modes together, as in HAProxy.</summary>
    public Configuration.SpliceModes SpliceModes => _frontend.Options.Splice | _backend.Options.Splice;

    /// <summary>What goes to the server before the client's data: the <c>send-proxy</c> header, then any
    /// client bytes that came in behind an <c>accept-proxy</c> header; then both directions flow.</summary>
    private void StartData()
    {
        Volatile.Write(ref LastActivity, _runtime.Time.GetTimestamp());
        var version = _serverState!.Options.SendProxy;
        if (version == ProxyProtocolVersion.None && _earlyCount == 0)
        {
            _transport.StartForwarding(null, 0);
            return;
        }

        byte[] preface = ArrayPool<byte>.Shared.Rent(ProxyProtocolHeader.MaxLength(version) + _earlyCount);
        int length = 0;
        if (version != ProxyProtocolVersion.None)
        {
            try
            {
                // The addresses are the client's (or its PROXY header's) and the one it connected to.
                length = ProxyProtocolHeader.Write(version, _remote!, _frontendAddress ?? _transport.GetFrontendAddress(), preface);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The client went away before we could read its addresses.
                ArrayPool<byte>.Shared.Return(preface);
                Raise(new SessionInput(SessionInputKind.Failed, true));
                return;
            }
        }

        EarlyData.CopyTo(preface.AsSpan(length));
        length += _earlyCount;
        ReleaseEarlyData();
        _transport.StartForwarding(preface, length);
    }

    private void CountConnectError(ServerState server, bool timedOut)
    {
        Interlocked.Increment(ref server.Counters.ConnectErrors);
        Interlocked.Increment(ref _backend.Counters.ConnectErrors);
        _runtime.Metrics.ConnectError(_backend.Name, server.Name, timedOut ? "timeout" : "refused");
        if (server.ObserveConnect(failed: true) is > 0 and var errors && server.Monitor is { } monitor)
        {
            // hap:src/check.c health_adjust, layer4: a failed or timed-out connect is an error.
            monitor.ReportObservedErrors(server.Options.Check!.OnError,
                $"Detected {errors} consecutive errors, last one was: L4 unsuccessful connection");
        }
    }

    private void CountRetry(bool redispatch)
    {
        var server = _serverState!;
        Interlocked.Increment(ref server.Counters.Retries);
        Interlocked.Increment(ref _backend.Counters.Retries);
        if (redispatch)
        {
            Interlocked.Increment(ref server.Counters.Redispatches);
            Interlocked.Increment(ref _backend.Counters.Redispatches);
            _failedServer = server;
            ReleaseServer();
        }
    }
}
