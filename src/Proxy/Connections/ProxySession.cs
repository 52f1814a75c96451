using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Ha.Net.Proxy.Backends;
using Ha.Net.Proxy.Connections.Epoll;
using Ha.Net.Proxy.Hosting;
using Ha.Net.Proxy.Listening;
using Ha.Net.Proxy.LoadBalancing;
using Ha.Net.Proxy.ProxyProtocol;

namespace Ha.Net.Proxy.Connections;

/// <summary>
/// One proxied connection: queue for a server slot, connect (with retries and redispatch), then
/// two pumps, one per direction, each reading one socket and writing the other.
/// </summary>
/// <remarks>
/// <para>The pumps are plain loops over one pooled buffer: a zero-byte receive waits for data
/// before a buffer is rented, so an idle connection holds none; the buffer is kept while reads
/// fill it (bulk) and given back as soon as a read comes up short (request/response).
/// Socket errors come back as <see cref="SocketResult"/> values.</para>
/// <para>End of stream on one side is passed on as a FIN (<c>shutdown(SHUT_WR)</c>) to the other
/// side while the opposite direction keeps flowing (half-close); the session ends when both
/// directions have ended, or at the first error, timeout or kill, through one idempotent
/// <see cref="Terminate"/> that chooses FIN (orderly close) or RST (abortive close).</para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Finish() disposes the event args exactly once, when both pumps are done.")]
internal sealed partial class ProxySession
{
    private readonly EpollLoop? _loop;
    private const int PhaseQueue = 0;
    private const int PhaseConnect = 1;
    private const int PhaseData = 2;

    private readonly ProxyRuntime _runtime;
    private readonly Frontend _frontend;
    private readonly Backend _backend;
    private readonly Socket? _client;
    private readonly SocketAwaitableEventArgs? _upstream;
    private readonly SocketAwaitableEventArgs? _downstream;
    private readonly long _acceptTimestamp;
    private readonly DateTimeOffset _acceptDate;
    private readonly ITimer _timer;
    private Socket? _server;
    private ServerState? _serverState;
    private QueueWaiter? _waiter;
    private int _phase;
    private int _terminated;
    private char _terminationCause = '-';
    private char _terminationPhase = '-';
    private bool _connectTimedOut;
    private int _connectPending;
    private long _lastActivity;
    private int _halfClosed;
    private int _pumps;
    private int _finished;
    private long _bytesIn;
    private long _bytesOut;
    private long _queueMs = -1;
    private long _connectMs = -1;
    private int _retries;
    private bool _redispatched;
    private bool _backendCounted;
    private int _serverQueuePosition;
    private int _backendQueuePosition;

    /// <summary>A connection accepted as a <see cref="Socket"/>, driven by .NET's socket engine.</summary>
    public ProxySession(ProxyRuntime runtime, Frontend frontend, Backend backend, Socket client)
        : this(runtime, frontend, backend)
    {
        _client = client;
        _upstream = new();
        _downstream = new();
        _remoteAtAccept = client.RemoteEndPoint as IPEndPoint;
    }

    /// <summary>A connection accepted on <paramref name="loop"/> (descriptor <paramref name="clientFd"/>),
    /// owned by that loop from now on.</summary>
    public ProxySession(ProxyRuntime runtime, Frontend frontend, Backend backend, int clientFd, IPEndPoint? remote, EpollLoop loop)
        : this(runtime, frontend, backend)
    {
        _clientFd = clientFd;
        _remoteAtAccept = remote;
        _loop = loop;
        _loopOwned = 1;
    }

    private ProxySession(ProxyRuntime runtime, Frontend frontend, Backend backend)
    {
        _runtime = runtime;

        _frontend = frontend;
        _backend = backend;
        _acceptTimestamp = runtime.Time.GetTimestamp();
        _acceptDate = runtime.Time.GetUtcNow();
        _timer = runtime.Time.CreateTimer(static s => ((ProxySession)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public Frontend Frontend => _frontend;

    public Backend Backend => _backend;

    public ServerState? Server => _serverState;

    public bool IsTerminated => Volatile.Read(ref _terminated) != 0;

    /// <summary>The two-character termination state of tcplog (<c>--</c>, <c>CD</c>, <c>sQ</c>, ...).</summary>
    public string TerminationState => string.Concat(_terminationCause.ToString(), _terminationPhase.ToString());

    private char PhaseChar => Volatile.Read(ref _phase) switch
    {
        PhaseQueue => 'Q',
        PhaseConnect => 'C',
        PhaseHeader => 'R',
        _ => 'D',
    };

    /// <summary>Runs the session to its end; never throws.</summary>
    public async Task RunAsync()
    {
        bool pumping = false;
        try
        {
            if (_frontend.Options.AcceptProxy)
            {
                if (!await ReadProxyHeaderAsync().ConfigureAwait(false))
                {
                    return;
                }

                // A connection becomes a session once its PROXY header is read (HAProxy's stot and rate).
                _frontend.Counters.SessionCounted(_runtime.Time.GetTimestamp(), _runtime.Time);
            }

            _backend.Counters.SessionStarted(_acceptTimestamp, _runtime.Time);
            _backendCounted = true;
            var server = await AcquireAsync(avoid: null).ConfigureAwait(false);
            if (server is null)
            {
                return;
            }

            // tcplog's Tw is the time spent in queues, Tc the time to connect (retries included).
            long connectStart = _runtime.Time.GetTimestamp();
            long queuedBefore = _queueMs;
            if (!await ConnectAsync(server).ConfigureAwait(false))
            {
                return;
            }

            _connectMs = ElapsedMs(connectStart) - (_queueMs - queuedBefore);
            Volatile.Write(ref _phase, PhaseData);
            Volatile.Write(ref _lastActivity, _runtime.Time.GetTimestamp());
            ArmIdleTimer();
            if (IsTerminated)
            {
                return;
            }

            pumping = true;
            if (_loop is not null)
            {
                // The data phase runs on the loop; it finishes the session itself.
                _loop.Run(this, OpStartData);
                return;
            }

            _pumps = 2;
            _ = PumpAsync(upstream: true);
            await PumpAsync(upstream: false).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.SessionFailed(_runtime.Logger, _frontend.Name, e);
            Terminate('I', PhaseChar, abortive: true);
            if (pumping)
            {
                return;
            }
        }
        finally
        {
            if (!pumping)
            {
                Finish();
            }
        }
    }

    /// <summary>Ends the session from outside (admin kill <c>K</c>, server marked down <c>D</c>, hard stop).</summary>
    public void Kill(char cause)
    {
        if (Terminate(cause, PhaseChar, abortive: true) && _waiter is { } waiter)
        {
            _backend.TryCancel(waiter);
        }
    }

    private async ValueTask<ServerState?> AcquireAsync(ServerState? avoid)
    {
        uint sourceHash = _backend.HashesSource ? SourceHash.Of(_remoteAtAccept?.Address) : 0;
        var outcome = _backend.TryAssign(avoid, sourceHash, out var server, out var waiter);
        if (_queueMs < 0)
        {
            _queueMs = 0;
        }

        switch (outcome)
        {
            case AssignOutcome.Assigned:
                OnAssigned(server!);
                return server;
            case AssignOutcome.NoServer:
                Interlocked.Increment(ref _backend.Counters.DeniedConnections);
                _runtime.Metrics.Rejected(_frontend.Name, _backend.Name, "no_server");
                Terminate('S', 'C', abortive: false);
                return null;
            case AssignOutcome.QueueFull:
                Interlocked.Increment(ref _backend.Counters.DeniedConnections);
                _runtime.Metrics.Rejected(_frontend.Name, _backend.Name, "queue_full");
                Terminate('P', 'Q', abortive: false);
                return null;
        }

        // Queued: wait for a slot until "timeout queue".
        _waiter = waiter;
        _serverQueuePosition = waiter!.ServerQueuePosition;
        _backendQueuePosition = waiter.BackendQueuePosition;
        Volatile.Write(ref _phase, PhaseQueue);
        _runtime.Metrics.Queued(_backend.Name, 1);
        long waitStart = _runtime.Time.GetTimestamp();
        _timer.Change(_backend.Options.QueueTimeout ?? _backend.Options.ConnectTimeout, Timeout.InfiniteTimeSpan);
        if (IsTerminated)
        {
            _backend.TryCancel(waiter);
        }

        server = await waiter.Task.ConfigureAwait(false);
        _queueMs += ElapsedMs(waitStart);
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _runtime.Metrics.Queued(_backend.Name, -1);
        _waiter = null;
        if (server is null)
        {
            // Cancelled: "timeout queue" expired, unless someone killed us first.
            Terminate('s', 'Q', abortive: false);
            return null;
        }

        OnAssigned(server);
        if (IsTerminated)
        {
            ReleaseServer();
            return null;
        }

        return server;
    }

    private void OnAssigned(ServerState server)
    {
        _serverState = server;
        server.Counters.SessionStarted(_runtime.Time.GetTimestamp(), _runtime.Time);
        server.Register(this);
    }

    private void ReleaseServer()
    {
        if (Interlocked.Exchange(ref _serverState, null) is { } server)
        {
            server.Unregister(this);
            server.Counters.SessionEnded(Math.Max(0, _queueMs), Math.Max(0, _connectMs), ElapsedMs(_acceptTimestamp));
            _backend.Release(server);
        }
    }

    /// <summary>Connects to the server, retrying and redispatching as configured; sends the PROXY header.</summary>
    private async ValueTask<bool> ConnectAsync(ServerState server)
    {
        var options = _backend.Options;
        Volatile.Write(ref _phase, PhaseConnect);
        while (true)
        {
            var address = server.Options.Address;
            _connectTimedOut = false;
            Socket? socket = null;
            SocketResult result;
            if (_loop is not null)
            {
                // The loop makes the socket, connects and reports; a timeout is handled there too.
                _connectAddress = address;
                _timer.Change(options.ConnectTimeout, Timeout.InfiniteTimeSpan);
                result = await ConnectOnLoopAsync().ConfigureAwait(false);
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
            else
            {
                socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                Volatile.Write(ref _server, socket);
                if (IsTerminated)
                {
                    ReleaseServer();
                    return false;
                }

                Volatile.Write(ref _connectPending, 1);
                _timer.Change(options.ConnectTimeout, Timeout.InfiniteTimeSpan);
                result = await _upstream!.ConnectAsync(socket, address).ConfigureAwait(false);
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                if (Interlocked.Exchange(ref _connectPending, 0) == 2 && !result.HasError)
                {
                    // The timeout fired as the connect completed and closed the socket: a timeout.
                    result = new SocketResult(SocketError.TimedOut);
                }
            }

            if (IsTerminated)
            {
                ReleaseServer();
                return false;
            }

            if (!result.HasError)
            {
                server.ObserveConnect(failed: false);
                break;
            }

            socket?.Dispose();
            Interlocked.Increment(ref server.Counters.ConnectErrors);
            Interlocked.Increment(ref _backend.Counters.ConnectErrors);
            _runtime.Metrics.ConnectError(_backend.Name, server.Name, _connectTimedOut ? "timeout" : "refused");
            if (server.ObserveConnect(failed: true) is > 0 and var errors && server.Monitor is { } monitor)
            {
                // hap:src/check.c health_adjust, layer4: a failed or timed-out connect is an error.
                monitor.ReportObservedErrors(server.Options.Check!.OnError,
                    $"Detected {errors} consecutive errors, last one was: L4 unsuccessful connection");
            }
            if (_retries >= options.Retries)
            {
                ReleaseServer();
                Terminate(_connectTimedOut ? 's' : 'S', 'C', abortive: false);
                return false;
            }

            _retries++;
            Interlocked.Increment(ref server.Counters.Retries);
            Interlocked.Increment(ref _backend.Counters.Retries);
            if (options.Redispatch && _retries == options.Retries && HasOtherUsableServer(server))
            {
                // The last retry goes to another server (HAProxy's default redispatch interval).
                Interlocked.Increment(ref server.Counters.Redispatches);
                Interlocked.Increment(ref _backend.Counters.Redispatches);
                _redispatched = true;
                var failed = server;
                ReleaseServer();
                var next = await AcquireAsync(avoid: failed).ConfigureAwait(false);
                if (next is null)
                {
                    return false;
                }

                server = next;
                Volatile.Write(ref _phase, PhaseConnect);
                continue;
            }

            // Retrying the same server waits min(timeout connect, 1 s) first, as HAProxy does.
            var pause = options.ConnectTimeout < TimeSpan.FromSeconds(1) ? options.ConnectTimeout : TimeSpan.FromSeconds(1);
            await Task.Delay(pause, _runtime.Time).ConfigureAwait(false);
        }

        return await SendPrefaceAsync(server).ConfigureAwait(false);
    }

    private bool HasOtherUsableServer(ServerState failed)
    {
        foreach (var server in _backend.Servers)
        {
            if (server != failed && server.IsUsable)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>What goes to the server before the client's data: the <c>send-proxy</c> header,
    /// then any client bytes that came in behind an <c>accept-proxy</c> header. False when the session
    /// ended meanwhile.</summary>
    private async ValueTask<bool> SendPrefaceAsync(ServerState server)
    {
        var version = server.Options.SendProxy;
        if (version == Configuration.ProxyProtocolVersion.None && _earlyCount == 0)
        {
            return true;
        }

        byte[] preface = ArrayPool<byte>.Shared.Rent(ProxyProtocolHeader.MaxLength(version) + _earlyCount);
        int length;
        try
        {
            // The addresses are the client's (or its PROXY header's) and the one it connected to.
            length = version == Configuration.ProxyProtocolVersion.None ? 0 : ProxyProtocolHeader.Write(
                version,
                _remoteAtAccept!,
                _frontendAddress ?? (_loop is not null ? LocalEndPointOf(_clientFd) : (IPEndPoint)_client!.LocalEndPoint!),
                preface);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The client went away before we could read its addresses.
            ArrayPool<byte>.Shared.Return(preface);
            Terminate('C', 'C', abortive: true);
            ReleaseServer();
            return false;
        }

        EarlyData.CopyTo(preface.AsSpan(length));
        length += _earlyCount;
        ReleaseEarlyData();
        if (_loop is not null)
        {
            // The preface goes first in the upstream direction's pending data; the pump sends it.
            QueueUpstream(preface, length);
            return true;
        }

        try
        {
            var sent = await _upstream!.SendAsync(_server!, preface.AsMemory(0, length)).ConfigureAwait(false);
            if (sent.HasError)
            {
                Terminate('S', 'C', abortive: true);
                ReleaseServer();
                return false;
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(preface);
        }
    }

    /// <summary>One direction: read <paramref name="upstream"/> ? client : server, write the other.</summary>
    private async Task PumpAsync(bool upstream)
    {
        var args = (upstream ? _upstream : _downstream)!;
        var source = upstream ? _client! : _server!;
        var target = upstream ? _server! : _client!;
        var pool = ArrayPool<byte>.Shared;
        int bufferSize = _runtime.BufferSize;
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                if (buffer is null)
                {
                    // Wait for data before renting: an idle connection holds no buffer.
                    var ready = await args.ReceiveAsync(source, Memory<byte>.Empty).ConfigureAwait(false);
                    if (ready.HasError)
                    {
                        OnSocketError(ready, upstream ? 'C' : 'S');
                        return;
                    }

                    buffer = pool.Rent(bufferSize);
                }

                // BufferSize, not the rented length (the pool rounds up to a power of two).
                var received = await args.ReceiveAsync(source, buffer.AsMemory(0, bufferSize)).ConfigureAwait(false);
                if (received.HasError)
                {
                    OnSocketError(received, upstream ? 'C' : 'S');
                    return;
                }

                int count = received.BytesTransferred;
                if (count == 0)
                {
                    OnEndOfStream(upstream, target);
                    return;
                }

                Volatile.Write(ref _lastActivity, _runtime.Time.GetTimestamp());
                int offset = 0;
                while (offset < count)
                {
                    var sent = await args.SendAsync(target, buffer.AsMemory(offset, count - offset)).ConfigureAwait(false);
                    if (sent.HasError)
                    {
                        OnSocketError(sent, upstream ? 'S' : 'C');
                        return;
                    }

                    offset += sent.BytesTransferred;
                }

                Volatile.Write(ref _lastActivity, _runtime.Time.GetTimestamp());
                CountBytes(upstream, count);
                if (count < bufferSize)
                {
                    // Drained the socket: give the buffer back until more data arrives.
                    pool.Return(buffer);
                    buffer = null;
                }
            }
        }
        catch (Exception e)
        {
            Log.SessionFailed(_runtime.Logger, _frontend.Name, e);
            Terminate('I', 'D', abortive: true);
        }
        finally
        {
            if (buffer is not null)
            {
                pool.Return(buffer);
            }

            if (Interlocked.Decrement(ref _pumps) == 0)
            {
                Finish();
            }
        }
    }

    private void CountBytes(bool upstream, int count)
    {
        var server = _serverState;
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

    private void OnSocketError(SocketResult result, char side)
    {
        if (IsTerminated || result.IsLocalAbort)
        {
            return;
        }

        if (side == 'C')
        {
            Interlocked.Increment(ref _frontend.Counters.ClientAborts);
            Interlocked.Increment(ref _backend.Counters.ClientAborts);
            if (_serverState is { } server)
            {
                Interlocked.Increment(ref server.Counters.ClientAborts);
            }
        }
        else
        {
            Interlocked.Increment(ref _backend.Counters.ServerAborts);
            if (_serverState is { } server)
            {
                Interlocked.Increment(ref server.Counters.ServerAborts);
            }
        }

        // The peer reset: pass the reset on to the other side.
        Terminate(side, 'D', abortive: true);
    }

    private void OnEndOfStream(bool upstream, Socket target)
    {
        try
        {
            target.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The other side is gone already; its own pump reports why.
        }

        int bit = upstream ? 1 : 2;
        int closed = Interlocked.Or(ref _halfClosed, bit) | bit;
        if (closed == 3)
        {
            Terminate('-', '-', abortive: false);
        }
        else
        {
            ArmIdleTimer();
        }
    }

    /// <summary>
    /// Ends the session once: records why, then closes both sockets, with a RST
    /// (<paramref name="abortive"/>) or an orderly FIN. Pending operations complete as aborted.
    /// </summary>
    /// <returns>Whether this call ended the session.</returns>
    private bool Terminate(char cause, char phase, bool abortive)
    {
        if (Interlocked.Exchange(ref _terminated, 1) != 0)
        {
            return false;
        }

        _terminationCause = cause;
        _terminationPhase = phase;
        if (_loop is not null && Volatile.Read(ref _loopOwned) != 0)
        {
            // The loop owns the descriptors now: it closes them (and finishes the data phase).
            _closeAbortive = abortive;
            _loop.Run(this, OpClose);
            return true;
        }

        var server = Volatile.Read(ref _server);
        if (abortive)
        {
            SetAbortive(_client!);
            _client!.Dispose();
            if (server is not null)
            {
                SetAbortive(server);
                server.Dispose();
            }
        }
        else
        {
            // Orderly: FIN both ways now, which also wakes the pumps; the sockets are disposed in
            // Finish() once no operation is pending (disposing under a pending operation makes
            // .NET close abortively, with a RST).
            ShutdownBoth(_client!);
            if (server is not null)
            {
                ShutdownBoth(server);
            }
        }

        return true;
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

    private void Finish()
    {
        if (_loop is not null && Volatile.Read(ref _loopOwned) != 0 && !_loop.IsOnLoop)
        {
            _loop.Post(this, OpFinish);
            return;
        }

        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return;
        }

        // Every path out of RunAsync passes here exactly once: close, release, count, log.
        Terminate('I', PhaseChar, abortive: true);
        _timer.Dispose();
        if (_loop is not null && Volatile.Read(ref _loopOwned) != 0)
        {
            CloseOnLoop();
            ReleaseBuffers();
        }

        _client?.Dispose();
        Volatile.Read(ref _server)?.Dispose();
        var server = _serverState;
        string serverName = server?.Name ?? "<NOSRV>";
        int serverConnections = server?.Active ?? 0;
        ReleaseServer();
        ReleaseEarlyData();
        long totalMs = ElapsedMs(_acceptTimestamp);
        if (_backendCounted)
        {
            _backend.Counters.SessionEnded(Math.Max(0, _queueMs), Math.Max(0, _connectMs), totalMs);
        }

        _frontend.OnSessionClosed(this, totalMs);
        _upstream?.Dispose();
        _downstream?.Dispose();

        _runtime.Metrics.ConnectionClosed(_frontend.Name, _backend.Name, TerminationState, totalMs / 1000.0);
        if (!_backendCounted)
        {
            // It never became a backend session (no PROXY header): HAProxy's connection error
            // line instead of a tcplog line.
            LogHeaderFailure();
            return;
        }

        // option dontlognull: a connection on which the client sent nothing is not logged.
        if (_runtime.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Information)
            && !(_bytesIn == 0 && _frontend.Options.DontLogNull))
        {
            var client = _remoteAtAccept;
            Log.ConnectionClosed(
                _runtime.Logger,
                client?.Address.ToString() ?? "-",
                client?.Port ?? 0,
                _acceptDate,
                _frontend.Name,
                _backend.Name,
                serverName,
                _queueMs,
                _connectMs,
                totalMs,
                _bytesOut,
                _bytesIn,
                TerminationState,
                _runtime.ActiveConnections,
                _frontend.Counters.CurrentSessions,
                _backend.Counters.CurrentSessions,
                serverConnections,
                _redispatched ? "+" + _retries.ToString(System.Globalization.CultureInfo.InvariantCulture) : _retries.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _serverQueuePosition,
                _backendQueuePosition);
        }
    }

    /// <summary>The client's address: the connection's peer, or what its PROXY header said.</summary>
    private IPEndPoint? _remoteAtAccept;

    private void OnTimer()
    {
        switch (Volatile.Read(ref _phase))
        {
            case PhaseQueue:
                if (_waiter is { } waiter)
                {
                    _backend.TryCancel(waiter);
                }

                break;
            case PhaseConnect when _loop is not null:
                _loop.Post(this, OpConnectTimeout);
                break;
            case PhaseHeader:
                OnHeaderTimeout();
                break;
            case PhaseConnect:
                // Only an attempt still in flight is cut (not one that just completed).
                if (Interlocked.CompareExchange(ref _connectPending, 2, 1) == 1)
                {
                    _connectTimedOut = true;
                    Volatile.Read(ref _server)?.Dispose();
                }

                break;
            default:
                CheckIdle();
                break;
        }
    }

    private void ArmIdleTimer()
    {
        var timeout = IdleTimeout(out _);
        if (timeout is { } t)
        {
            try
            {
                _timer.Change(t, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Session already finished.
            }
        }
    }

    private void CheckIdle()
    {
        if (IsTerminated || IdleTimeout(out char side) is not { } timeout)
        {
            return;
        }

        var idle = _runtime.Time.GetElapsedTime(Volatile.Read(ref _lastActivity));
        if (idle >= timeout)
        {
            Terminate(side, 'D', abortive: false);
        }
        else
        {
            try
            {
                _timer.Change(timeout - idle, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Session already finished.
            }
        }
    }

    /// <summary>
    /// The inactivity bound of the data phase: <c>timeout tunnel</c> if set, else the smaller of
    /// <c>timeout client</c> and <c>timeout server</c>; once one direction is closed, <c>client-fin</c>
    /// and <c>server-fin</c> replace them where set. <paramref name="side"/> is the termination cause
    /// (<c>c</c> client or <c>s</c> server timeout).
    /// </summary>
    private TimeSpan? IdleTimeout(out char side)
    {
        var fe = _frontend.Options;
        var be = _backend.Options;
        TimeSpan? client = fe.ClientTimeout;
        TimeSpan? server = be.ServerTimeout;
        if (be.TunnelTimeout is { } tunnel)
        {
            client = tunnel;
            server = tunnel;
        }

        if (Volatile.Read(ref _halfClosed) != 0)
        {
            client = fe.ClientFinTimeout ?? client;
            server = be.ServerFinTimeout ?? server;
        }

        if (client is { } c && (server is not { } s0 || c <= s0))
        {
            side = 'c';
            return c;
        }

        side = 's';
        return server;
    }

    private long ElapsedMs(long since) => (long)_runtime.Time.GetElapsedTime(since).TotalMilliseconds;
}
