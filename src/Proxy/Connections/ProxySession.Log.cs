using System.Globalization;
using Ha.Net.Proxy.Connections.Session;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Proxy.Connections;

internal sealed partial class ProxySession
{
    /// <summary>After the close: every session passes here exactly once to give back its slot, count how it
    /// ended (from its <see cref="Termination"/>) and log it.</summary>
    private void Finish()
    {
        _timer?.Dispose();
        var termination = _machine.Termination;
        var end = termination.End;
        var server = _serverState;
        if (end == SessionEnd.ClientAbort)
        {
            Interlocked.Increment(ref _frontend.Counters.ClientAborts);
            Interlocked.Increment(ref _backend.Counters.ClientAborts);
            if (server is not null)
            {
                Interlocked.Increment(ref server.Counters.ClientAborts);
            }
        }
        else if (end == SessionEnd.ServerAbort)
        {
            Interlocked.Increment(ref _backend.Counters.ServerAborts);
            if (server is not null)
            {
                Interlocked.Increment(ref server.Counters.ServerAborts);
            }
        }
        else if (TerminationFacts.Denied(end))
        {
            Interlocked.Increment(ref _backend.Counters.DeniedConnections);
            _runtime.Metrics.Rejected(_frontend.Name, _backend.Name, end == SessionEnd.NoServer ? "no_server" : "queue_full");
        }

        string serverName = server?.Name ?? "<NOSRV>";
        if (_waiter is { } waiter)
        {
            // Still in a queue: a kill from another thread came in between the backend queueing the
            // session and the machine hearing of it (X1 in Assign, so no CancelQueue). A slot granted
            // meanwhile is given back when the answer arrives (TakeQueueAnswer).
            _backend.TryCancel(waiter);
        }

        ReleaseServer();
        ReleaseEarlyData();
        ReleaseHeader();
        long totalMs = ElapsedMs(_acceptTimestamp);
        if (_machine.IsSession)
        {
            _backend.Counters.SessionEnded(Math.Max(0, _machine.QueueMs), Math.Max(0, _machine.ConnectMs), totalMs);
        }

        // tcplog's %ac and %fc count this connection (it is still open on the process and the frontend when
        // HAProxy logs it); %bc and %sc do not (the stream has left the backend and the server by then).
        long activeConnections = _runtime.ActiveConnections;
        long frontendConnections = Volatile.Read(ref _frontend.Counters.CurrentSessions);
        int serverConnections = server?.Active ?? 0;
        _frontend.OnSessionClosed(this, totalMs);
        string code = termination.Code;
        _runtime.Metrics.ConnectionClosed(_frontend.Name, _backend.Name, code, totalMs / 1000.0);
        if (!_machine.IsSession)
        {
            // It never became a backend session (no PROXY header): HAProxy's connection error line
            // instead of a tcplog line.
            LogHeaderFailure();
            return;
        }

        // option dontlognull: a connection on which the client sent nothing is not logged.
        if (_runtime.Logger.IsEnabled(LogLevel.Information) && !(_bytesIn == 0 && _frontend.Options.DontLogNull))
        {
            var client = _remote;
            int retries = _machine.Retries;
            Log.ConnectionClosed(
                _runtime.Logger,
                client?.Address.ToString() ?? "-",
                client?.Port ?? 0,
                _acceptDate,
                _frontend.Name,
                _backend.Name,
                serverName,
                _machine.QueueMs,
                _machine.ConnectMs,
                totalMs,
                _bytesOut,
                _bytesIn,
                code,
                activeConnections,
                frontendConnections,
                Volatile.Read(ref _backend.Counters.CurrentSessions),
                serverConnections,
                _machine.Redispatched ? "+" + retries.ToString(CultureInfo.InvariantCulture) : retries.ToString(CultureInfo.InvariantCulture),
                _serverQueuePosition,
                _backendQueuePosition);
        }
    }

    private static partial class Log
    {
        /// <summary>
        /// One line per closed connection, exactly HAProxy's <c>option tcplog</c>:
        /// <c>%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq</c>
        /// (-1 for a timer whose phase was not reached; bytes_read is server→client). The fields, and the
        /// client→server bytes (<c>BytesUploaded</c>, not on HAProxy's line), are the state's named values.
        /// </summary>
        public static void ConnectionClosed(
            ILogger logger, string clientAddress, int clientPort, DateTimeOffset acceptDate, string frontend, string backend,
            string server, long queueMs, long connectMs, long totalMs, long bytesRead, long bytesUploaded, string terminationState,
            long activeConnections, long frontendConnections, long backendConnections, int serverConnections, string retries,
            int serverQueue, int backendQueue)
            => logger.Log(LogLevel.Information, ConnectionClosedEvent,
                new TcpLogLine(clientAddress, clientPort, acceptDate, frontend, backend, server, queueMs, connectMs, totalMs, bytesRead,
                    terminationState, activeConnections, frontendConnections, backendConnections, serverConnections, retries,
                    serverQueue, backendQueue, bytesUploaded),
                null, static (line, _) => line.ToString());

        private static readonly EventId ConnectionClosedEvent = new(3001, "ConnectionClosed");

        /// <summary>An <c>accept-proxy</c> connection closed without a valid PROXY header, in
        /// HAProxy's words: <c>%ci:%cp [%t] %ft: reason</c>.</summary>
        [LoggerMessage(EventId = 3003, EventName = "ProxyHeaderFailed", Level = LogLevel.Information, SkipEnabledCheck = true,
            Message = "{ClientAddress}:{ClientPort} [{AcceptDate:dd/MMM/yyyy:HH:mm:ss.fff}] {Frontend}: {Reason}")]
        private static partial void ProxyHeaderFailedCore(ILogger logger, string clientAddress, int clientPort, DateTimeOffset acceptDate, string frontend, string reason);

        public static void ProxyHeaderFailed(ILogger logger, string clientAddress, int clientPort, DateTimeOffset acceptDate, string frontend, string reason)
            => ProxyHeaderFailedCore(logger, clientAddress, clientPort, acceptDate, frontend, reason);

        [LoggerMessage(EventId = 3002, EventName = "SessionFailed", Level = LogLevel.Error,
            Message = "Frontend {Frontend}: connection failed unexpectedly")]
        public static partial void SessionFailed(ILogger logger, string frontend, Exception exception);
    }
}

/// <summary>The state of a tcplog line: HAProxy's text from <see cref="ToString"/>, its fields by name.</summary>
internal readonly struct TcpLogLine(
    string clientAddress, int clientPort, DateTimeOffset acceptDate, string frontend, string backend, string server,
    long queueMs, long connectMs, long totalMs, long bytesRead, string terminationState, long activeConnections,
    long frontendConnections, long backendConnections, int serverConnections, string retries, int serverQueue,
    int backendQueue, long bytesUploaded) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private const string Format =
        "{ClientAddress}:{ClientPort} [{AcceptDate:dd/MMM/yyyy:HH:mm:ss.fff}] {Frontend} {Backend}/{Server} " +
        "{QueueMs}/{ConnectMs}/{TotalMs} {BytesRead} {TerminationState} " +
        "{ActiveConnections}/{FrontendConnections}/{BackendConnections}/{ServerConnections}/{Retries} {ServerQueue}/{BackendQueue}";

    public int Count => 20;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("ClientAddress", clientAddress),
        1 => new("ClientPort", clientPort),
        2 => new("AcceptDate", acceptDate),
        3 => new("Frontend", frontend),
        4 => new("Backend", backend),
        5 => new("Server", server),
        6 => new("QueueMs", queueMs),
        7 => new("ConnectMs", connectMs),
        8 => new("TotalMs", totalMs),
        9 => new("BytesRead", bytesRead),
        10 => new("TerminationState", terminationState),
        11 => new("ActiveConnections", activeConnections),
        12 => new("FrontendConnections", frontendConnections),
        13 => new("BackendConnections", backendConnections),
        14 => new("ServerConnections", serverConnections),
        15 => new("Retries", retries),
        16 => new("ServerQueue", serverQueue),
        17 => new("BackendQueue", backendQueue),
        18 => new("BytesUploaded", bytesUploaded),
        19 => new("{OriginalFormat}", Format),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (int i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{clientAddress}:{clientPort} [{acceptDate:dd/MMM/yyyy:HH:mm:ss.fff}] {frontend} {backend}/{server} " +
        $"{queueMs}/{connectMs}/{totalMs} {bytesRead} {terminationState} " +
        $"{activeConnections}/{frontendConnections}/{backendConnections}/{serverConnections}/{retries} {serverQueue}/{backendQueue}");
}
