using System.Globalization;
using Ha.Net.HealthChecks;
using Ha.Net.Proxy;
using Ha.Net.Proxy.Stats;

namespace Ha.Net.Vrrp.RouteInjection;

/// <summary>What a condition says at one sample: satisfied or not, and why (for the log line of a withdrawal).</summary>
/// <param name="Satisfied">Whether the node may carry traffic as far as this condition is concerned.</param>
/// <param name="Detail">A short reason, e.g. <c>backend be_app has 0 usable server(s), needs 1</c>.</param>
public readonly record struct RouteConditionResult(bool Satisfied, string Detail);

/// <summary>
/// One thing the node's route depends on, sampled by <see cref="RouteInjector"/> at every interval: a health
/// monitor, a proxy frontend, a backend's usable servers, or your own test. The route is announced only while
/// every condition is satisfied (after rise samples in a row) and withdrawn when any is not (after fall samples).
/// Evaluate must be quick and must not block.
/// </summary>
public abstract class RouteCondition
{
    /// <summary>Creates a condition with a name for logs.</summary>
    protected RouteCondition(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>The condition's name in logs.</summary>
    public string Name { get; }

    /// <summary>Samples the condition now.</summary>
    public abstract RouteConditionResult Evaluate();

    /// <summary>Satisfied while the monitor's effective state is <see cref="HealthState.Up"/> (the monitor applies its own rise/fall first).</summary>
    public static RouteCondition Monitor(IHealthMonitor monitor)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        return new Delegated("monitor " + monitor.Name, () => monitor.State == HealthState.Up
            ? new(true, $"monitor {monitor.Name} is UP")
            : new(false, $"monitor {monitor.Name} is DOWN ({monitor.Snapshot.LastResult.Status})"));
    }

    /// <summary>Satisfied while the proxy's frontend accepts connections (stats status <c>OPEN</c>; <c>disable frontend</c> or a stop makes it <c>STOP</c>).</summary>
    public static RouteCondition FrontendOpen(ITcpProxy proxy, string frontend)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentException.ThrowIfNullOrWhiteSpace(frontend);
        return new Delegated("frontend " + frontend, () =>
        {
            var row = Find(proxy, frontend, StatsRowType.Frontend);
            return row is null ? new(false, $"frontend {frontend} does not exist")
                : row.Status == "OPEN" ? new(true, $"frontend {frontend} is OPEN")
                : new(false, $"frontend {frontend} is {row.Status}");
        });
    }

    /// <summary>
    /// Satisfied while the backend has at least <paramref name="minimum"/> usable servers: health up and admin
    /// state ready (stats status <c>UP</c>, <c>UP n/m</c> or <c>no check</c>; <c>DOWN</c>, <c>DRAIN</c> and <c>MAINT</c> do not count).
    /// </summary>
    public static RouteCondition UsableServers(ITcpProxy proxy, string backend, int minimum = 1)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentException.ThrowIfNullOrWhiteSpace(backend);
        ArgumentOutOfRangeException.ThrowIfLessThan(minimum, 1);
        return new Delegated(string.Create(CultureInfo.InvariantCulture, $"backend {backend} >= {minimum} server(s)"), () =>
        {
            var rows = proxy.GetStats();
            if (!rows.Any(r => r.Type == StatsRowType.Backend && r.ProxyName == backend))
            {
                return new(false, $"backend {backend} does not exist");
            }

            var usable = rows.Count(r => r.Type == StatsRowType.Server && r.ProxyName == backend && IsUsable(r.Status));
            return new(usable >= minimum, string.Create(CultureInfo.InvariantCulture, $"backend {backend} has {usable} usable server(s), needs {minimum}"));
        });
    }

    /// <summary>Your own test, e.g. a file's presence or a license check.</summary>
    public static RouteCondition Custom(string name, Func<bool> satisfied)
    {
        ArgumentNullException.ThrowIfNull(satisfied);
        return new Delegated(name, () => satisfied() ? new(true, name + " holds") : new(false, name + " does not hold"));
    }

    internal static bool IsUsable(string status) =>
        status.StartsWith("UP", StringComparison.Ordinal) || status == "no check";

    private static StatsRow? Find(ITcpProxy proxy, string name, StatsRowType type)
    {
        foreach (var row in proxy.GetStats())
        {
            if (row.Type == type && row.ProxyName == name)
            {
                return row;
            }
        }

        return null;
    }

    private sealed class Delegated(string name, Func<RouteConditionResult> evaluate) : RouteCondition(name)
    {
        public override RouteConditionResult Evaluate() => evaluate();
    }
}
