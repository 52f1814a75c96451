using System.Buffers;
using System.Net;
using System.Net.Sockets;
using static Ha.Net.Proxy.Connections.Epoll.LinuxNative;

namespace Ha.Net.Proxy.Connections.Epoll;

/// <summary>
/// The Linux transport: a session's two descriptors live on one <see cref="EpollLoop"/>, which connects
/// the server socket, moves the bytes both ways and closes both sockets, all on its own thread (the
/// session's inputs are handled on that thread too).
/// </summary>
/// <remarks>
/// <para>Readiness is kept per descriptor as flags (HAProxy's model): an edge sets "may read" or "may
/// write"; a short read or <c>EAGAIN</c> clears "may read", a partial send clears "may write", and write
/// readiness is watched only while a send is blocked. How each direction moves its bytes, by copy or by
/// splice(2), is in the other half of this class.</para>
/// </remarks>
internal sealed partial class EpollTransport : ISessionTransport, IEpollHandler
{
    private const int TagClient = 0;
    private const int TagServer = 1;

    private const byte MayRead = 1;
    private const byte MayWrite = 2;
    private const byte PeerClosed = 4;

    private readonly EpollLoop _loop;
    private readonly PipePool? _pipes;
    private ProxySession _session = null!;
    private Memory<byte> _receiving;
    private int _slot = -1;
    private int _clientFd;
    private int _serverFd = -1;
    private bool _connecting;
    private bool _dataStarted;
    private bool _closed;
    private bool _clientRegistered;
    private bool _awaitingClient;
    private bool _clientWatchWrite;
    private bool _serverWatchWrite;
    private byte _clientReady;
    private byte _serverReady;

    /// <param name="loop">The loop that owns the descriptors from now on.</param>
    /// <param name="clientFd">The accepted connection (non-blocking).</param>
    /// <param name="client">Its peer address.</param>
    /// <param name="pipes">The splice pipes, or <see langword="null"/> never to splice.</param>
    public EpollTransport(EpollLoop loop, int clientFd, IPEndPoint? client, PipePool? pipes)
    {
        _loop = loop;
        _clientFd = clientFd;
        _pipes = pipes;
        ClientAddress = client;
    }

    public IPEndPoint? ClientAddress { get; }

    /// <summary>Binds the session whose callbacks this transport calls.</summary>
    public void Bind(ProxySession session) => _session = session;

    public unsafe IPEndPoint GetFrontendAddress()
    {
        byte* address = stackalloc byte[28];
        int length = 28;
        if (getsockname(_clientFd, address, &length) != 0)
        {
            throw new SocketException(Errno);
        }

        return ReadSockaddr(new ReadOnlySpan<byte>(address, length));
    }

    public void ReceiveClient(Memory<byte> buffer)
    {
        _receiving = buffer;
        TryReceiveClient();
    }

    /// <summary>Reads the client before the data phase; waits for a readiness event when nothing is there yet.</summary>
    private unsafe void TryReceiveClient()
    {
        nint received;
        fixed (byte* p = _receiving.Span)
        {
            received = recv(_clientFd, p, _receiving.Length, MsgDontWait);
        }

        if (received >= 0)
        {
            // A full buffer may have more behind it, and after the peer's FIN the end is still to be
            // read (no edge will say so again); otherwise a short read drained the socket.
            _clientReady = received == _receiving.Length || (_clientReady & PeerClosed) != 0
                ? (byte)(_clientReady | MayRead)
                : (byte)(_clientReady & ~MayRead);
            _receiving = default;
            _session.OnClientReceived(new SocketResult((int)received));
            return;
        }

        int errno = Errno;
        int added = errno == EAgain ? WatchClient() : errno;
        if (added != 0)
        {
            _receiving = default;
            _session.OnClientReceived(new SocketResult(ToSocketError(added)));
            return;
        }

        _awaitingClient = true;
    }

    /// <summary>Watches the client (edge-triggered) from now on; 0 or the errno.</summary>
    private int WatchClient()
    {
        AttachOnce();
        if (_clientRegistered)
        {
            return 0;
        }

        int added = _loop.Add(_clientFd, _slot, TagClient, write: false);
        _clientRegistered = added == 0;
        return added;
    }

    public unsafe void Connect(IPEndPoint server)
    {
        AttachOnce();
        int fd = socket(server.AddressFamily == AddressFamily.InterNetworkV6 ? AfInet6 : AfInet, SockStream | SockNonblock | SockCloexec, 0);
        if (fd < 0)
        {
            _session.OnConnected(ToSocketError(Errno));
            return;
        }

        _serverFd = fd;
        _serverReady = 0;
        _serverWatchWrite = false;
        SetInt(fd, IpProtoTcp, TcpNoDelay, 1);
        byte* sockaddr = stackalloc byte[28];
        int length = WriteSockaddr(server, new Span<byte>(sockaddr, 28));
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
            _session.OnConnected(ToSocketError(errno));
            return;
        }

        bool connected = errno == 0;
        int added = _loop.Add(fd, _slot, TagServer, write: !connected);
        if (added != 0)
        {
            CloseServer();
            _session.OnConnected(ToSocketError(added));
            return;
        }

        if (connected)
        {
            // Registering reports the socket's readiness as an event later; it is writable now.
            _serverReady |= MayWrite;
            _session.OnConnected(SocketError.Success);
            return;
        }

        // Completion (or failure) arrives as a write event.
        _connecting = true;
    }

    public void AbortConnect()
    {
        _connecting = false;
        CloseServer();
    }

    private unsafe void FinishConnect(bool checkError)
    {
        _connecting = false;
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
            _loop.Modify(_serverFd, _slot, TagServer, write: false);
        }

        _session.OnConnected(ToSocketError(error));
    }

    public void StartForwarding(byte[]? preface, int length)
    {
        if (preface is not null)
        {
            // The preface goes first in the upstream direction's pending data.
            _up.Pending = preface;
            _up.Offset = 0;
            _up.Count = length;
        }

        // Already watched when a PROXY header was read from it.
        int added = WatchClient();
        if (added != 0)
        {
            _session.OnFailed(client: true, ToSocketError(added));
            return;
        }

        _dataStarted = true;
        var modes = _session.SpliceModes;
        _spliceAuto = _pipes is not null && (modes & Configuration.SpliceModes.Auto) != 0;
        _up.Splice = _pipes is not null && (modes & Configuration.SpliceModes.Request) != 0;
        _down.Splice = _pipes is not null && (modes & Configuration.SpliceModes.Response) != 0;

        // Both sockets are writable until a send says otherwise; the client's readiness arrives as an
        // event (registering reports it), the server's may have arrived during the connect.
        _clientReady |= MayWrite;
        _serverReady |= MayWrite;
        Pump(upstream: true);
        Pump(upstream: false);
    }

    public void ShutdownWrite(bool toServer)
    {
        int fd = toServer ? _serverFd : _clientFd;
        if (fd >= 0)
        {
            shutdown(fd, ShutWr);
        }
    }

    /// <summary>Closes both descriptors once (RST when <paramref name="abortive"/>) and gives back what the
    /// directions held (pending bytes, pipes).</summary>
    public void Close(bool abortive)
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        if (abortive)
        {
            if (_serverFd >= 0)
            {
                SetAbortive(_serverFd);
            }

            SetAbortive(_clientFd);
        }

        CloseServer();
        close(_clientFd);
        _clientFd = -1;
        if (_slot >= 0)
        {
            _loop.Detach(_slot);
            _slot = -1;
        }

        _connecting = false;
        ReleaseDirection(ref _up);
        ReleaseDirection(ref _down);
        if (_awaitingClient)
        {
            _awaitingClient = false;
            _receiving = default;
            _session.OnClientReceived(new SocketResult(SocketError.OperationAborted));
        }
    }

    void IEpollWork.OnWork(int operation)
    {
        // Nothing is posted to a transport: the session's inputs go to the session.
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
                TryReceiveClient();
                return;
            }
        }

        if (_dataStarted && !_closed)
        {
            Pump(upstream: true);
            Pump(upstream: false);
        }
    }

    /// <summary>Gives the transport its slot on the loop (for its descriptors' event tags) the first time.</summary>
    private void AttachOnce()
    {
        if (_slot < 0)
        {
            _slot = _loop.Attach(this);
        }
    }

    private void CloseServer()
    {
        if (_serverFd >= 0)
        {
            close(_serverFd);
            _serverFd = -1;
        }
    }

    private void ReleaseDirection(ref Direction direction)
    {
        if (direction.Pending is { } pending)
        {
            direction.Pending = null;
            ArrayPool<byte>.Shared.Return(pending);
        }

        ReleasePipe(ref direction);
    }
}
