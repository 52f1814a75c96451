using Ha.Net.Vrrp.Addresses;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Vrrp.Linux.Addresses;

internal sealed partial class NetlinkAddressBinder
{
    private static partial class Log
    {
        // Debug, not Information: it is written between the address change and the gratuitous ARP, on the VRRP loop
        // thread; the router's own "(VI_1) setting VIPs." / "removing VIPs." lines (keepalived's) say it at Information,
        // after the frames are out (#18).
        [LoggerMessage(EventId = 2100, Level = LogLevel.Debug, Message = "Added {Address}")]
        public static partial void Added(ILogger logger, VirtualAddress address);

        [LoggerMessage(EventId = 2101, Level = LogLevel.Debug, Message = "{Address} is already present")]
        public static partial void AlreadyPresent(ILogger logger, VirtualAddress address);

        [LoggerMessage(EventId = 2102, Level = LogLevel.Debug, Message = "Removed {Address}")]
        public static partial void Removed(ILogger logger, VirtualAddress address);

        [LoggerMessage(EventId = 2103, Level = LogLevel.Debug, Message = "{Address} is already absent ({Why})")]
        public static partial void AlreadyAbsent(ILogger logger, VirtualAddress address, string why);

        [LoggerMessage(EventId = 2104, Level = LogLevel.Warning, Message = "Removed stale {Address} left by a previous run")]
        public static partial void RemovedStale(ILogger logger, VirtualAddress address);

        [LoggerMessage(EventId = 2105, Level = LogLevel.Warning, Message = "{Address} was deleted by something else (restored: {Restored})")]
        public static partial void RemovedExternally(ILogger logger, VirtualAddress address, bool restored);

        [LoggerMessage(EventId = 2106, Level = LogLevel.Error, Message = "Could not restore {Address}")]
        public static partial void RestoreFailed(ILogger logger, VirtualAddress address, Exception exception);

        [LoggerMessage(EventId = 2107, Level = LogLevel.Warning, Message = "Address notifications were lost (ENOBUFS); re-reading the address list")]
        public static partial void Resync(ILogger logger);

        [LoggerMessage(EventId = 2108, Level = LogLevel.Error, Message = "A RemovedExternally handler threw")]
        public static partial void HandlerFailed(ILogger logger, Exception exception);
    }
}
