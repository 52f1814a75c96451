using Microsoft.Extensions.Logging;

namespace Ha.Net.Proxy.Connections;

internal sealed partial class ProxySession
{
    private static partial class Log
    {
        /// <summary>
        /// One line per closed connection with HAProxy's <c>option tcplog</c> fields:
        /// <c>%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq</c>
        /// (-1 for a timer whose phase was not reached; bytes_read is server→client).
        /// </summary>
        [LoggerMessage(EventId = 3001, EventName = "ConnectionClosed", Level = LogLevel.Information, SkipEnabledCheck = true,
            Message = "{ClientAddress}:{ClientPort} [{AcceptDate:dd/MMM/yyyy:HH:mm:ss.fff}] {Frontend} {Backend}/{Server} " +
            "{QueueMs}/{ConnectMs}/{TotalMs} {BytesRead} {TerminationState} " +
            "{ActiveConnections}/{FrontendConnections}/{BackendConnections}/{ServerConnections}/{Retries} " +
            "{ServerQueue}/{BackendQueue} (bytes_uploaded {BytesUploaded})")]
        private static partial void ConnectionClosedCore(
            ILogger logger, string clientAddress, int clientPort, DateTimeOffset acceptDate, string frontend, string backend,
            string server, long queueMs, long connectMs, long totalMs, long bytesRead, string terminationState,
            long activeConnections, long frontendConnections, long backendConnections, int serverConnections, string retries,
            int serverQueue, int backendQueue, long bytesUploaded);

        public static void ConnectionClosed(
            ILogger logger, string clientAddress, int clientPort, DateTimeOffset acceptDate, string frontend, string backend,
            string server, long queueMs, long connectMs, long totalMs, long bytesRead, long bytesUploaded, string terminationState,
            long activeConnections, long frontendConnections, long backendConnections, int serverConnections, string retries,
            int serverQueue, int backendQueue)
            => ConnectionClosedCore(logger, clientAddress, clientPort, acceptDate, frontend, backend, server, queueMs, connectMs,
                totalMs, bytesRead, terminationState, activeConnections, frontendConnections, backendConnections, serverConnections,
                retries, serverQueue, backendQueue, bytesUploaded);

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
