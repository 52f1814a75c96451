using Ha.Net.Vrrp.RouteInjection;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.ProxyDaemon;

/// <summary>Route health injection in hanet-proxyd (<c>--route-injection FILE</c>): started after the listeners are up,
/// stopped (withdrawn, then the grace wait) before they close.</summary>
internal sealed partial class ProxyDaemon
{
    private RouteInjectionFile? _routeInjectionFile;
    private RouteInjector? _routeInjector;

    /// <summary>Reads and checks the file against the haproxy configuration; false (errors written) when it is not usable.</summary>
    private static bool LoadRouteInjection(string? path, DaemonConfig config, TextWriter stderr, out RouteInjectionFile? file)
    {
        file = null;
        if (path is null)
        {
            return true;
        }

        var errors = new List<string>();
        file = RouteInjectionFile.Load(path, errors);
        if (file is not null)
        {
            errors.AddRange(file.Unknown(path, config.Options));
        }

        foreach (var e in errors)
        {
            stderr.WriteLine($"[ALERT]    ({Environment.ProcessId}) : config : {e}");
        }

        return errors.Count == 0;
    }

    private async Task StartRouteInjectionAsync()
    {
        if (_routeInjectionFile is not { } file || _proxy is null)
        {
            return;
        }

        var logger = _loggerFactory.CreateLogger("route-injection");
        var announcer = RouteAnnouncers.Frr(file.Frr, logger);
        _routeInjector = new RouteInjector(file.Injector, announcer, file.Conditions(_proxy), TimeProvider.System, logger);
        await _routeInjector.StartAsync();
    }

    private async Task StopRouteInjectionAsync()
    {
        if (_routeInjector is { } injector)
        {
            await injector.StopAsync();
        }
    }

    private async ValueTask DisposeRouteInjectionAsync()
    {
        if (_routeInjector is { } injector)
        {
            _routeInjector = null;
            await injector.DisposeAsync();
        }
    }
}
