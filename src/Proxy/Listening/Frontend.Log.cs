using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Proxy.Listening;

internal sealed partial class Frontend
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 3010, EventName = "Listening", Level = LogLevel.Information,
            Message = "Proxy {Frontend} started, listening on {EndPoint}")]
        public static partial void Listening(ILogger logger, string frontend, IPEndPoint endPoint);

        [LoggerMessage(EventId = 3011, EventName = "AcceptFailed", Level = LogLevel.Warning,
            Message = "Proxy {Frontend}: accept failed ({Error}); retrying in 100 ms")]
        public static partial void AcceptFailed(ILogger logger, string frontend, SocketError error);

        /// <summary>HAProxy's words (listener.c) when accept() runs out of descriptors or memory.</summary>
        [LoggerMessage(EventId = 3012, EventName = "AcceptLimit", Level = LogLevel.Critical,
            Message = "Proxy {Frontend} reached {What} limit (maxsock={MaxSock}). Please check {Advice}.")]
        public static partial void AcceptLimit(ILogger logger, string frontend, string what, long maxSock, string advice);
    }
}
