namespace Ha.Net.Proxy.Connections.Session;

/// <summary>Where a <see cref="SessionMachine"/> is.</summary>
internal enum SessionState : byte
{
    /// <summary>Accepted, not started.</summary>
    Init,

    /// <summary>Waiting for the client's PROXY header.</summary>
    Header,

    /// <summary>Asking the backend for a server slot.</summary>
    Assign,

    /// <summary>Waiting in a queue for a slot.</summary>
    Queued,

    /// <summary>A connection attempt is in flight.</summary>
    Connecting,

    /// <summary>Pausing before retrying the same server.</summary>
    RetryWait,

    /// <summary>Forwarding both ways.</summary>
    Data,

    /// <summary>Ended.</summary>
    Closed,
}
