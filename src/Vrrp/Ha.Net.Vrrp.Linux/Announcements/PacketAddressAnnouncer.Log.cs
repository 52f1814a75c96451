using System.Net;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Vrrp.Linux.Announcements;

internal sealed partial class PacketAddressAnnouncer
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2300, Level = LogLevel.Debug, Message = "Sent gratuitous ARP / unsolicited NA for {Address} on {Interface}")]
        public static partial void Sent(ILogger logger, IPAddress address, string @interface);
    }
}
