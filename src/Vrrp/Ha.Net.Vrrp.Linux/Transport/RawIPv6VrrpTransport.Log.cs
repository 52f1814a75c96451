using System.Net;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Vrrp.Linux.Transport;

internal sealed partial class RawIPv6VrrpTransport
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "VRRPv3 IPv6 transport on {Interface} (index {Index}) from {Source}, {Mode}")]
        public static partial void Opened(ILogger logger, string @interface, int index, IPAddress source, string mode);

        [LoggerMessage(EventId = 2011, Level = LogLevel.Debug, Message = "VRRP packet on {Interface} dropped: {Reason} ({Length} bytes)")]
        public static partial void Dropped(ILogger logger, string @interface, EnvelopeDropReason reason, int length);
    }
}
