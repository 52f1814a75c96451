namespace Ha.Net.Proxy.Connections.Session;

/// <summary>
/// Why a session ended: one value per way out, each with HAProxy's termination cause (the first
/// character of tcplog's termination state), whether the sockets close with a reset, and the counters it
/// moves (<see cref="TerminationFacts"/>). The phase (the second character) comes from where the session was.
/// </summary>
internal enum SessionEnd : byte
{
    /// <summary>Still running.</summary>
    None,

    /// <summary><c>--</c>: both directions ended normally.</summary>
    Completed,

    /// <summary><c>CR</c>: the client closed before its PROXY header was complete (orderly close).</summary>
    HeaderClosed,

    /// <summary><c>CR</c>: reading the PROXY header failed (reset).</summary>
    HeaderError,

    /// <summary><c>PR</c>: what came is not a valid PROXY header (reset).</summary>
    HeaderInvalid,

    /// <summary><c>cR</c>: <c>timeout client</c> struck before the PROXY header was complete.</summary>
    HeaderTimeout,

    /// <summary><c>SC</c>: no server is usable (counted in <c>dreq</c>).</summary>
    NoServer,

    /// <summary><c>PQ</c>: every server is full and the queue is at <c>maxqueue</c> (counted in <c>dreq</c>).</summary>
    QueueFull,

    /// <summary><c>sQ</c>: <c>timeout queue</c> struck before a slot came free.</summary>
    QueueTimeout,

    /// <summary><c>SC</c>: the last connection attempt was refused or failed.</summary>
    ConnectRefused,

    /// <summary><c>sC</c>: the last connection attempt timed out (<c>timeout connect</c>).</summary>
    ConnectTimeout,

    /// <summary><c>CD</c>: the client reset or failed during the data phase (counted in <c>cli_abrt</c>).</summary>
    ClientAbort,

    /// <summary><c>SD</c>: the server reset or failed during the data phase (counted in <c>srv_abrt</c>).</summary>
    ServerAbort,

    /// <summary><c>cD</c>: <c>timeout client</c> (or client-fin, tunnel) of inactivity.</summary>
    ClientTimeout,

    /// <summary><c>sD</c>: <c>timeout server</c> (or server-fin, tunnel) of inactivity.</summary>
    ServerTimeout,

    /// <summary><c>K?</c>: killed by the administrator (<c>shutdown sessions</c>, hard stop).</summary>
    Killed,

    /// <summary><c>D?</c>: the server was marked down with <c>on-marked-down shutdown-sessions</c>.</summary>
    ServerDown,

    /// <summary><c>I?</c>: an internal error.</summary>
    Internal,
}

/// <summary>HAProxy's session phase, tcplog's second termination character.</summary>
internal enum SessionPhase : byte
{
    /// <summary><c>-</c>: the session ended normally.</summary>
    None = (byte)'-',

    /// <summary><c>R</c>: waiting for the client's PROXY header.</summary>
    Request = (byte)'R',

    /// <summary><c>Q</c>: waiting in a queue (also before the first server is picked).</summary>
    Queue = (byte)'Q',

    /// <summary><c>C</c>: connecting to a server.</summary>
    Connect = (byte)'C',

    /// <summary><c>D</c>: forwarding data.</summary>
    Data = (byte)'D',
}

/// <summary>A typed termination state: why (<see cref="End"/>) and where (<see cref="Phase"/>).</summary>
internal readonly record struct Termination(SessionEnd End, SessionPhase Phase)
{
    /// <summary>tcplog's two characters (<c>--</c>, <c>CD</c>, <c>sQ</c>, ...).</summary>
    public string Code => End == SessionEnd.None ? "--" : string.Create(2, this, static (span, t) =>
    {
        span[0] = TerminationFacts.Cause(t.End);
        span[1] = (char)(byte)t.Phase;
    });

    public override string ToString() => Code;
}

/// <summary>What each <see cref="SessionEnd"/> means, in one place.</summary>
internal static class TerminationFacts
{
    /// <summary>tcplog's first character.</summary>
    public static char Cause(SessionEnd end) => end switch
    {
        SessionEnd.None or SessionEnd.Completed => '-',
        SessionEnd.HeaderClosed or SessionEnd.HeaderError or SessionEnd.ClientAbort => 'C',
        SessionEnd.HeaderInvalid or SessionEnd.QueueFull => 'P',
        SessionEnd.HeaderTimeout or SessionEnd.ClientTimeout => 'c',
        SessionEnd.NoServer or SessionEnd.ConnectRefused or SessionEnd.ServerAbort => 'S',
        SessionEnd.QueueTimeout or SessionEnd.ConnectTimeout or SessionEnd.ServerTimeout => 's',
        SessionEnd.Killed => 'K',
        SessionEnd.ServerDown => 'D',
        _ => 'I',
    };

    /// <summary>The phase an end always happens in, or <see langword="null"/> when it is wherever the session was.</summary>
    public static SessionPhase? FixedPhase(SessionEnd end) => end switch
    {
        SessionEnd.Completed => SessionPhase.None,
        SessionEnd.HeaderClosed or SessionEnd.HeaderError or SessionEnd.HeaderInvalid or SessionEnd.HeaderTimeout => SessionPhase.Request,
        SessionEnd.QueueFull or SessionEnd.QueueTimeout => SessionPhase.Queue,
        SessionEnd.NoServer or SessionEnd.ConnectRefused or SessionEnd.ConnectTimeout => SessionPhase.Connect,
        SessionEnd.ClientAbort or SessionEnd.ServerAbort or SessionEnd.ClientTimeout or SessionEnd.ServerTimeout => SessionPhase.Data,
        _ => null,
    };

    /// <summary>Whether the sockets close with a reset (SO_LINGER 0) rather than a FIN: errors, invalid
    /// input and kills reset; normal ends, timeouts and refusals close in order, as in HAProxy.</summary>
    public static bool Abortive(SessionEnd end) => end is SessionEnd.HeaderError or SessionEnd.HeaderInvalid
        or SessionEnd.ClientAbort or SessionEnd.ServerAbort or SessionEnd.Killed or SessionEnd.ServerDown or SessionEnd.Internal;

    /// <summary>Counted in <c>dreq</c> (and the rejected-connections metric).</summary>
    public static bool Denied(SessionEnd end) => end is SessionEnd.NoServer or SessionEnd.QueueFull;

    /// <summary>Whether the session never became a backend session (no PROXY header): HAProxy logs a
    /// connection error line instead of a tcplog line.</summary>
    public static bool BeforeSession(SessionEnd end) =>
        end is SessionEnd.HeaderClosed or SessionEnd.HeaderError or SessionEnd.HeaderInvalid or SessionEnd.HeaderTimeout;
}
