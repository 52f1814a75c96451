using Ha.Net.Vrrp.RouteInjection;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.ProxyDaemon;

/// <summary>Route health injection in hanet-proxyd (<c>--route-injection FILE</c>): started after the listeners are up,
/// re-read and applied in place on a reload, stopped (withdrawn, then the grace wait) before the listeners close.</summary>
internal sealed partial class ProxyDaemon
{
    private string? _routeInjectionPath;
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
        file = ReadRouteInjection(path, config, running: null, errors);
        foreach (var e in errors)
        {
            stderr.WriteLine($"[ALERT]    ({Environment.ProcessId}) : config : {e}");
        }

        return errors.Count == 0;
    }

    /// <summary>
    /// Reads the file and checks it: its own syntax (file:line), the names it watches against <paramref name="config"/>
    /// (skipped when haproxy.cfg itself did not load: its errors are reported already), and on a reload, that the
    /// speaker is the <paramref name="running"/> one (the injector keeps the speaker it started with). Errors are added
    /// to <paramref name="errors"/>; null when the file is unusable.
    /// </summary>
    private static RouteInjectionFile? ReadRouteInjection(string path, DaemonConfig? config, RouteInjectionFile? running, List<string> errors)
    {
        var before = errors.Count;
        var file = RouteInjectionFile.Load(path, errors);
        if (file is null)
        {
            return null;
        }

        if (config is not null)
        {
            errors.AddRange(file.Unknown(path, config.Options));
        }

        errors.AddRange(file.Injector.Validate().Select(e => $"{path}: {e}"));
        if (running is not null && file.Frr != running.Frr)
        {
            errors.Add($"{path}: 'speaker' differs from the running one (frr as {running.Frr.AutonomousSystem}"
                + (running.Frr.PathSpace is { } ns ? " pathspace " + ns : "") + $" vtysh {running.Frr.VtyshPath}): a reload cannot change the BGP speaker; restart hanet-proxyd for that.");
        }

        return errors.Count == before ? file : null;
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

    /// <summary>On a reload, after the proxy took the new configuration: the re-read file applied to the running injector
    /// (RouteInjector.ApplyAsync: no withdrawal of a prefix that stays, damping kept for unchanged conditions).</summary>
    private async Task ApplyRouteInjectionAsync(RouteInjectionFile next)
    {
        if (_routeInjector is not { } injector || _proxy is null)
        {
            return;
        }

        try
        {
            var changed = await injector.ApplyAsync(next.Injector, next.Conditions(_proxy));
            _routeInjectionFile = next;
            LogRouteInjectionReloaded(_logger, _routeInjectionPath!, changed ? "applied" : "unchanged");
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            LogReloadFailed(_logger, "route injection: " + ex.Message);
        }
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

    [LoggerMessage(EventId = 5019, Level = LogLevel.Information, Message = "Route injection file {Path} re-read: {Outcome}.")]
    private static partial void LogRouteInjectionReloaded(ILogger logger, string path, string outcome);
}
