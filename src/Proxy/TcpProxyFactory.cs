using System.Diagnostics.Metrics;
using Ha.Net.HealthChecks;
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
    /// <param name="healthChecks">The scheduler that runs server checks (monitors named <c>backend/server</c>);
    /// <see langword="null"/> = one of the proxy's own, created when a server has a check.</param>
    /// <param name="probeFactory">Makes the probe of a checked server from its backend name and options
    /// (an SMTP probe for <c>option smtpchk</c>, ...); <see langword="null"/> =
    /// HAProxy's default check, a TCP connect (with the PROXY header if the server has <c>send-proxy</c>).</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static ITcpProxy Create(ProxyOptions options, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null,
        TimeProvider? timeProvider = null, IHealthCheckScheduler? healthChecks = null,
        Func<string, ServerOptions, IHealthProbe>? probeFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new TcpProxy(options, loggerFactory, meterFactory, timeProvider, random: null, healthChecks, probeFactory);
    }
}
