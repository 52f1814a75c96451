using System.Diagnostics.Metrics;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Hosting;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Proxy;

/// <summary>Creates <see cref="ITcpProxy"/> instances.</summary>
public static class TcpProxyFactory
{
    /// <summary>Creates a proxy (not started: call <see cref="ITcpProxy.StartAsync"/>).</summary>
    /// <param name="options">The configuration; validated, every error reported at once.</param>
    /// <param name="loggerFactory">Where log lines go (one tcplog line per closed connection, category <c>Ha.Net.Proxy</c>).</param>
    /// <param name="meterFactory">Where the meter <see cref="ProxyNames.MeterName"/> comes from.</param>
    /// <param name="timeProvider">The clock for timeouts and timers.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static ITcpProxy Create(ProxyOptions options, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new TcpProxy(options, loggerFactory, meterFactory, timeProvider);
    }
}
