using System.Net.Sockets;

namespace Ha.Net.Proxy.Connections;

/// <summary>
/// The outcome of one socket operation: bytes transferred, or the error. Resets and aborts are
/// ordinary events on a proxy's data path, so they travel as values, not exceptions.
/// </summary>
internal readonly struct SocketResult
{
    public SocketResult(int bytesTransferred)
    {
        BytesTransferred = bytesTransferred;
        Error = SocketError.Success;
    }

    public SocketResult(SocketError error)
    {
        BytesTransferred = 0;
        Error = error;
    }

    public int BytesTransferred { get; }

    public SocketError Error { get; }

    public bool HasError => Error != SocketError.Success;

    /// <summary>The peer reset or the connection died under us (as opposed to our own abort).</summary>
    public bool IsReset => Error is SocketError.ConnectionReset or SocketError.ConnectionAborted
        or SocketError.Shutdown or SocketError.NetworkReset or SocketError.HostUnreachable
        or SocketError.NetworkUnreachable or SocketError.TimedOut;

    /// <summary>The operation was cancelled because we closed the socket.</summary>
    public bool IsLocalAbort => Error is SocketError.OperationAborted or SocketError.Interrupted
        or SocketError.NotSocket or SocketError.Disconnecting;
}
