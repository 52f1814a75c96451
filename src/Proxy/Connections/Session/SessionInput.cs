using System.Runtime.CompilerServices;

namespace Ha.Net.Proxy.Connections.Session;

/// <summary>What happened to a session (see the table on <see cref="SessionMachine"/>).</summary>
internal enum SessionInputKind : byte
{
    /// <summary>The connection was accepted.</summary>
    Start,

    /// <summary>The client's PROXY header was read.</summary>
    HeaderRead,

    /// <summary>The PROXY header wait ended without one (<see cref="SessionInput.End"/> says how).</summary>
    HeaderFailed,

    /// <summary>The backend gave a server slot.</summary>
    Assigned,

    /// <summary>Every usable server is full: the session waits in a queue.</summary>
    Queued,

    /// <summary>No server is usable.</summary>
    NoServer,

    /// <summary>Every usable server is full and the queue is at its bound.</summary>
    QueueFull,

    /// <summary>A queued session was given a server slot.</summary>
    Granted,

    /// <summary>A queued session was taken out of its queue without a slot.</summary>
    Cancelled,

    /// <summary>The connection to the server is established.</summary>
    Connected,

    /// <summary>The connection attempt failed (refused, unreachable, or cut after a timeout);
    /// <see cref="SessionInput.Flag"/>: another server is usable (for redispatch); <see cref="SessionInput.Facts"/>:
    /// whether the failed server is down and whether several servers are up.</summary>
    ConnectFailed,

    /// <summary>A direction's source ended and all it sent went out; <see cref="SessionInput.Flag"/>: client → server.</summary>
    SourceEnded,

    /// <summary>A socket failed (reset, error) in the data phase; <see cref="SessionInput.Flag"/>: the client's.</summary>
    Failed,

    /// <summary>The earliest deadline came (<see cref="SessionMachine.NextDeadline"/>); <see cref="SessionInput.LastActivity"/>
    /// is when data last moved.</summary>
    Deadline,

    /// <summary>Ended from outside (<see cref="SessionInput.End"/>: killed, server down, internal error).</summary>
    Kill,
}

/// <summary>One input to <see cref="SessionMachine.Handle"/>.</summary>
internal readonly record struct SessionInput(SessionInputKind Kind, bool Flag = false, SessionEnd End = SessionEnd.None, TimeSpan LastActivity = default, RetryFacts Facts = RetryFacts.None)
{
    public static SessionInput Of(SessionInputKind kind) => new(kind);
}

/// <summary>What the backend says, with a failed connection attempt, about where a retry may go
/// (HAProxy's <c>cur_state &lt; SRV_ST_RUNNING</c> and <c>srv_act &gt; 1</c>).</summary>
[Flags]
internal enum RetryFacts : byte
{
    /// <summary>Neither.</summary>
    None = 0,

    /// <summary>The failed server is marked down or in maintenance.</summary>
    ServerDown = 1,

    /// <summary>More than one active (non-backup) server is usable, the failed one included.</summary>
    SeveralServersUp = 2,
}

/// <summary>What the session driver must do, in order.</summary>
internal enum SessionActionKind : byte
{
    /// <summary>Read the client's PROXY header (and report <see cref="SessionInputKind.HeaderRead"/> or <see cref="SessionInputKind.HeaderFailed"/>).</summary>
    ReadHeader,

    /// <summary>Count the session in the backend (it became one).</summary>
    CountSession,

    /// <summary>Ask the backend for a server slot (<see cref="SessionAction.Flag"/>: avoid the server that just failed)
    /// and report the outcome.</summary>
    Acquire,

    /// <summary>Take the session out of its queue (report <see cref="SessionInputKind.Cancelled"/>, or
    /// <see cref="SessionInputKind.Granted"/> if a slot won the race).</summary>
    CancelQueue,

    /// <summary>Start a connection attempt to the assigned server.</summary>
    Connect,

    /// <summary>Cut the attempt in flight (timeout) and report it as <see cref="SessionInputKind.ConnectFailed"/>.</summary>
    AbortConnect,

    /// <summary>Count a failed attempt (<c>econ</c>, <c>observe layer4</c>); <see cref="SessionAction.Flag"/>: it timed out.</summary>
    ConnectError,

    /// <summary>Count a retry (<see cref="SessionAction.Flag"/>: to another server, a redispatch, which gives the slot back).</summary>
    Retry,

    /// <summary>Send the preface (PROXY header, early client data) and forward both ways.</summary>
    StartData,

    /// <summary>Pass a FIN on (<see cref="SessionAction.Flag"/>: to the server).</summary>
    HalfClose,

    /// <summary>Close both sides (<see cref="SessionAction.Flag"/>: with a reset) and finish: release, count, log.</summary>
    Close,
}

/// <summary>One action of <see cref="SessionMachine.Handle"/>.</summary>
internal readonly record struct SessionAction(SessionActionKind Kind, bool Flag = false);

/// <summary>The actions one input produced, in order (at most <see cref="Capacity"/>; no allocation).</summary>
internal struct SessionActions
{
    public const int Capacity = 4;
    private Buffer _items;

    public int Count { get; private set; }

    public readonly SessionAction this[int index] => index < Count ? _items[index] : throw new ArgumentOutOfRangeException(nameof(index));

    public void Add(SessionActionKind kind, bool flag = false) => _items[Count++] = new SessionAction(kind, flag);

    public void Clear() => Count = 0;

    public readonly SessionAction[] ToArray()
    {
        var result = new SessionAction[Count];
        for (int i = 0; i < Count; i++)
        {
            result[i] = _items[i];
        }

        return result;
    }

    [InlineArray(Capacity)]
    private struct Buffer
    {
        private SessionAction _first;
    }
}
