using Microsoft.Extensions.Logging;

namespace Ha.Net.HealthChecks.Scheduling;

internal sealed partial class TimerQueueScheduler
{
    internal static partial class Log
    {
        [LoggerMessage(EventId = 4000, Level = LogLevel.Warning, Message = "Health check {Name} is UP, reason: {Reason}, info: \"{Info}\", check duration: {DurationMs}ms.")]
        public static partial void Up(ILogger logger, string name, string reason, string? info, long durationMs);

        [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Health check {Name} is DOWN, reason: {Reason}, info: \"{Info}\", check duration: {DurationMs}ms.")]
        public static partial void Down(ILogger logger, string name, string reason, string? info, long durationMs);

        [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Health check {Name} is {State} (administrative override {Override}).")]
        public static partial void Forced(ILogger logger, string name, HealthState state, HealthOverride @override);

        [LoggerMessage(EventId = 4003, Level = LogLevel.Debug, Message = "Health check {Name}: {Result} ({Status}).")]
        public static partial void Completed(ILogger logger, string name, CheckResult result, string status);

        [LoggerMessage(EventId = 4004, Level = LogLevel.Error, Message = "Health probe of {Name} threw instead of returning a result.")]
        public static partial void ProbeThrew(ILogger logger, Exception exception, string name);

        [LoggerMessage(EventId = 4005, Level = LogLevel.Error, Message = "Health probe of {Name} ignored cancellation after its timeout of {TimeoutMs}ms; the check is abandoned.")]
        public static partial void ProbeAbandoned(ILogger logger, string name, long timeoutMs);

        [LoggerMessage(EventId = 4006, Level = LogLevel.Error, Message = "Health check {Name}: handling a {Kind} deadline failed.")]
        public static partial void DueEntryFailed(ILogger logger, Exception exception, string name, string kind);

        [LoggerMessage(EventId = 4008, Level = LogLevel.Warning, Message = "Health check {Name} could not run: this process is out of resources ({Error}); not counted against the target.")]
        public static partial void ProbeLocalFailure(ILogger logger, string name, string error);

        [LoggerMessage(EventId = 4007, Level = LogLevel.Error, Message = "Health check {Name}: a {Event} event handler threw.")]
        public static partial void HandlerThrew(ILogger logger, Exception exception, string name, string @event);
    }
}
