using Microsoft.Extensions.Logging;

namespace Ha.Net.Vrrp.Linux.Links;

internal sealed partial class LinkStateMonitor
{
    private static partial class Log
    {
        // keepalived: "Netlink reports eth0 down" / "Netlink reports eth0 up".
        [LoggerMessage(EventId = 2200, Level = LogLevel.Information, Message = "Netlink reports {Interface} {State}")]
        public static partial void Changed(ILogger logger, string @interface, string state);

        [LoggerMessage(EventId = 2201, Level = LogLevel.Warning, Message = "Link notifications were lost (ENOBUFS); re-reading the link list")]
        public static partial void Resync(ILogger logger);

        [LoggerMessage(EventId = 2202, Level = LogLevel.Error, Message = "A LinkStateChanged handler threw")]
        public static partial void HandlerFailed(ILogger logger, Exception exception);
    }
}
