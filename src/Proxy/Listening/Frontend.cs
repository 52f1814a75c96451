using System.Net;
using System.Net.Sockets;
using Ha.Net.Proxy.Backends;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Connections;
using Ha.Net.Proxy.Connections.Epoll;
using Ha.Net.Proxy.Connections.Session;
using Ha.Net.Proxy.Hosting;
using Ha.Net.Proxy.Stats;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Proxy.Listening;

/// <summary>
/// A listening socket and its accept loop. When the frontend's or the global <c>maxconn</c> is
/// reached the loop stops accepting, so new connections wait in the kernel backlog, as in HAProxy.
/// </summary>
/// <remarks>With the epoll engine the listener belongs to one <see cref="EpollLoop"/>, which accepts
/// in batches (<c>accept4</c> until <c>EAGAIN</c>) and hands each connection to a loop round-robin;
/// a connection that stays on the accepting loop is set up right there, with no thread switch.</remarks>
internal sealed partial class Frontend : IDisposable, IEpollHandler
{
    private const int OpListen = 1;
    private const int OpStop = 2;
    private const int OpResume = 3;
    private const int OpRateLimitOver = 4;
    private const int AcceptsPerTurn = 64;

    // Linux socket options .NET has no name for (linux/in.h, linux/in6.h, asm-generic/socket.h).
    private const int SolSocket = 1;
    private const int SoReuseAddr = 2;
    private const int IpProtoIp = 0;
    private const int IpFreeBind = 15;
    private const int IpProtoIpv6 = 41;
    private const int Ipv6FreeBind = 78;

    private readonly ProxyRuntime _runtime;
    private readonly Func<string, Backend?> _findBackend;
    private readonly HashSet<ProxySession> _sessions = [];
    private readonly TaskCompletionSource _acceptLoopDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private volatile FrontendOptions _options;
    private readonly SemaphoreSlim? _limit;
    private Socket? _listener;
    private Socket? _closingListener;
    private TaskCompletionSource? _drained;
    private EpollLoop? _acceptLoop;
    private int _listenFd = -1;
    private int _slot = -1;
    private bool _acceptAgain;
    private bool _rateLimited; // loop thread only: a retry is scheduled for when rate-limit sessions allows
    private bool _acceptStopped;
    private int _paused;
    private readonly Lock _pauseLock = new();
    private int _adminPaused; // 1 while paused by PauseListening (disable frontend, SIGTTOU)
    private TaskCompletionSource? _unpaused; // sockets engine: completes when the listener listens again

    public Frontend(ProxyRuntime runtime, FrontendOptions options, Func<string, Backend?> findBackend)
    {
        _runtime = runtime;
        _options = options;
        _findBackend = findBackend;
        _limit = options.MaxConnections > 0 ? new SemaphoreSlim(options.MaxConnections, options.MaxConnections) : null;
    }

    public string Name => _options.Name;

    public FrontendOptions Options => _options;

    public ProxyCounters Counters { get; } = new();

    /// <summary>The bound address (with the real port when the configuration said 0).</summary>
    public IPEndPoint? EndPoint { get; private set; }

    public bool IsListening => _listener is not null;

    /// <summary>True while <see cref="PauseListening"/> holds the listener (HAProxy's paused listener).</summary>
    public bool IsPaused => Volatile.Read(ref _adminPaused) != 0;

    public int SessionCount
    {
        get
        {
            lock (_sessions)
            {
                return _sessions.Count;
            }
        }
    }

    /// <summary>Takes new timeouts and backend; a different bind address or maxconn needs a new frontend.</summary>
    public void Apply(FrontendOptions options) => _options = options;

    /// <summary>Binds and listens; throws <see cref="SocketException"/> naming the address when it cannot.</summary>
    public void Start()
    {
        var options = _options;
        var socket = new Socket(options.Bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (OperatingSystem.IsLinux())
            {
                // SO_REUSEADDR alone: .NET's ReuseAddress option also sets SO_REUSEPORT on Unix,
                // which would let two proxies silently share the port.
                socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
                if (options.FreeBind)
                {
                    if (options.Bind.AddressFamily == AddressFamily.InterNetworkV6)
                    {
                        socket.SetRawSocketOption(IpProtoIpv6, Ipv6FreeBind, BitConverter.GetBytes(1));
                    }
                    else
                    {
                        socket.SetRawSocketOption(IpProtoIp, IpFreeBind, BitConverter.GetBytes(1));
                    }
                }
            }

            socket.Bind(options.Bind);
            socket.Listen(options.Backlog);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new SocketException((int)e.SocketErrorCode,
                $"Frontend '{options.Name}' cannot listen on {options.Bind}: {e.Message}");
        }

        EndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _listener = socket;
        Log.Listening(_runtime.Logger, options.Name, EndPoint);
        if (_runtime.NextLoop() is { } loop)
        {
            socket.Blocking = false;
            _acceptLoop = loop;
            _listenFd = (int)socket.SafeHandle.DangerousGetHandle();
            loop.Run(this, OpListen);
            return;
        }

        _ = AcceptLoopAsync(socket);
    }

    /// <summary>Stops accepting (closes the listening socket); live connections continue.</summary>
    public Task StopListeningAsync()
    {
        Socket? stopped;
        lock (_pauseLock)
        {
            stopped = Interlocked.Exchange(ref _listener, null);
        }

        if (stopped is { } listener)
        {
            // Also wakes an accept loop waiting for a maxconn slot.
            _stopping.Cancel();
            if (_acceptLoop is { } loop)
            {
                // The loop may be in accept4() on it, so the loop closes it; shutdown() stops the
                // listening now (the kernel resets what waits in the backlog) and keeps the number.
                _closingListener = listener;
                LinuxNative.shutdown(_listenFd, 0);
                loop.Run(this, OpStop);
                return _acceptLoopDone.Task;
            }

            listener.Dispose();
            return _acceptLoopDone.Task;
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops listening for now, as HAProxy pauses a listener (<c>disable frontend</c>, SIGTTOU): the socket
    /// keeps its address and port but leaves the listening state (<c>connect(AF_UNSPEC)</c>, as HAProxy's
    /// <c>tcp_suspend_receiver</c> does), so the kernel refuses new connections and another process may bind
    /// the port; live connections continue. <see cref="ResumeListening"/> listens again. (A frontend bound
    /// to port 0 keeps no port while paused: the kernel picks a new one when it listens again.)
    /// </summary>
    /// <returns><see langword="false"/> when the listener was not listening (already paused, or stopped).</returns>
    public bool PauseListening()
    {
        lock (_pauseLock)
        {
            var listener = _listener;
            if (listener is null || _adminPaused != 0)
            {
                return false;
            }

            if (_acceptLoop is null)
            {
                _unpaused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            Volatile.Write(ref _adminPaused, 1);
            if (!Disconnect(listener))
            {
                // Still listening (HAProxy: "failed to enter pause mode").
                Volatile.Write(ref _adminPaused, 0);
                _unpaused?.TrySetResult();
                throw new SocketException((int)LinuxNative.ToSocketError(LinuxNative.Errno),
                    $"Frontend '{Name}' failed to enter pause mode.");
            }

            return true;
        }
    }

    /// <summary>Listens again after <see cref="PauseListening"/> (<c>enable frontend</c>, SIGTTIN).</summary>
    /// <returns><see langword="false"/> when the listener was not paused.</returns>
    /// <exception cref="SocketException">The port is busy (another process listens on it); the listener stays paused.</exception>
    public bool ResumeListening()
    {
        lock (_pauseLock)
        {
            var listener = _listener;
            if (listener is null || _adminPaused == 0)
            {
                return false;
            }

            if (LinuxNative.listen((int)listener.SafeHandle.DangerousGetHandle(), _options.Backlog) != 0)
            {
                var error = LinuxNative.ToSocketError(LinuxNative.Errno);
                throw new SocketException((int)error, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"Port {EndPoint?.Port} busy while trying to enable frontend {Name}."));
            }

            if (_options.Bind.Port == 0)
            {
                // Bound to port 0, the socket held no port of its own while paused: listen() took a new one.
                EndPoint = BoundEndPoint(listener) ?? EndPoint;
            }

            Volatile.Write(ref _adminPaused, 0);
            if (_acceptLoop is { } loop)
            {
                loop.Post(this, OpResume);
            }
            else
            {
                _unpaused?.TrySetResult();
                _unpaused = null;
            }

            return true;
        }
    }

    private static unsafe IPEndPoint? BoundEndPoint(Socket listener)
    {
        byte* address = stackalloc byte[28];
        int length = 28;
        return LinuxNative.getsockname((int)listener.SafeHandle.DangerousGetHandle(), address, &length) == 0
            ? LinuxNative.ReadSockaddr(new ReadOnlySpan<byte>(address, length))
            : null;
    }

    /// <summary><c>connect()</c> to <c>AF_UNSPEC</c>: a listening TCP socket stops listening and keeps its binding.</summary>
    private static unsafe bool Disconnect(Socket listener)
    {
        byte* address = stackalloc byte[16]; // struct sockaddr, all zero: sa_family = AF_UNSPEC
        new Span<byte>(address, 16).Clear();
        return LinuxNative.connect((int)listener.SafeHandle.DangerousGetHandle(), address, 16) == 0;
    }

    /// <summary>Releases the stop signal; call after <see cref="StopListeningAsync"/>. (The maxconn
    /// semaphore needs no disposal: its wait handle is never created, and late sessions still release it.)</summary>
    public void Dispose() => _stopping.Dispose();

    /// <summary>Completes when no session of this frontend is left.</summary>
    public Task WaitDrainedAsync()
    {
        lock (_sessions)
        {
            if (_sessions.Count == 0)
            {
                return Task.CompletedTask;
            }

            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task;
        }
    }

    /// <summary>Kills every live session (hard stop).</summary>
    public int KillAll(SessionEnd cause)
    {
        ProxySession[] sessions;
        lock (_sessions)
        {
            sessions = [.. _sessions];
        }

        foreach (var session in sessions)
        {
            session.Kill(cause);
        }

        return sessions.Length;
    }

    public void OnSessionClosed(ProxySession session, long totalMs)
    {
        Counters.SessionEnded(0, 0, totalMs);
        _runtime.ConnectionClosed();
        TaskCompletionSource? drained = null;
        lock (_sessions)
        {
            _sessions.Remove(session);
            if (_sessions.Count == 0)
            {
                drained = _drained;
                _drained = null;
            }
        }

        drained?.TrySetResult();
        _limit?.Release();
        _runtime.GlobalLimit?.Release();
        _runtime.ResumePausedListeners();
    }

    /// <summary>A connection slot came free: accept again if this listener stopped at maxconn.</summary>
    public void Resume()
    {
        if (Interlocked.Exchange(ref _paused, 0) == 1)
        {
            _acceptLoop?.Post(this, OpResume);
        }
    }

    void IEpollHandler.OnEvents(int tag, uint events) => AcceptBatch();

    void IEpollHandler.OnDeferred(int direction, int offset, int count)
    {
        // A listener defers nothing.
    }

    void IEpollHandler.OnAgain()
    {
        _acceptAgain = false;
        AcceptBatch();
    }

    void IEpollWork.OnWork(int operation)
    {
        var loop = _acceptLoop!;
        switch (operation)
        {
            case OpListen when !_acceptStopped:
                _slot = loop.Attach(this);
                int error = loop.Add(_listenFd, _slot, 0, write: false);
                if (error != 0)
                {
                    Log.AcceptFailed(_runtime.Logger, Name, LinuxNative.ToSocketError(error));
                }

                AcceptBatch();
                break;
            case OpStop:
                _acceptStopped = true;
                if (_slot >= 0)
                {
                    loop.Detach(_slot);
                    _slot = -1;
                }

                _closingListener?.Dispose();
                _acceptLoopDone.TrySetResult();
                break;
            case OpResume:
                AcceptBatch();
                break;
            case OpRateLimitOver:
                _rateLimited = false;
                AcceptBatch();
                break;
        }
    }

    /// <summary>Accepts what the backlog holds, up to a turn's worth, while maxconn allows.</summary>
    private unsafe void AcceptBatch()
    {
        var loop = _acceptLoop!;
        byte* address = stackalloc byte[28];
        for (int i = 0; i < AcceptsPerTurn; i++)
        {
            if (_acceptStopped || Volatile.Read(ref _adminPaused) != 0)
            {
                return;
            }

            if (RateLimitDelay() is > 0 and var wait)
            {
                // rate-limit sessions: the backlog keeps the connections until the rate allows one more.
                if (!_rateLimited)
                {
                    _rateLimited = true;
                    PostAfter(TimeSpan.FromMilliseconds(wait), OpRateLimitOver);
                }

                return;
            }

            if (!TryTakeSlot())
            {
                // Full: wait for a session to end (it calls Resume). Check again after saying so,
                // in case the last one ended in between.
                Volatile.Write(ref _paused, 1);
                _runtime.PauseListener(this);
                if (!TryTakeSlot())
                {
                    return;
                }

                Interlocked.Exchange(ref _paused, 0);
            }

            int length = 28;
            int fd = LinuxNative.accept4(_listenFd, address, &length, LinuxNative.SockNonblock | LinuxNative.SockCloexec);
            if (fd < 0)
            {
                int errno = LinuxNative.Errno;
                ReleaseSlot();
                if (errno == LinuxNative.EAgain || Volatile.Read(ref _listener) is null || Volatile.Read(ref _adminPaused) != 0)
                {
                    // Drained, stopped or paused (a shut-down or disconnected listener fails with EINVAL).
                    return;
                }

                if (errno is LinuxNative.EIntr or 103) // ECONNABORTED: the client gave up in the backlog
                {
                    continue;
                }

                // Out of file descriptors and the like: report (once a second at most), breathe, go on.
                ReportAcceptFailure(errno == 23 ? ENFile : errno == 105 || errno == 12 ? ENoBufs : errno, LinuxNative.ToSocketError(errno));
                PostAfter(TimeSpan.FromMilliseconds(100), OpResume);
                return;
            }

            LinuxNative.SetInt(fd, LinuxNative.IpProtoTcp, LinuxNative.TcpNoDelay, 1);
            var remote = length >= 16 ? LinuxNative.ReadSockaddr(new ReadOnlySpan<byte>(address, length)) : null;
            StartOnLoop(fd, remote);
        }

        if (!_acceptAgain)
        {
            _acceptAgain = true;
            loop.Again(this);
        }
    }

    private const int EMFile = 24;
    private const int ENFile = 23;
    private const int ENoBufs = 105;
    private static readonly long AcceptLogInterval = TimeSpan.TicksPerSecond;
    private long _lastAcceptLog = long.MinValue;

    /// <summary>Logs a failed accept, at most once a second per frontend: a listener out of descriptors
    /// fails every 100 ms until connections close, and a line per retry would flood the log. Running out of
    /// descriptors or memory is said in HAProxy's words.</summary>
    private void ReportAcceptFailure(int errno, SocketError error)
    {
        long now = _runtime.Time.GetTimestamp();
        long last = Interlocked.Read(ref _lastAcceptLog);
        if (last != long.MinValue && _runtime.Time.GetElapsedTime(last, now).Ticks < AcceptLogInterval
            || Interlocked.CompareExchange(ref _lastAcceptLog, now, last) != last)
        {
            return;
        }

        long maxSock = _runtime.Budget.Needed;
        switch (errno)
        {
            case EMFile:
                Log.AcceptLimit(_runtime.Logger, Name, "process FD", maxSock, "'ulimit-n' and restart");
                break;
            case ENFile:
                Log.AcceptLimit(_runtime.Logger, Name, "system FD", maxSock, "system tunables");
                break;
            case ENoBufs:
                Log.AcceptLimit(_runtime.Logger, Name, "system memory", maxSock, "system tunables");
                break;
            default:
                Log.AcceptFailed(_runtime.Logger, Name, error);
                break;
        }
    }

    /// <summary>Posts <paramref name="operation"/> to the accept loop once <paramref name="delay"/> has passed.</summary>
    private void PostAfter(TimeSpan delay, int operation) =>
        _ = Task.Delay(delay, _runtime.Time).ContinueWith(
            static (_, s) => { var (frontend, op) = ((Frontend, int))s!; frontend._acceptLoop!.Post(frontend, op); },
            (this, operation), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>Milliseconds until <c>rate-limit sessions</c> allows one more session (0: now, or no limit).</summary>
    private long RateLimitDelay() => _options.RateLimitSessions is > 0 and var limit
        ? Counters.Rate.DelayUntilBelow(limit, ProxyCounters.Milliseconds(_runtime.Time.GetTimestamp(), _runtime.Time))
        : 0;

    private bool TryTakeSlot()
    {
        if (_limit is { } limit && !limit.Wait(0))
        {
            return false;
        }

        if (_runtime.GlobalLimit is { } global && !global.Wait(0))
        {
            _limit?.Release();
            return false;
        }

        return true;
    }

    private void ReleaseSlot()
    {
        _limit?.Release();
        _runtime.GlobalLimit?.Release();
    }

    private void CountAccepted()
    {
        long now = _runtime.Time.GetTimestamp();
        Counters.ConnectionAccepted(now, _runtime.Time);
        if (!_options.AcceptProxy)
        {
            Counters.SessionCounted(now, _runtime.Time);
        }
    }

    private void StartOnLoop(int fd, IPEndPoint? remote)
    {
        _runtime.ConnectionOpened();
        CountAccepted();
        _runtime.Metrics.ConnectionOpened(Name);
        var backend = _findBackend(_options.Backend)
            ?? throw new InvalidOperationException($"Frontend '{Name}': backend '{_options.Backend}' does not exist.");
        var loop = _runtime.NextLoop()!;
        var transport = new EpollTransport(loop, fd, remote, _runtime.Pipes);
        var session = new ProxySession(_runtime, this, backend, transport, loop);
        transport.Bind(session);
        lock (_sessions)
        {
            _sessions.Add(session);
        }

        session.Start();
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        using var args = new SocketAwaitableEventArgs();
        try
        {
            while (true)
            {
                while (RateLimitDelay() is > 0 and var wait)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(wait), _runtime.Time, _stopping.Token).ConfigureAwait(false);
                }

                if (_limit is { } limit)
                {
                    await limit.WaitAsync(_stopping.Token).ConfigureAwait(false);
                }

                if (_runtime.GlobalLimit is { } global)
                {
                    try
                    {
                        await global.WaitAsync(_stopping.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        _limit?.Release();
                        throw;
                    }
                }

                var result = await args.AcceptAsync(listener).ConfigureAwait(false);
                if (result.HasError)
                {
                    _limit?.Release();
                    _runtime.GlobalLimit?.Release();
                    if (_listener != listener || result.IsLocalAbort)
                    {
                        return;
                    }

                    if (Volatile.Read(ref _unpaused) is { } unpaused)
                    {
                        // Paused (disable frontend, SIGTTOU): accept fails until the listener listens again.
                        await unpaused.Task.WaitAsync(_stopping.Token).ConfigureAwait(false);
                        continue;
                    }

                    // Out of file descriptors and the like: report (once a second at most), breathe, go on.
                    ReportAcceptFailure(result.Error == SocketError.TooManyOpenSockets ? EMFile : result.Error == SocketError.NoBufferSpaceAvailable ? ENoBufs : 0, result.Error);
                    await Task.Delay(TimeSpan.FromMilliseconds(100), _runtime.Time).ConfigureAwait(false);
                    continue;
                }

                var client = args.AcceptSocket!;
                Start(client);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped while waiting for a maxconn slot.
        }
        finally
        {
            _acceptLoopDone.TrySetResult();
        }
    }

    private void Start(Socket client)
    {
        client.NoDelay = true;
        _runtime.ConnectionOpened();
        CountAccepted();
        _runtime.Metrics.ConnectionOpened(Name);
        var backend = _findBackend(_options.Backend)
            ?? throw new InvalidOperationException($"Frontend '{Name}': backend '{_options.Backend}' does not exist.");
        var transport = new SocketTransport(client, _runtime.BufferSize);
        var session = new ProxySession(_runtime, this, backend, transport);
        transport.Bind(session);
        lock (_sessions)
        {
            _sessions.Add(session);
        }

        // Connection set-up runs inline: RunAsync goes only as far as the server connect (a
        // non-blocking connect returns at once), so the accept loop is back to accepting after two
        // syscalls. A thread-pool hop here cost ~8-25 us of CPU per connection on one CPU
        // (close-phase A/B in benchmarks/proxy-e2e, 2026-11-22).
        session.Start();
    }
}
