using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using Ha.Net.Proxy.Connections.Epoll;
using static Ha.Net.Proxy.Connections.Epoll.LinuxNative;

namespace Ha.Net.Proxy.Connections;

/// <summary>
/// The Linux data path: the session's two descriptors live on one <see cref="EpollLoop"/>, which
/// connects the server socket, runs both pumps and closes both sockets, all on its own thread.
/// </summary>
/// <remarks>
/// <para>Each direction is a pump over readiness flags kept per descriptor (HAProxy's model):
/// an edge sets "may read" or "may write"; a short read or <c>EAGAIN</c> clears "may read", a
/// partial send clears "may write". A pump reads into the loop's buffer and sends straight on;
/// only bytes the target cannot take now are copied into a rented buffer (this direction's
/// pending data), and the pump reads no more until they are gone. An idle connection holds no
/// buffer, and a busy one holds one only while its peer is slower than its source.</para>
/// <para>A pump that keeps finding data yields after <see cref="RoundsPerTurn"/> reads so that one
/// bulk transfer cannot starve the loop's other connections.</para>
/// </remarks>
internal sealed partial class ProxySession : IEpollHandler, IValueTaskSource<SocketResult>
{
    private const int OpConnect = 1;
    private const int OpConnectTimeout = 2;
    private const int OpStartData = 3;
    private const int OpClose = 4;
    private const int OpFinish = 5;
    private const int OpRun = 6;

    private const int TagClient = 0;
    private const int TagServer = 1;

    private const byte MayRead = 1;
    private const byte MayWrite = 2;
    private const byte PeerClosed = 4;

    private const int RoundsPerTurn = 16;
    private const int MinDeferSpace = 16 * 1024;

    private ManualResetValueTaskSourceCore<SocketResult> _connectCore;
    private IPEndPoint? _connectAddress;
    private int _loopOwned;
    private int _slot = -1;
    private int _clientFd = -1;
    private int _serverFd = -1;
    private bool _connecting;
    private bool _dataStarted;
    private bool _closed;
    private bool _closeAbortive;
    private bool _again;
    private bool _clientWatchWrite;
    private bool _clientRegistered;
    private bool _awaitingClient;
    private bool _serverWatchWrite;
    private byte _clientReady;
    private byte _serverReady;
    private Direction _up;
    private Direction _down;

    /// <summary>One direction's state: bytes read but not yet accepted by the target, and whether the source ended.</summary>
    private struct Direction
    {
        public byte[]? Pending;
        public int Offset;
        public int Count;
        public bool SourceEnded;
        public bool Deferred;
        public bool FinSent;
    }

    /// <summary>Starts a connect attempt to <see cref="_connectAddress"/> on the loop and waits for its outcome.</summary>
    private ValueTask<SocketResult> ConnectOnLoopAsync()
    {
        _connectCore.Reset();
        _connectCore.RunContinuationsAsynchronously = false;
        var pending = new ValueTask<SocketResult>(this, _connectCore.Version);
        _loop!.Run(this, OpConnect);
        return pending;
    }

    /// <summary>Puts <paramref name="count"/> bytes of <paramref name="buffer"/> (rented) ahead of the client's data.</summary>
    private void QueueUpstream(byte[] buffer, int count)
    {
        _up.Pending = buffer;
        _up.Offset = 0;
        _up.Count = count;
    }

    /// <summary>Runs the session on its loop: right here when that is the accepting loop.</summary>
    public void Begin() => _loop!.Run(this, OpRun);

    void IEpollHandler.OnWork(int operation)
    {
        switch (operation)
        {
            case OpRun:
                _ = RunAsync();
                break;
            case OpConnect:
                StartConnect();
                break;
            case OpConnectTimeout:
                if (_connecting)
                {
                    _connectTimedOut = true;
                    CloseServer();
                    CompleteConnect(SocketError.TimedOut);
                }

                break;
            case OpStartData:
                StartData();
                break;
            case OpClose:
                CloseOnLoop();
                if (_dataStarted)
                {
                    Finish();
                }

                break;
            case OpFinish:
                Finish();
                break;
        }
    }

    void IEpollHandler.OnAgain()
    {
        _again = false;
        Pump(upstream: true);
        Pump(upstream: false);
    }

    void IEpollHandler.OnEvents(int tag, uint events)
    {
        byte flags = 0;
        if ((events & (EpollIn | EpollErr | EpollHup | EpollRdHup)) != 0)
        {
            flags |= MayRead;
        }

        if ((events & (EpollHup | EpollErr | EpollRdHup)) != 0)
        {
            flags |= PeerClosed;
        }

        if ((events & (EpollOut | EpollErr | EpollHup)) != 0)
        {
            flags |= MayWrite;
        }

        if (tag == TagServer)
        {
            _serverReady |= flags;
            if (_connecting)
            {
                if ((flags & MayWrite) != 0)
                {
                    // Writable without an error or hang-up is connected (no SO_ERROR query needed).
                    FinishConnect(checkError: (events & (EpollErr | EpollHup)) != 0);
                }

                return;
            }
        }
        else
        {
            _clientReady |= flags;
            if (_awaitingClient)
            {
                // The PROXY header wait: more bytes (or the end) arrived.
                _awaitingClient = false;
                _connectCore.SetResult(new SocketResult(0));
                return;
            }
        }

        if (_dataStarted && !_closed)
        {
            Pump(upstream: true);
            Pump(upstream: false);
        }
    }

    private unsafe void StartConnect()
    {
        Interlocked.Exchange(ref _loopOwned, 1);
        if (IsTerminated || _closed)
        {
            CompleteConnect(SocketError.OperationAborted);
            return;
        }

        AttachOnce();
        var address = _connectAddress!;
        int fd = socket(address.AddressFamily == AddressFamily.InterNetworkV6 ? AfInet6 : AfInet, SockStream | SockNonblock | SockCloexec, 0);
        if (fd < 0)
        {
            CompleteConnect(ToSocketError(Errno));
            return;
        }

        _serverFd = fd;
        _serverReady = 0;
        _serverWatchWrite = false;
        SetInt(fd, IpProtoTcp, TcpNoDelay, 1);
        byte* sockaddr = stackalloc byte[28];
        int length = WriteSockaddr(address, new Span<byte>(sockaddr, 28));
        int errno = connect(fd, sockaddr, length) == 0 ? 0 : Errno;
        if (errno == EInProgress)
        {
            // Asking again costs one syscall and often saves a loop turn: a handshake with a server
            // on this host has completed by the time connect() returns (the SYN, SYN-ACK and ACK are
            // processed inline), and a second connect() then says 0, or the refusal. Elsewhere it
            // says EALREADY and the outcome arrives as a write event.
            errno = connect(fd, sockaddr, length) == 0 ? 0 : Errno;
            if (errno == EAlready)
            {
                errno = EInProgress;
            }
        }

        if (errno is not (0 or EInProgress))
        {
            CloseServer();
            CompleteConnect(ToSocketError(errno));
            return;
        }

        bool connected = errno == 0;
        int added = _loop!.Add(fd, _slot, TagServer, write: !connected);
        if (added != 0)
        {
            CloseServer();
            CompleteConnect(ToSocketError(added));
            return;
        }

        if (connected)
        {
            // Registering reports the socket's readiness as an event later; it is writable now.
            _serverReady |= MayWrite;
            CompleteConnect(SocketError.Success);
            return;
        }

        // Completion (or failure) arrives as a write event.
        _connecting = true;
    }

    private unsafe void FinishConnect(bool checkError)
    {
        int error = 0;
        int size = sizeof(int);
        if (checkError && getsockopt(_serverFd, SolSocket, SoError, &error, &size) != 0)
        {
            error = Errno;
        }

        if (error != 0)
        {
            CloseServer();
        }
        else
        {
            // Connected: from now on write readiness is wanted only when a send blocks.
            _loop!.Modify(_serverFd, _slot, TagServer, write: false);
        }

        CompleteConnect(ToSocketError(error));
    }

    private void CompleteConnect(SocketError error)
    {
        _connecting = false;

        // Resumes ConnectAsync inline, on this thread.
        _connectCore.SetResult(error == SocketError.Success ? new SocketResult(0) : new SocketResult(error));
    }

    private void StartData()
    {
        if (IsTerminated || _closed)
        {
            Finish();
            return;
        }

        // Already watched when a PROXY header was read from it.
        int added = _clientRegistered ? 0 : _loop!.Add(_clientFd, _slot, TagClient, write: false);
        if (added != 0)
        {
            OnSocketError(new SocketResult(ToSocketError(added)), 'C');
            Finish();
            return;
        }

        _clientRegistered = true;
        _dataStarted = true;

        // Both sockets are writable until a send says otherwise; the client's readiness arrives as
        // an event (registering reports it), the server's may have arrived during the connect.
        _clientReady |= MayWrite;
        _serverReady |= MayWrite;
        Pump(upstream: true);
        Pump(upstream: false);
    }

    /// <summary>Moves data one way until the source is drained, the target is full, or the turn is over.</summary>
    private unsafe void Pump(bool upstream)
    {
        ref var direction = ref upstream ? ref _up : ref _down;
        ref byte source = ref upstream ? ref _clientReady : ref _serverReady;
        ref byte target = ref upstream ? ref _serverReady : ref _clientReady;
        int sourceFd = upstream ? _clientFd : _serverFd;
        int targetFd = upstream ? _serverFd : _clientFd;
        char sourceSide = upstream ? 'C' : 'S';
        var loop = _loop!;
        for (int round = 0; round < RoundsPerTurn; round++)
        {
            if (_closed || direction.Deferred)
            {
                return;
            }

            if (direction.Pending is { } pending)
            {
                if ((target & MayWrite) == 0)
                {
                    return;
                }

                int sent;
                fixed (byte* p = &pending[direction.Offset])
                {
                    sent = TrySend(upstream, p, direction.Count);
                }

                if (sent < 0)
                {
                    return;
                }

                direction.Offset += sent;
                direction.Count -= sent;
                if (direction.Count > 0)
                {
                    WaitWritable(upstream);
                    return;
                }

                ArrayPool<byte>.Shared.Return(pending);
                direction.Pending = null;
                StopWaitingWritable(upstream);
                Volatile.Write(ref _lastActivity, _runtime.Time.GetTimestamp());
                continue;
            }

            if (direction.SourceEnded)
            {
                if (!direction.FinSent)
                {
                    PassFin(upstream, targetFd);
                }

                return;
            }

            if ((source & MayRead) == 0)
            {
                return;
            }

            // Read into the arena when this read may be deferred, else into the scratch buffer.
            bool defer = !loop.Flushing && loop.Arena.Length - loop.ArenaUsed >= MinDeferSpace;
            byte* at = defer ? loop.ArenaPointer + loop.ArenaUsed : loop.BufferPointer;
            int size = defer ? loop.Arena.Length - loop.ArenaUsed : loop.Buffer.Length;
            nint received = recv(sourceFd, at, size, MsgDontWait);
            if (received > 0)
            {
                int count = (int)received;
                Volatile.Write(ref _lastActivity, _runtime.Time.GetTimestamp());
                CountBytes(upstream, count);
                bool drained = count < size;
                if (drained && (source & PeerClosed) == 0)
                {
                    // Drained: the next edge says when there is more.
                    source &= unchecked((byte)~MayRead);
                    if (defer)
                    {
                        direction.Deferred = true;
                        loop.Defer(this, upstream ? 0 : 1, count);
                        return;
                    }
                }

                // A short read after the peer's FIN arrived: the next read is the end, and the FIN
                // passed on right after this send can ride in the same segment (MSG_MORE holds the
                // data until shutdown() or close() pushes it, as HAProxy does before a shutw).
                if (!SendOut(upstream, at, count, more: drained && (source & PeerClosed) != 0))
                {
                    return;
                }

                continue;
            }

            if (received == 0)
            {
                direction.SourceEnded = true;
                continue;
            }

            int readErrno = Errno;
            if (readErrno == EAgain)
            {
                source &= unchecked((byte)~MayRead);
                return;
            }

            OnSocketError(new SocketResult(ToSocketError(readErrno)), sourceSide);
            return;
        }

        if (!_again)
        {
            _again = true;
            loop.Again(this);
        }
    }

    /// <summary>Sends <paramref name="count"/> bytes at <paramref name="data"/> to this direction's target;
    /// what it does not take now becomes pending (rented). False when the pump must stop.</summary>
    private unsafe bool SendOut(bool upstream, byte* data, int count, bool more = false)
    {
        ref var direction = ref upstream ? ref _up : ref _down;
        byte target = upstream ? _serverReady : _clientReady;
        int sent = (target & MayWrite) != 0 ? TrySend(upstream, data, count, more) : 0;
        if (sent < 0)
        {
            return false;
        }

        if (sent < count)
        {
            // The target took only part: keep the rest, and read no more until it is gone.
            WaitWritable(upstream);
            var rest = ArrayPool<byte>.Shared.Rent(Math.Max(count - sent, 4096));
            new ReadOnlySpan<byte>(data + sent, count - sent).CopyTo(rest);
            direction.Pending = rest;
            direction.Offset = 0;
            direction.Count = count - sent;
            return false;
        }

        return true;
    }

    /// <summary>One non-blocking send to this direction's target: the bytes taken (0 when it would
    /// block), or -1 after a socket error, which has ended the session.</summary>
    private unsafe int TrySend(bool upstream, byte* data, int count, bool more = false)
    {
        nint sent = send(upstream ? _serverFd : _clientFd, data, count, MsgDontWait | MsgNoSignal | (more ? MsgMore : 0));
        if (sent >= 0)
        {
            return (int)sent;
        }

        int errno = Errno;
        if (errno == EAgain)
        {
            return 0;
        }

        OnSocketError(new SocketResult(ToSocketError(errno)), upstream ? 'S' : 'C');
        return -1;
    }

    unsafe void IEpollHandler.OnDeferred(int direction, int offset, int count)
    {
        bool upstream = direction == 0;
        (upstream ? ref _up : ref _down).Deferred = false;
        if (_closed)
        {
            return;
        }

        if (SendOut(upstream, _loop!.ArenaPointer + offset, count))
        {
            Pump(upstream);
        }
    }

    /// <summary>The target of this direction took less than offered: note it and ask for its write readiness.</summary>
    private void WaitWritable(bool upstream)
    {
        if (upstream)
        {
            _serverReady &= unchecked((byte)~MayWrite);
            if (!_serverWatchWrite && _serverFd >= 0)
            {
                _serverWatchWrite = true;
                _loop!.Modify(_serverFd, _slot, TagServer, write: true);
            }
        }
        else
        {
            _clientReady &= unchecked((byte)~MayWrite);
            if (!_clientWatchWrite && _clientFd >= 0)
            {
                _clientWatchWrite = true;
                _loop!.Modify(_clientFd, _slot, TagClient, write: true);
            }
        }
    }

    /// <summary>This direction's pending data went out: stop watching its target for write readiness.</summary>
    private void StopWaitingWritable(bool upstream)
    {
        if (upstream ? _serverWatchWrite : _clientWatchWrite)
        {
            if (upstream)
            {
                _serverWatchWrite = false;
                _loop!.Modify(_serverFd, _slot, TagServer, write: false);
            }
            else
            {
                _clientWatchWrite = false;
                _loop!.Modify(_clientFd, _slot, TagClient, write: false);
            }
        }
    }

    /// <summary>The source ended and everything it sent went out: pass its FIN on (half-close).</summary>
    private void PassFin(bool upstream, int targetFd)
    {
        ref var direction = ref upstream ? ref _up : ref _down;
        direction.FinSent = true;
        int bit = upstream ? 1 : 2;
        int closed = Interlocked.Or(ref _halfClosed, bit) | bit;
        if (closed == 3)
        {
            // Both ways are done: close() sends this FIN, no shutdown() needed first.
            Terminate('-', '-', abortive: false);
        }
        else
        {
            shutdown(targetFd, ShutWr);
            ArmIdleTimer();
        }
    }

    /// <summary>Closes both descriptors once (RST when the session was ended abortively) and ends a pending connect.</summary>
    private void CloseOnLoop()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        if (_closeAbortive)
        {
            if (_serverFd >= 0)
            {
                LinuxNative.SetAbortive(_serverFd);
            }

            LinuxNative.SetAbortive(_clientFd);
        }

        CloseServer();
        if (_clientFd >= 0)
        {
            close(_clientFd);
            _clientFd = -1;
        }

        if (_slot >= 0)
        {
            _loop!.Detach(_slot);
            _slot = -1;
        }

        if (_connecting)
        {
            CompleteConnect(SocketError.OperationAborted);
        }

        if (_awaitingClient)
        {
            _awaitingClient = false;
            _connectCore.SetResult(new SocketResult(SocketError.OperationAborted));
        }
    }

    /// <summary>Receives from the client before the data phase (the PROXY header), on the loop:
    /// waits for readiness when there is nothing yet.</summary>
    private async ValueTask<SocketResult> ReceiveHeaderOnLoopAsync(Memory<byte> memory)
    {
        while (true)
        {
            if (_closed || IsTerminated)
            {
                return new SocketResult(SocketError.OperationAborted);
            }

            int received = ReceiveClient(memory.Span, out int errno);
            if (received >= 0)
            {
                // A full buffer may have more behind it, and after the peer's FIN the end is still
                // to be read (no edge will say so again); otherwise a short read drained the socket.
                _clientReady = received == memory.Length || (_clientReady & PeerClosed) != 0
                    ? (byte)(_clientReady | MayRead)
                    : (byte)(_clientReady & ~MayRead);
                return new SocketResult(received);
            }

            if (errno != EAgain)
            {
                return new SocketResult(ToSocketError(errno));
            }

            var ready = await WaitClientReadableAsync().ConfigureAwait(false);
            if (ready.HasError)
            {
                return ready;
            }
        }
    }

    private unsafe int ReceiveClient(Span<byte> buffer, out int errno)
    {
        fixed (byte* p = buffer)
        {
            nint received = recv(_clientFd, p, buffer.Length, MsgDontWait);
            errno = received < 0 ? Errno : 0;
            return (int)received;
        }
    }

    /// <summary>Watches the client (edge-triggered, from now on) and waits for its next readiness event.</summary>
    private ValueTask<SocketResult> WaitClientReadableAsync()
    {
        AttachOnce();

        if (!_clientRegistered)
        {
            int added = _loop!.Add(_clientFd, _slot, TagClient, write: false);
            if (added != 0)
            {
                return new ValueTask<SocketResult>(new SocketResult(ToSocketError(added)));
            }

            _clientRegistered = true;
        }

        _connectCore.Reset();
        _connectCore.RunContinuationsAsynchronously = false;
        _awaitingClient = true;
        return new ValueTask<SocketResult>(this, _connectCore.Version);
    }

    /// <summary>Gives the session its slot on the loop (for its descriptors' event tags) the first time.</summary>
    private void AttachOnce()
    {
        if (_slot < 0)
        {
            _slot = _loop!.Attach(this);
        }
    }

    /// <summary>The local address of the client's connection (for a PROXY header).</summary>
    private static unsafe IPEndPoint LocalEndPointOf(int fd)
    {
        byte* address = stackalloc byte[28];
        int length = 28;
        if (getsockname(fd, address, &length) != 0)
        {
            throw new SocketException(Errno);
        }

        return ReadSockaddr(new ReadOnlySpan<byte>(address, length));
    }

    private void CloseServer()
    {
        if (_serverFd >= 0)
        {
            close(_serverFd);
            _serverFd = -1;
        }
    }

    private void ReleaseBuffers()
    {
        if (_up.Pending is { } up)
        {
            _up.Pending = null;
            ArrayPool<byte>.Shared.Return(up);
        }

        if (_down.Pending is { } down)
        {
            _down.Pending = null;
            ArrayPool<byte>.Shared.Return(down);
        }
    }

    SocketResult IValueTaskSource<SocketResult>.GetResult(short token) => _connectCore.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<SocketResult>.GetStatus(short token) => _connectCore.GetStatus(token);

    void IValueTaskSource<SocketResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _connectCore.OnCompleted(continuation, state, token, flags);
}
