using Ha.Net.Proxy.Backends;
using Ha.Net.Proxy.Connections.Epoll;
using Ha.Net.Proxy.Connections.Session;
using Ha.Net.Proxy.Hosting;
using Ha.Net.Proxy.Listening;
using Ha.Net.Proxy.LoadBalancing;

namespace Ha.Net.Proxy.Connections;

/// <summary>
/// One proxied connection: runs a <see cref="SessionMachine"/> over an <see cref="ISessionTransport"/>.
/// Inputs (the transport's callbacks, the queue, the timer, a kill) are handled one at a time; the
/// machine's actions are carried out against the backend (slots, queues, counters) and the transport.
/// </summary>
/// <remarks>
/// With the epoll engine every input is handled on the session's event loop (inputs from other threads
/// are posted to it), so the transport needs no locks. With the sockets engine inputs arrive on pool
/// threads and are serialized here. An input raised while another is handled (a transport completing
/// inline) waits its turn, so the machine never sees inputs interleaved.
/// </remarks>
internal sealed partial class ProxySession : IEpollWork
{
    private const int OpStart = 1;
    private const int OpInput = 2;

    private readonly ProxyRuntime _runtime;
    private readonly Frontend _frontend;
    private readonly Backend _backend;
    private readonly ISessionTransport _transport;
    private readonly EpollLoop? _loop;
    private readonly SessionMachine _machine;
    private readonly long _acceptTimestamp;
    private readonly DateTimeOffset _acceptDate;
    private SessionInput _next;
    private bool _hasNext;
    private Queue<SessionInput>? _pending; // beyond _next: rare (a kill while inputs wait)
    private bool _dispatching;
    private ITimer? _timer;
    private TimeSpan? _timerDue;
    private ServerState? _serverState;
    private ServerState? _failedServer;
    private QueueWaiter? _waiter;
    private ServerState? _granted;
    private int _serverQueuePosition;
    private int _backendQueuePosition;
    private long _bytesIn;
    private long _bytesOut;

    /// <summary>When data last moved (a <see cref="TimeProvider"/> timestamp), written by the transport.</summary>
    public long LastActivity;

    public ProxySession(ProxyRuntime runtime, Frontend frontend, Backend backend, ISessionTransport transport, EpollLoop? loop = null)
    {
        _runtime = runtime;
        _frontend = frontend;
        _backend = backend;
        _transport = transport;
        _loop = loop;
        _machine = new SessionMachine(frontend.Options, backend.Options);
        _acceptTimestamp = runtime.Time.GetTimestamp();
        _acceptDate = runtime.Time.GetUtcNow();
        _remote = transport.ClientAddress;
    }

    public Frontend Frontend => _frontend;

    public Backend Backend => _backend;

    public ServerState? Server => _serverState;

    public ProxyRuntime Runtime => _runtime;

    public bool IsTerminated => _machine.IsClosed;

    /// <summary>The two-character termination state of tcplog (<c>--</c>, <c>CD</c>, <c>sQ</c>, ...).</summary>
    public string TerminationState => _machine.Termination.Code;

    /// <summary>Starts the session: on its event loop, or right here with the sockets engine.</summary>
    public void Start()
    {
        if (_loop is { } loop)
        {
            loop.Run(this, OpStart);
        }
        else
        {
            Raise(SessionInput.Of(SessionInputKind.Start));
        }
    }

    /// <summary>Ends the session from outside: admin kill (<see cref="SessionEnd.Killed"/>), server marked
    /// down (<see cref="SessionEnd.ServerDown"/>), hard stop.</summary>
    public void Kill(SessionEnd end) => Raise(new SessionInput(SessionInputKind.Kill, End: end));

    void IEpollWork.OnWork(int operation)
    {
        if (operation == OpStart)
        {
            Raise(SessionInput.Of(SessionInputKind.Start));
            return;
        }

        // An input posted from another thread: kind, flag and end packed in the operation.
        Raise(new SessionInput((SessionInputKind)((operation >> 8) & 0xFF), (operation & 0x10000) != 0, (SessionEnd)((operation >> 24) & 0xFF), LastActivityTime));
    }

    /// <summary>The machine's clock: the time since the accept. Not since timestamp 0: <see cref="TimeProvider.GetElapsedTime(long, long)"/>
    /// converts through a double, which drops ticks of a timestamp past 2^53 (a fake clock's UTC ticks), so a
    /// deadline could be found short of due when its timer fires.</summary>
    private TimeSpan Now => _runtime.Time.GetElapsedTime(_acceptTimestamp, _runtime.Time.GetTimestamp());

    private TimeSpan LastActivityTime => _runtime.Time.GetElapsedTime(_acceptTimestamp, Volatile.Read(ref LastActivity));

    /// <summary>Hands <paramref name="input"/> to the machine and carries out its actions; inputs raised
    /// meanwhile (or from other threads) are handled after, in order.</summary>
    private void Raise(in SessionInput input)
    {
        if (_loop is { } loop && !loop.IsOnLoop)
        {
            loop.Post(this, OpInput | ((int)input.Kind << 8) | (input.Flag ? 0x10000 : 0) | ((int)input.End << 24));
            return;
        }

        var current = input;
        lock (_machine)
        {
            if (_dispatching)
            {
                Defer(input);
                return;
            }

            _dispatching = true;
        }

        while (true)
        {
            try
            {
                Dispatch(current);
            }
            catch (Exception e)
            {
                Log.SessionFailed(_runtime.Logger, _frontend.Name, e);
                lock (_machine)
                {
                    Defer(new SessionInput(SessionInputKind.Kill, End: SessionEnd.Internal));
                }
            }

            lock (_machine)
            {
                if (!_hasNext)
                {
                    _dispatching = false;
                    return;
                }

                current = _next;
                _hasNext = _pending is { Count: > 0 } pending && pending.TryDequeue(out _next);
            }
        }
    }

    /// <summary>Keeps an input for after the one being handled (under the lock): most sessions never
    /// have more than one waiting, which needs no allocation.</summary>
    private void Defer(in SessionInput input)
    {
        if (!_hasNext)
        {
            _next = input;
            _hasNext = true;
        }
        else
        {
            (_pending ??= new Queue<SessionInput>(2)).Enqueue(input);
        }
    }

    private void Dispatch(SessionInput input)
    {
        var now = Now;
        if (input.Kind == SessionInputKind.Deadline)
        {
            _timerDue = null;
            input = input with { LastActivity = LastActivityTime };
        }
        else if (input.Kind is SessionInputKind.Granted or SessionInputKind.Cancelled && !TakeQueueAnswer(input.Kind))
        {
            return;
        }

        var actions = default(SessionActions);
        _machine.Handle(input, now, ref actions);
        for (int i = 0; i < actions.Count; i++)
        {
            Execute(actions[i]);
        }

        ArmTimer(now);
    }

    private void Execute(SessionAction action)
    {
        switch (action.Kind)
        {
            case SessionActionKind.ReadHeader:
                BeginHeader();
                break;
            case SessionActionKind.CountSession:
                if (_frontend.Options.AcceptProxy)
                {
                    // A connection becomes a session once its PROXY header is read (HAProxy's stot and rate).
                    _frontend.Counters.SessionCounted(_runtime.Time.GetTimestamp(), _runtime.Time);
                }

                _backend.Counters.SessionStarted(_acceptTimestamp, _runtime.Time);
                break;
            case SessionActionKind.Acquire:
                Acquire(action.Flag ? _failedServer : null);
                break;
            case SessionActionKind.CancelQueue:
                if (_waiter is { } waiter)
                {
                    // The waiter's completion raises Cancelled (or Granted, if a slot won the race).
                    _backend.TryCancel(waiter);
                }

                break;
            case SessionActionKind.Connect:
                Interlocked.Increment(ref _serverState!.Counters.ConnectAttempts); // connect: every attempt, retries included
                Interlocked.Increment(ref _backend.Counters.ConnectAttempts);
                _transport.Connect(_serverState.Options.Address);
                break;
            case SessionActionKind.AbortConnect:
                _transport.AbortConnect();
                Raise(ConnectFailed());
                break;
            case SessionActionKind.ConnectError:
                CountConnectError(_serverState!, timedOut: action.Flag);
                break;
            case SessionActionKind.Retry:
                CountRetry(action.Flag);
                break;
            case SessionActionKind.StartData:
                StartData();
                break;
            case SessionActionKind.HalfClose:
                _transport.ShutdownWrite(toServer: action.Flag);
                break;
            case SessionActionKind.Close:
                _transport.Close(action.Flag);
                Finish();
                break;
        }
    }

    /// <summary>Arms the timer for the machine's next deadline. A deadline that moved later (activity)
    /// leaves the timer as it is: it fires, the machine finds nothing due yet, and it is armed again.</summary>
    private void ArmTimer(TimeSpan now)
    {
        if (_machine.NextDeadline is not { } next || _machine.IsClosed || (_timerDue is { } due && due <= next))
        {
            return;
        }

        _timerDue = next;
        _timer ??= _runtime.Time.CreateTimer(static s => ((ProxySession)s!).Raise(SessionInput.Of(SessionInputKind.Deadline)), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var wait = next - now;
        _timer.Change(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private void Acquire(ServerState? avoid)
    {
        uint sourceHash = _backend.HashesSource ? SourceHash.Of(_remote?.Address) : 0;
        switch (_backend.TryAssign(avoid, sourceHash, out var server, out var waiter))
        {
            case AssignOutcome.Assigned:
                OnAssigned(server!);
                Raise(SessionInput.Of(SessionInputKind.Assigned));
                break;
            case AssignOutcome.Queued:
                _waiter = waiter;
                _serverQueuePosition = waiter!.ServerQueuePosition;
                _backendQueuePosition = waiter.BackendQueuePosition;
                _runtime.Metrics.Queued(_backend.Name, 1);
                Raise(SessionInput.Of(SessionInputKind.Queued));
                waiter.Task.ContinueWith(static (t, s) => ((ProxySession)s!).OnQueueDone(t.Result), this,
                    CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                break;
            case AssignOutcome.NoServer:
                Raise(SessionInput.Of(SessionInputKind.NoServer));
                break;
            case AssignOutcome.QueueFull:
                Raise(SessionInput.Of(SessionInputKind.QueueFull));
                break;
        }
    }

    /// <summary>The queue answered (on any thread): a server slot, or <see langword="null"/> when cancelled.</summary>
    private void OnQueueDone(ServerState? server)
    {
        Volatile.Write(ref _granted, server);
        Raise(SessionInput.Of(server is null ? SessionInputKind.Cancelled : SessionInputKind.Granted));
    }

    /// <summary>The queue's answer, before the machine sees it: a granted slot is taken, or given back at
    /// once when the session ended meanwhile. False when the machine need not see it.</summary>
    private bool TakeQueueAnswer(SessionInputKind kind)
    {
        _runtime.Metrics.Queued(_backend.Name, -1);
        _waiter = null;
        if (kind == SessionInputKind.Granted && Interlocked.Exchange(ref _granted, null) is { } server)
        {
            if (_machine.State != SessionState.Queued)
            {
                _backend.Release(server);
                return false;
            }

            OnAssigned(server);
        }

        return true;
    }

    private void OnAssigned(ServerState server)
    {
        _serverState = server;
        server.Counters.SessionStarted(_runtime.Time.GetTimestamp(), _runtime.Time);
        server.Register(this);
    }

    private void ReleaseServer()
    {
        if (_serverState is { } server)
        {
            _serverState = null;
            server.Unregister(this);
            server.Counters.SessionEnded(Math.Max(0, _machine.QueueMs), Math.Max(0, _machine.ConnectMs), ElapsedMs(_acceptTimestamp));
            _backend.Release(server);
        }
    }

    /// <summary>A failed attempt with the facts a retry needs: whether another server is usable (the
    /// input's flag), whether the failed one is down, whether several are up.</summary>
    private SessionInput ConnectFailed()
    {
        var failed = _serverState;
        bool other = false;
        int up = 0;
        foreach (var server in _backend.Servers)
        {
            if (server.IsUsable)
            {
                other |= server != failed;
                up += server.Options.Backup ? 0 : 1;
            }
        }

        var facts = up > 1 ? RetryFacts.SeveralServersUp : RetryFacts.None;
        if (failed is { } f && (!f.HealthUp || f.AdminState == Configuration.ServerAdminState.Maintenance || f.Removed))
        {
            facts |= RetryFacts.ServerDown;
        }

        return new SessionInput(SessionInputKind.ConnectFailed, other, Facts: facts);
    }

    private long ElapsedMs(long since) => (long)_runtime.Time.GetElapsedTime(since).TotalMilliseconds;
}
