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
        // The tail is srv_append_status's (server.c): usable active and backup servers after the change,
        // " Running on backup." when only backups are left, then the sessions on the server, the sessions
        // requeued (taken off its queue when it went down, or taken from the backend queue when it came up)
        // and its queue.
        [LoggerMessage(EventId = 3020, EventName = "ServerDown", Level = LogLevel.Warning,
            Message = "Server {Backend}/{Server} is DOWN, reason: {Reason}. {ActiveServers} active and {BackupServers} backup servers left.{RunningOnBackup} " +
            "{Sessions} sessions active, {Requeued} requeued, {Queued} remaining in queue")]
        public static partial void ServerDown(ILogger logger, string backend, string server, string reason, int activeServers, int backupServers,
            string runningOnBackup, int sessions, int requeued, int queued);

        [LoggerMessage(EventId = 3021, EventName = "ServerUp", Level = LogLevel.Warning,
            Message = "Server {Backend}/{Server} is UP, reason: {Reason}. {ActiveServers} active and {BackupServers} backup servers online.{RunningOnBackup} " +
            "{Requeued} sessions requeued, {Queued} total in queue")]
        public static partial void ServerUp(ILogger logger, string backend, string server, string reason, int activeServers, int backupServers,
            string runningOnBackup, int requeued, int queued);

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

        // HAProxy's pause_listener/resume_listener lines (listener.c), warnings there too.
        [LoggerMessage(EventId = 3026, EventName = "FrontendPaused", Level = LogLevel.Warning,
            Message = "Paused Frontend {Frontend}.")]
        public static partial void FrontendPaused(ILogger logger, string frontend);

        [LoggerMessage(EventId = 3027, EventName = "FrontendResumed", Level = LogLevel.Warning,
            Message = "Resumed Frontend {Frontend}.")]
        public static partial void FrontendResumed(ILogger logger, string frontend);

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
