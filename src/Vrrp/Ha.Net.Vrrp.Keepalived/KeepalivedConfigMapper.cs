using System.Net;
using System.Net.Sockets;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Vrrp.Keepalived;

/// <summary>The engine options mapped from a keepalived.conf, and every finding of the engine's validation with its file:line.</summary>
public sealed class KeepalivedMapping
{
    internal KeepalivedMapping(KeepalivedConfig config, IReadOnlyList<KeepalivedRouterMapping> routers, IReadOnlyList<KeepalivedDiagnostic> diagnostics)
    {
        Config = config;
        Routers = routers;
        Diagnostics = diagnostics;
        Errors = diagnostics.Where(d => d.Severity == KeepalivedDiagnosticSeverity.Error).ToArray();
        Warnings = diagnostics.Where(d => d.Severity == KeepalivedDiagnosticSeverity.Warning).ToArray();
    }

    /// <summary>The configuration mapped.</summary>
    public KeepalivedConfig Config { get; }

    /// <summary>One entry per <c>vrrp_instance</c>, in file order.</summary>
    public IReadOnlyList<KeepalivedRouterMapping> Routers { get; }

    /// <summary>Every finding of the engine's validation, located at the directive it names.</summary>
    public IReadOnlyList<KeepalivedDiagnostic> Diagnostics { get; }

    /// <summary>The errors: the engine refuses these options.</summary>
    public IReadOnlyList<KeepalivedDiagnostic> Errors { get; }

    /// <summary>The warnings.</summary>
    public IReadOnlyList<KeepalivedDiagnostic> Warnings { get; }

    /// <summary>Whether every instance can run.</summary>
    public bool IsValid => Errors.Count == 0;

    /// <summary>What <c>keepalived -t</c> (2.2.7) would exit with on these findings: 0, 4, 5 or 6.</summary>
    public int KeepalivedCheckExitCode => Diagnostics.Select(d => (int)d.KeepalivedCheck).DefaultIfEmpty(0).Max();
}

/// <summary>A <c>vrrp_instance</c> and the engine options made from it.</summary>
/// <param name="Instance">The instance as read.</param>
/// <param name="Options">The engine options.</param>
/// <param name="TrackedScripts">The <c>vrrp_script</c> behind each tracked script name (the caller runs them and reports their state).</param>
public sealed record KeepalivedRouterMapping(
    KeepalivedVrrpInstance Instance,
    VirtualRouterOptions Options,
    IReadOnlyDictionary<string, KeepalivedVrrpScript> TrackedScripts);

/// <summary>Maps a read <see cref="KeepalivedConfig"/> to the election engine's <see cref="VirtualRouterOptions"/>.</summary>
public static class KeepalivedConfigMapper
{
    /// <summary>
    /// Maps every instance and validates the result with the engine's own rules
    /// (<see cref="VirtualRouterOptions.Validate"/>), locating each issue at the directive it names.
    /// </summary>
    /// <param name="config">A valid configuration from <see cref="KeepalivedConfigReader"/>.</param>
    /// <returns>The options per instance and the findings.</returns>
    public static KeepalivedMapping ToVirtualRouterOptions(KeepalivedConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var routers = new List<KeepalivedRouterMapping>();
        var diagnostics = new List<KeepalivedDiagnostic>();
        foreach (var instance in config.Instances)
        {
            var (options, scripts) = Map(config, instance, diagnostics);
            foreach (var issue in options.Validate())
            {
                var at = instance.DirectiveLines.TryGetValue(issue.Key, out var line) ? line
                    : instance.Authentication?.DirectiveLines.TryGetValue(issue.Key, out line) == true ? line
                    : instance.Location;
                diagnostics.Add(new KeepalivedDiagnostic(
                    issue.IsWarning ? KeepalivedDiagnosticSeverity.Warning : KeepalivedDiagnosticSeverity.Error,
                    at,
                    issue.Key,
                    $"vrrp_instance '{instance.Name}': {issue.Message}"));
            }

            routers.Add(new KeepalivedRouterMapping(instance, options, scripts));
        }

        return new KeepalivedMapping(config, routers, diagnostics);
    }

    /// <summary>Maps one instance without validating it.</summary>
    /// <param name="config">The configuration the instance belongs to (scripts, globals).</param>
    /// <param name="instance">The instance.</param>
    /// <returns>The engine options.</returns>
    public static VirtualRouterOptions ToVirtualRouterOptions(KeepalivedConfig config, KeepalivedVrrpInstance instance)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(instance);
        return Map(config, instance, []).Options;
    }

    // The VRRP multicast groups (RFC 5798 §5.1.1.2 / §5.1.2.2), the engine's default when MulticastGroup is null.
    private static readonly IPAddress DefaultGroupIPv4 = IPAddress.Parse("224.0.0.18");
    private static readonly IPAddress DefaultGroupIPv6 = IPAddress.Parse("ff02::12");

    private static (VirtualRouterOptions Options, IReadOnlyDictionary<string, KeepalivedVrrpScript> Scripts) Map(
        KeepalivedConfig config, KeepalivedVrrpInstance vi, List<KeepalivedDiagnostic> diagnostics)
    {
        var ipv6 = vi.VirtualIpAddresses.Count > 0 && vi.VirtualIpAddresses[0].Address.AddressFamily == AddressFamily.InterNetworkV6;
        var group = ipv6 ? config.Global.MulticastGroup6 : config.Global.MulticastGroup4;
        var defaultGroup = ipv6 ? DefaultGroupIPv6 : DefaultGroupIPv4;
        var options = new VirtualRouterOptions
        {
            InstanceName = vi.Name,
            InterfaceName = vi.Interface,
            VirtualRouterId = vi.VirtualRouterId,
            Priority = vi.Priority,
            AdvertisementInterval = vi.AdvertInterval,
            Version = vi.Version == 3 ? VrrpVersion.V3 : VrrpVersion.V2,
            AuthenticationType = vi.Authentication?.Type switch
            {
                KeepalivedAuthType.Pass => VrrpAuthenticationType.SimplePassword,
                KeepalivedAuthType.Ah => VrrpAuthenticationType.IPAuthenticationHeader,
                _ => VrrpAuthenticationType.None,
            },
            AuthenticationPassword = vi.Authentication?.Password,
            VirtualAddresses = vi.VirtualIpAddresses.Select(v => v.ToVirtualAddress(vi.Interface)).ToList(),
            ExcludedVirtualAddresses = vi.ExcludedVirtualIpAddresses.Select(v => v.ToVirtualAddress(vi.Interface)).ToList(),
            Preempt = vi.Preempt,
            PreemptDelay = vi.PreemptDelay,
            SourceAddress = vi.UnicastSourceIp ?? vi.MulticastSourceIp,
            UnicastPeers = vi.UnicastPeers.Select(p => p.Address).ToList(),
            MulticastGroup = group.Equals(defaultGroup) ? null : group,
            GarpMasterDelay = vi.Garp.MasterDelay,
            GarpMasterRepeat = vi.Garp.MasterRepeat,
            GarpMasterRefresh = vi.Garp.MasterRefresh,
            GarpMasterRefreshRepeat = vi.Garp.MasterRefreshRepeat,
            GarpLowerPriorityDelay = vi.Garp.LowerPriorityDelay,
            GarpLowerPriorityRepeat = vi.Garp.LowerPriorityRepeat,
            LowerPriorityNoAdvert = vi.Garp.LowerPriorityNoAdvert,
            HigherPrioritySendAdvert = vi.Garp.HigherPrioritySendAdvert,
        };

        foreach (var peer in vi.UnicastPeers.Where(p => p.MinTtl is not null || p.MaxTtl is not null))
        {
            diagnostics.Add(new KeepalivedDiagnostic(KeepalivedDiagnosticSeverity.Warning, peer.Location, "unicast_peer",
                $"vrrp_instance '{vi.Name}': min_ttl/max_ttl of unicast_peer {peer.Address} are not enforced by the engine"));
        }

        // keepalived: in a sync group the members' tracking weights are forced to 0 (a failure means FAULT).
        var inGroup = vi.SyncGroup is not null;
        var scripts = new Dictionary<string, KeepalivedVrrpScript>(StringComparer.Ordinal);
        var byName = new Dictionary<string, KeepalivedVrrpScript>(StringComparer.Ordinal);
        foreach (var s in config.Scripts)
        {
            byName.TryAdd(s.Name, s); // keepalived's find_script_by_name(): the first definition
        }

        foreach (var track in vi.TrackScripts)
        {
            if (!byName.TryGetValue(track.Name, out var script))
            {
                continue;
            }

            scripts[track.Name] = script;
            options.TrackedObjects.Add(new TrackedObject(track.Name, inGroup ? 0 : track.Weight ?? script.Weight)
            {
                Reverse = track.Reverse ?? script.WeightReverse,
                InitiallyUp = !script.InitFail,
            });
        }

        foreach (var track in vi.TrackInterfaces)
        {
            if (scripts.ContainsKey(track.Interface))
            {
                diagnostics.Add(new KeepalivedDiagnostic(KeepalivedDiagnosticSeverity.Error, track.Location, "track_interface",
                    $"vrrp_instance '{vi.Name}': track_interface '{track.Interface}' has the name of a tracked script; the engine tracks objects by name"));
                continue;
            }

            options.TrackedObjects.Add(new TrackedObject(track.Interface, inGroup ? 0 : track.Weight ?? 0) { Reverse = track.Reverse });
        }

        return (options, scripts);
    }
}
