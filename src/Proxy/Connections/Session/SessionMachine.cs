using Ha.Net.Proxy.Configuration;

namespace Ha.Net.Proxy.Connections.Session;

/// <summary>
/// One proxied connection as a pure machine: (now, input) → actions. Queue for a server slot, connect
/// with retries and redispatch, forward both ways with half-close, close. No I/O, no clock, no locks;
/// its timers are deadlines it stores (<see cref="NextDeadline"/>), and every way out goes through one
/// <see cref="Shutdown"/> whose typed <see cref="Termination"/> gives the tcplog line and the counters.
/// </summary>
/// <remarks>
/// <para>Settings are the frontend's and backend's options when the connection was accepted. MDI-like
/// notation: "→ S" is the next state; deadlines are set on entry; "Close(e)" is <see cref="Shutdown"/>
/// with end e, the phase being the state's unless e fixes it.</para>
/// <code>
/// row | state      | input                                   | actions / next state
/// ----+------------+-----------------------------------------+----------------------------------------------------------
/// S1  | Init       | Start, accept-proxy                     | ReadHeader → Header; deadline = now + timeout client (if set)
/// S2  | Init       | Start                                   | CountSession, Acquire → Assign
/// H1  | Header     | HeaderRead                              | CountSession, Acquire → Assign
/// H2  | Header     | HeaderFailed(e)                         | Close(e) (CR closed/error, PR invalid)
/// H3  | Header     | deadline                                | Close(HeaderTimeout cR)
/// A1  | Assign     | Assigned                                | Connect → Connecting; deadline = now + timeout connect
/// A2  | Assign     | Queued                                  | → Queued; deadline = now + timeout queue (default: timeout connect)
/// A3  | Assign     | NoServer                                | Close(NoServer SC)
/// A4  | Assign     | QueueFull                               | Close(QueueFull PQ)
/// Q1  | Queued     | Granted                                 | Connect → Connecting (the queue time counts in Tw)
/// Q2  | Queued     | deadline                                | CancelQueue (answered by Cancelled, or Granted if a slot won)
/// Q3  | Queued     | Cancelled                               | Close(QueueTimeout sQ)
/// C1  | Connecting | Connected                               | StartData → Data; idle deadline
/// C2  | Connecting | deadline                                | AbortConnect (answered by ConnectFailed, counted as a timeout)
/// C3  | Connecting | ConnectFailed, no retry left            | ConnectError; Close(ConnectRefused SC / ConnectTimeout sC)
/// C4  | Connecting | ConnectFailed, retries left, redispatch | ConnectError, Retry(redispatch), Acquire(avoid) → Assign
///     |            |   due, no pause                         |
/// C5  | Connecting | ConnectFailed, retries left, no pause   | ConnectError, Retry, Connect → Connecting (the same server)
/// C6  | Connecting | ConnectFailed, retries left, pause      | ConnectError, Retry[(redispatch)] → RetryWait; deadline = now + min(timeout connect, 1 s)
/// W1  | RetryWait  | deadline                                | Connect → Connecting, or Acquire(avoid) → Assign when the retry redispatches
/// D1  | Data       | SourceEnded(dir), other direction open  | HalfClose(dir); the fin timeouts replace the idle ones
/// D2  | Data       | SourceEnded(dir), other already ended   | Close(Completed --)
/// D3  | Data       | Failed(side)                            | Close(ClientAbort CD / ServerAbort SD)
/// D4  | Data       | deadline, idle ≥ timeout                | Close(ClientTimeout cD / ServerTimeout sD)
/// D5  | Data       | deadline, idle &lt; timeout                | deadline = last activity + timeout
/// X1  | any open   | Kill(e)                                 | [CancelQueue if Queued] Close(e: K, D or I, in the current phase)
/// X2  | Closed     | anything                                | ignored
/// </code>
/// <para>Retries follow HAProxy 2.6 (<c>back_handle_st_cer</c>, <c>stream_choose_redispatch</c>): with
/// <c>option redispatch</c> and another server usable, a retry goes to another server when the failed
/// one is down, on the last retry, or at once when the balancer is roundrobin or random and several
/// servers are up; otherwise it retries the same server. It pauses min(<c>timeout connect</c>, 1 s)
/// first after a connection error (not after a timeout), unless it redispatches over roundrobin or
/// random with several servers up.</para>
/// <para>The idle timeout of the data phase is <c>timeout tunnel</c> if set, else the smaller of
/// <c>timeout client</c> and <c>timeout server</c> (its side names the cause); once one direction has
/// ended, <c>timeout client-fin</c> and <c>server-fin</c> replace them where set.</para>
/// </remarks>
internal sealed class SessionMachine
{
    private static readonly TimeSpan MaxRetryPause = TimeSpan.FromSeconds(1);

    private readonly FrontendOptions _fe;
    private readonly BackendOptions _be;
    private TimeSpan? _deadline;
    private TimeSpan _queuedSince;
    private TimeSpan _queued;
    private TimeSpan _connectStart;
    private TimeSpan _queuedAtConnectStart;
    private bool _connectAborted;
    private bool _redispatchAfterPause;
    private byte _ended; // bit 1: client → server, bit 2: server → client

    public SessionMachine(FrontendOptions frontend, BackendOptions backend)
    {
        _fe = frontend;
        _be = backend;
    }

    public SessionState State { get; private set; }

    /// <summary>How it ended (<see cref="SessionEnd.None"/> while open).</summary>
    public Termination Termination { get; private set; } = new(SessionEnd.None, SessionPhase.None);

    public bool IsClosed => State == SessionState.Closed;

    /// <summary>Whether it became a backend session (past the PROXY header, if any).</summary>
    public bool IsSession { get; private set; }

    /// <summary>Connection attempts that failed and were retried (tcplog's retries).</summary>
    public int Retries { get; private set; }

    /// <summary>Whether a retry went to another server (tcplog's "+" before the retries).</summary>
    public bool Redispatched { get; private set; }

    /// <summary>tcplog's Tw: milliseconds spent in queues; -1 when no server was asked for.</summary>
    public long QueueMs { get; private set; } = -1;

    /// <summary>tcplog's Tc: milliseconds to connect, retries included, queues excluded; -1 if never connected.</summary>
    public long ConnectMs { get; private set; } = -1;

    /// <summary>Whether a direction has ended (half-closed).</summary>
    public bool HalfClosed => _ended != 0;

    /// <summary>The earliest stored deadline, or <see langword="null"/> when none is armed.</summary>
    public TimeSpan? NextDeadline => _deadline;

    /// <summary>The current phase (tcplog's second character for a kill).</summary>
    public SessionPhase Phase => State switch
    {
        SessionState.Header => SessionPhase.Request,
        SessionState.Connecting or SessionState.RetryWait => SessionPhase.Connect,
        SessionState.Data => SessionPhase.Data,
        _ => SessionPhase.Queue,
    };

    public void Handle(in SessionInput input, TimeSpan now, ref SessionActions actions)
    {
        if (State == SessionState.Closed)
        {
            return; // X2
        }

        if (input.Kind == SessionInputKind.Kill)
        {
            // X1.
            if (State == SessionState.Queued)
            {
                actions.Add(SessionActionKind.CancelQueue);
            }

            Shutdown(input.End, now, ref actions);
            return;
        }

        switch (State)
        {
            case SessionState.Init when input.Kind == SessionInputKind.Start:
                if (_fe.AcceptProxy)
                {
                    State = SessionState.Header; // S1
                    _deadline = now + _fe.ClientTimeout;
                    actions.Add(SessionActionKind.ReadHeader);
                }
                else
                {
                    BecomeSession(now, ref actions); // S2
                }

                break;
            case SessionState.Header:
                if (input.Kind == SessionInputKind.HeaderRead)
                {
                    BecomeSession(now, ref actions); // H1
                }
                else if (input.Kind == SessionInputKind.HeaderFailed)
                {
                    Shutdown(input.End, now, ref actions); // H2
                }
                else if (input.Kind == SessionInputKind.Deadline && Due(now))
                {
                    Shutdown(SessionEnd.HeaderTimeout, now, ref actions); // H3
                }

                break;
            case SessionState.Assign:
                OnAssign(input.Kind, now, ref actions);
                break;
            case SessionState.Queued:
                if (input.Kind == SessionInputKind.Granted)
                {
                    _queued += now - _queuedSince; // Q1
                    Connect(now, ref actions);
                }
                else if (input.Kind == SessionInputKind.Deadline && Due(now))
                {
                    _deadline = null; // Q2
                    actions.Add(SessionActionKind.CancelQueue);
                }
                else if (input.Kind == SessionInputKind.Cancelled)
                {
                    Shutdown(SessionEnd.QueueTimeout, now, ref actions); // Q3 (Shutdown adds the time queued)
                }

                break;
            case SessionState.Connecting:
                OnConnecting(input, now, ref actions);
                break;
            case SessionState.RetryWait when input.Kind == SessionInputKind.Deadline && Due(now):
                if (_redispatchAfterPause)
                {
                    Acquire(avoid: true, ref actions); // W1
                }
                else
                {
                    Connect(now, ref actions); // W1
                }

                break;
            case SessionState.Data:
                OnData(input, now, ref actions);
                break;
        }
    }

    private void BecomeSession(TimeSpan now, ref SessionActions actions)
    {
        IsSession = true;
        QueueMs = 0;
        actions.Add(SessionActionKind.CountSession);
        Acquire(avoid: false, ref actions);
        _connectStart = now;
        _queuedAtConnectStart = _queued;
    }

    private void Acquire(bool avoid, ref SessionActions actions)
    {
        State = SessionState.Assign;
        _deadline = null;
        actions.Add(SessionActionKind.Acquire, avoid);
    }

    private void OnAssign(SessionInputKind kind, TimeSpan now, ref SessionActions actions)
    {
        switch (kind)
        {
            case SessionInputKind.Assigned:
                Connect(now, ref actions); // A1
                break;
            case SessionInputKind.Queued:
                State = SessionState.Queued; // A2
                _queuedSince = now;
                _deadline = now + (_be.QueueTimeout ?? _be.ConnectTimeout);
                break;
            case SessionInputKind.NoServer:
                Shutdown(SessionEnd.NoServer, now, ref actions); // A3
                break;
            case SessionInputKind.QueueFull:
                Shutdown(SessionEnd.QueueFull, now, ref actions); // A4
                break;
        }
    }

    private void Connect(TimeSpan now, ref SessionActions actions)
    {
        State = SessionState.Connecting;
        _connectAborted = false;
        _deadline = now + _be.ConnectTimeout;
        actions.Add(SessionActionKind.Connect);
    }

    private void OnConnecting(in SessionInput input, TimeSpan now, ref SessionActions actions)
    {
        switch (input.Kind)
        {
            case SessionInputKind.Connected:
                // C1.
                ConnectMs = Milliseconds(now - _connectStart - (_queued - _queuedAtConnectStart));
                State = SessionState.Data;
                _deadline = now + IdleTimeout(out _);
                actions.Add(SessionActionKind.StartData);
                break;
            case SessionInputKind.Deadline when Due(now) && !_connectAborted:
                // C2.
                _connectAborted = true;
                _deadline = null;
                actions.Add(SessionActionKind.AbortConnect);
                break;
            case SessionInputKind.ConnectFailed:
                bool timedOut = _connectAborted;
                actions.Add(SessionActionKind.ConnectError, timedOut);
                if (Retries >= _be.Retries)
                {
                    Shutdown(timedOut ? SessionEnd.ConnectTimeout : SessionEnd.ConnectRefused, now, ref actions); // C3
                    return;
                }

                Retries++;
                bool spread = _be.Balance is BalanceAlgorithm.RoundRobin or BalanceAlgorithm.Random
                    && (input.Facts & RetryFacts.SeveralServersUp) != 0;
                bool redispatch = _be.Redispatch && input.Flag
                    && ((input.Facts & RetryFacts.ServerDown) != 0 || Retries == _be.Retries || spread);
                Redispatched |= redispatch;
                actions.Add(SessionActionKind.Retry, redispatch);
                if (!timedOut && !(redispatch && spread))
                {
                    // C6.
                    State = SessionState.RetryWait;
                    _redispatchAfterPause = redispatch;
                    _deadline = now + (_be.ConnectTimeout < MaxRetryPause ? _be.ConnectTimeout : MaxRetryPause);
                }
                else if (redispatch)
                {
                    Acquire(avoid: true, ref actions); // C4
                }
                else
                {
                    Connect(now, ref actions); // C5
                }

                break;
        }
    }

    private void OnData(in SessionInput input, TimeSpan now, ref SessionActions actions)
    {
        switch (input.Kind)
        {
            case SessionInputKind.SourceEnded:
                byte bit = input.Flag ? (byte)1 : (byte)2;
                if ((_ended & bit) != 0)
                {
                    return;
                }

                _ended |= bit;
                if (_ended == 3)
                {
                    Shutdown(SessionEnd.Completed, now, ref actions); // D2
                    return;
                }

                actions.Add(SessionActionKind.HalfClose, input.Flag); // D1
                _deadline = now + IdleTimeout(out _);
                break;
            case SessionInputKind.Failed:
                Shutdown(input.Flag ? SessionEnd.ClientAbort : SessionEnd.ServerAbort, now, ref actions); // D3
                break;
            case SessionInputKind.Deadline when Due(now):
                var timeout = IdleTimeout(out bool clientSide);
                if (timeout is not { } t)
                {
                    _deadline = null;
                }
                else if (now - input.LastActivity >= t)
                {
                    Shutdown(clientSide ? SessionEnd.ClientTimeout : SessionEnd.ServerTimeout, now, ref actions); // D4
                }
                else
                {
                    _deadline = input.LastActivity + t; // D5
                }

                break;
        }
    }

    /// <summary>Ends the session once: records the termination and asks for the close.</summary>
    private void Shutdown(SessionEnd end, TimeSpan now, ref SessionActions actions)
    {
        if (State == SessionState.Queued)
        {
            _queued += now - _queuedSince;
        }

        var phase = TerminationFacts.FixedPhase(end) ?? Phase;
        Termination = new Termination(end, phase);
        if (IsSession)
        {
            QueueMs = Milliseconds(_queued);
        }

        State = SessionState.Closed;
        _deadline = null;
        actions.Add(SessionActionKind.Close, TerminationFacts.Abortive(end));
    }

    private bool Due(TimeSpan now) => _deadline is { } d && now >= d;

    /// <summary>The data phase's inactivity bound; <paramref name="clientSide"/> names the side it times out.</summary>
    private TimeSpan? IdleTimeout(out bool clientSide)
    {
        TimeSpan? client = _fe.ClientTimeout;
        TimeSpan? server = _be.ServerTimeout;
        if (_be.TunnelTimeout is { } tunnel)
        {
            client = tunnel;
            server = tunnel;
        }

        if (_ended != 0)
        {
            client = _fe.ClientFinTimeout ?? client;
            server = _be.ServerFinTimeout ?? server;
        }

        if (client is { } c && (server is not { } s || c <= s))
        {
            clientSide = true;
            return c;
        }

        clientSide = false;
        return server;
    }

    private static long Milliseconds(TimeSpan span) => Math.Max(0, (long)span.TotalMilliseconds);
}
