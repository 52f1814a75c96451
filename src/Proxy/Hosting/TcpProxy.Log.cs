using System.Net;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Proxy.Hosting;

internal sealed partial class TcpProxy
{
    private static partial class Log
    {
        // One line per health transition, HAProxy's: "Server be/s is DOWN, reason: Layer4 connection problem,
        // info: "Connection refused", check duration: 0ms. ..." ({Reason} is built by ServerHealthChecks.Reason;
        // the health monitors' own lines for the same transition are filtered out there).
        [LoggerMessage(EventId = 3020, EventName = "ServerDown", Level = LogLevel.Warning,
            Message = "Server {Backend}/{Server} is DOWN, reason: {Reason}. {Remaining} active servers left. {Active} sessions active")]
        public static partial void ServerDown(ILogger logger, string backend, string server, string reason, int remaining, int active);

        [LoggerMessage(EventId = 3021, EventName = "ServerUp", Level = LogLevel.Warning,
            Message = "Server {Backend}/{Server} is UP, reason: {Reason}. {Remaining} active servers online")]
        public static partial void ServerUp(ILogger logger, string backend, string server, string reason, int remaining);

        [LoggerMessage(EventId = 3022, EventName = "BackendHasNoServer", Level = LogLevel.Error,
            Message = "backend {Backend} has no server available!")]
        public static partial void BackendHasNoServer(ILogger logger, string backend);

        [LoggerMessage(EventId = 3023, EventName = "AdminStateChanged", Level = LogLevel.Warning,
            Message = "Server {Backend}/{Server} is going {State} by admin request")]
        public static partial void AdminStateChanged(ILogger logger, string backend, string server, string state);

        [LoggerMessage(EventId = 3024, EventName = "ServerAdded", Level = LogLevel.Information,
            Message = "New server {Backend}/{Server} ({Address}) added")]
        public static partial void ServerAdded(ILogger logger, string backend, string server, IPEndPoint address);

        [LoggerMessage(EventId = 3025, EventName = "ServerRemoved", Level = LogLevel.Information,
            Message = "Server {Backend}/{Server} removed; its live connections run to their end")]
        public static partial void ServerRemoved(ILogger logger, string backend, string server);

        [LoggerMessage(EventId = 3030, EventName = "Stopping", Level = LogLevel.Information,
            Message = "Stopping {Count} frontends; waiting for live connections to finish")]
        public static partial void Stopping(ILogger logger, int count);

        [LoggerMessage(EventId = 3031, EventName = "HardStop", Level = LogLevel.Warning,
            Message = "Hard stop: killed {Count} connections still open")]
        public static partial void HardStop(ILogger logger, int count);

        [LoggerMessage(EventId = 3032, EventName = "Reloaded", Level = LogLevel.Information,
            Message = "Configuration applied: {Frontends} frontends, {Backends} backends")]
        public static partial void Reloaded(ILogger logger, int frontends, int backends);
    }
}
