using System.Net;

namespace Ha.Net.Proxy.Connections;

/// <summary>
/// The two connections of one session, as the session drives them: read the client before the data
/// phase (the PROXY header), connect to a server, forward both ways with half-close, close. Outcomes come
/// back through the session's callbacks (<see cref="ProxySession.OnClientReceived"/>,
/// <see cref="ProxySession.OnConnected"/>, <see cref="ProxySession.OnSourceEnded"/>,
/// <see cref="ProxySession.OnFailed"/>), and bytes are counted with <see cref="ProxySession.CountBytes"/>.
/// </summary>
/// <remarks>
/// Implementations: <see cref="Epoll.EpollTransport"/> (Linux: an event loop, copies or splice(2)),
/// <see cref="SocketTransport"/> (.NET sockets, portable), and an in-memory one in the tests. A transport
/// calls back on the thread its events arrive on; the session serializes them. After <see cref="Close"/>
/// nothing of the transport's is used again.
/// </remarks>
internal interface ISessionTransport
{
    /// <summary>The client's address as accepted (before any PROXY header).</summary>
    IPEndPoint? ClientAddress { get; }

    /// <summary>The address the client connected to (for a PROXY header sent to the server).</summary>
    /// <exception cref="System.Net.Sockets.SocketException">The client's connection is gone.</exception>
    IPEndPoint GetFrontendAddress();

    /// <summary>Reads what the client sent into <paramref name="buffer"/>, waiting for it if nothing has come
    /// yet; completes with <see cref="ProxySession.OnClientReceived"/> (0 bytes: the client closed).</summary>
    void ReceiveClient(Memory<byte> buffer);

    /// <summary>Starts a connection attempt; completes with <see cref="ProxySession.OnConnected"/>.</summary>
    void Connect(IPEndPoint server);

    /// <summary>Cuts the attempt in flight: its socket is closed and it never completes.</summary>
    void AbortConnect();

    /// <summary>Starts the data phase: <paramref name="preface"/> (rented from the shared pool, given to the
    /// transport; may be <see langword="null"/>) goes to the server first, then both directions flow.</summary>
    void StartForwarding(byte[]? preface, int length);

    /// <summary>Passes a FIN on: to the server (<paramref name="toServer"/>) or to the client.</summary>
    void ShutdownWrite(bool toServer);

    /// <summary>Closes both connections, with a reset when <paramref name="abortive"/>, else in order.</summary>
    void Close(bool abortive);
}
