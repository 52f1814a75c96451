using System.Net;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Vrrp.Linux.Transport;

internal sealed partial class RawIPv4VrrpTransport
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "VRRP transport on {Interface} (index {Index}) from {Source}, {Mode}")]
        public static partial void Opened(ILogger logger, string @interface, int index, IPAddress source, string mode);

        [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "VRRP packet on {Interface} dropped: {Reason} ({Length} bytes)")]
        public static partial void Dropped(ILogger logger, string @interface, EnvelopeDropReason reason, int length);
    }
}
