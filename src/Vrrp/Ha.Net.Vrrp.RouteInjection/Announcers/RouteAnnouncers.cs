using Microsoft.Extensions.Logging;

namespace Ha.Net.Vrrp.RouteInjection;

/// <summary>The built-in BGP speakers.</summary>
public static class RouteAnnouncers
{
    /// <summary>FRR's bgpd, driven through vtysh (<c>network P</c> / <c>no network P</c> in the running configuration).</summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every error.</exception>
    public static IRouteAnnouncer Frr(FrrAnnouncerOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        return errors.Count > 0
            ? throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(options))
            : new FrrVtyshAnnouncer(options, logger);
    }
}
