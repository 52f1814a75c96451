using System.Net.Sockets;
using Ha.Net.Vrrp.Configuration;

namespace Ha.Net.Vrrp.Keepalived;

internal sealed partial class KeepalivedParser
{
    private static KeepalivedGarpSettings ResolveGarp(GarpDraft local, GarpDraft global)
    {
        var defaults = new KeepalivedGarpSettings();
        var masterDelay = local.MasterDelay ?? global.MasterDelay;
        var masterRepeat = local.MasterRepeat ?? global.MasterRepeat;
        return new KeepalivedGarpSettings
        {
            MasterDelay = masterDelay is { } md ? Seconds(md) : defaults.MasterDelay,
            MasterRepeat = masterRepeat ?? defaults.MasterRepeat,
            MasterRefresh = (local.MasterRefresh ?? global.MasterRefresh) is { } mr ? Seconds(mr) : defaults.MasterRefresh,
            MasterRefreshRepeat = local.MasterRefreshRepeat ?? global.MasterRefreshRepeat ?? defaults.MasterRefreshRepeat,

            // keepalived: the lower-priority knobs default to the master ones.
            LowerPriorityDelay = (local.LowerPrioDelay ?? global.LowerPrioDelay ?? masterDelay) is { } ld ? Seconds(ld) : defaults.MasterDelay,
            LowerPriorityRepeat = local.LowerPrioRepeat ?? global.LowerPrioRepeat ?? masterRepeat ?? defaults.MasterRepeat,
            LowerPriorityNoAdvert = local.LowerPrioNoAdvert ?? global.LowerPrioNoAdvert ?? false,
            HigherPrioritySendAdvert = local.HigherPrioSendAdvert ?? global.HigherPrioSendAdvert ?? true, // Ha.Net default: see VirtualRouterOptions
        };
    }

    private void FinishModel()
    {
        var g = _config.Global;
        g.Garp = ResolveGarp(new GarpDraft(), _globalGarp);

        var scriptNames = _scripts.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var draft in _instances)
        {
            FinishInstance(draft, scriptNames);
        }

        // VRID collisions on one interface and family.
        foreach (var clash in _instances
                     .Where(d => d.HasInterface && d.HasVrid && d.Instance.VirtualRouterId > 0)
                     .GroupBy(d => (d.Instance.Interface, d.Instance.VirtualRouterId, V6: d.Vips.FirstOrDefault()?.Address.AddressFamily == AddressFamily.InterNetworkV6))
                     .Where(grp => grp.Count() > 1))
        {
            foreach (var d in clash.Skip(1))
            {
                Error(d.Instance.DirectiveLines.GetValueOrDefault("virtual_router_id", d.Instance.Location), "virtual_router_id",
                    $"vrrp_instance '{d.Instance.Name}': virtual_router_id {d.Instance.VirtualRouterId} is already used on interface {d.Instance.Interface} by vrrp_instance '{clash.First().Instance.Name}'");
            }
        }

        // Sync groups: members must exist and belong to one group only.
        // Names are unique (a second definition is refused and skipped when read); the first wins regardless.
        var byName = new Dictionary<string, KeepalivedVrrpInstance>(StringComparer.Ordinal);
        foreach (var d in _instances)
        {
            byName.TryAdd(d.Instance.Name, d.Instance);
        }

        foreach (var group in _groups)
        {
            var where = group.DirectiveLines.GetValueOrDefault("group", group.Location);
            foreach (var member in group.Instances)
            {
                if (!byName.TryGetValue(member, out var instance))
                {
                    Error(where, "group", $"vrrp_sync_group '{group.Name}': unknown vrrp_instance '{member}'");
                }
                else if (instance.SyncGroup is not null)
                {
                    Error(where, "group", $"vrrp_sync_group '{group.Name}': vrrp_instance '{member}' already belongs to vrrp_sync_group '{instance.SyncGroup}'");
                }
                else
                {
                    instance.SyncGroup = group.Name;
                }
            }

            if (group.Instances.Count == 1)
            {
                Warn(where, "group", $"vrrp_sync_group '{group.Name}' has a single member; keepalived treats it as a plain instance", keepalivedReports: true);
            }
        }

        _config.Scripts = _scripts;
        _config.Instances = _instances.Select(d => d.Instance).ToArray();
        _config.SyncGroups = _groups;
        _config.Files = _files;
    }

    private void FinishInstance(InstanceDraft draft, HashSet<string> scriptNames)
    {
        var vi = draft.Instance;
        var name = vi.Name;
        var g = _config.Global;

        if (!draft.HasInterface)
        {
            Error(vi.Location, "interface", $"vrrp_instance '{name}': 'interface' is required");
        }

        if (!draft.HasVrid)
        {
            Error(vi.Location, "virtual_router_id", $"vrrp_instance '{name}': 'virtual_router_id' is required");
        }

        vi.VirtualIpAddresses = draft.Vips;
        vi.ExcludedVirtualIpAddresses = draft.ExcludedVips;
        vi.TrackScripts = draft.TrackScripts;
        vi.TrackInterfaces = draft.TrackInterfaces;
        vi.UnicastPeers = draft.Peers;
        vi.Garp = ResolveGarp(draft.Garp, _globalGarp);

        // Address family and version.
        var families = draft.Vips.Select(v => v.Address.AddressFamily).Distinct().ToList();
        if (families.Count > 1)
        {
            Error(vi.DirectiveLines.GetValueOrDefault("virtual_ipaddress", vi.Location), "virtual_ipaddress",
                $"vrrp_instance '{name}': 'virtual_ipaddress' mixes IPv4 and IPv6 addresses; put the other family in 'virtual_ipaddress_excluded'");
        }

        var ipv6 = families.Count == 1 && families[0] == AddressFamily.InterNetworkV6;
        vi.Version = draft.Version ?? g.VrrpVersion;
        if (ipv6 && vi.Version == 2)
        {
            Warn(vi.DirectiveLines.GetValueOrDefault("version", vi.Location), "version",
                $"vrrp_instance '{name}': IPv6 virtual addresses need VRRPv3; using version 3");
            vi.Version = 3;
        }


        // keepalived (vrrp_complete_instance): "No VIP specified; at least one is required" in v3, "... sensible" in v2.
        if (draft.Vips.Count == 0)
        {
            if (vi.Version == 3)
            {
                Error(vi.Location, "virtual_ipaddress", $"vrrp_instance '{name}': no 'virtual_ipaddress' specified; at least one is required in VRRPv3");
            }
            else
            {
                Warn(vi.Location, "virtual_ipaddress", $"vrrp_instance '{name}': no 'virtual_ipaddress' specified; at least one is sensible", keepalivedReports: true);
            }
        }

        // advert_int: whole seconds in v2, centiseconds up to 40.95 s in v3.
        var advertLine = vi.DirectiveLines.GetValueOrDefault("advert_int", vi.Location);
        if (draft.AdvertInt is { } advert)
        {
            if (vi.Version == 2)
            {
                if (advert != decimal.Truncate(advert))
                {
                    var rounded = Math.Max(1m, decimal.Round(advert, MidpointRounding.AwayFromZero));
                    Warn(advertLine, "advert_int", $"vrrp_instance '{name}': VRRPv2 'advert_int' must be whole seconds; {advert} rounded to {rounded}", keepalivedReports: true);
                    advert = rounded;
                }
            }
            else
            {
                if (advert > 40.95m)
                {
                    Error(advertLine, "advert_int", $"vrrp_instance '{name}': VRRPv3 'advert_int' must be at most 40.95 seconds, got {advert}");
                }

                var centi = decimal.Round(advert, 2, MidpointRounding.AwayFromZero);
                if (centi != advert)
                {
                    Warn(advertLine, "advert_int", $"vrrp_instance '{name}': VRRPv3 'advert_int' has centisecond resolution; {advert} rounded to {centi}", keepalivedReports: true);
                    advert = centi;
                }
            }

            vi.AdvertInterval = Seconds(advert);
        }

        // Priority: keepalived derives 255 from 'state MASTER' when no priority is written.
        if (!vi.PriorityExplicit && vi.State == KeepalivedInitialState.Master)
        {
            vi.Priority = 255;
            Warn(vi.DirectiveLines.GetValueOrDefault("state", vi.Location), "priority",
                $"vrrp_instance '{name}': no 'priority' with 'state MASTER'; keepalived derives priority 255 (address owner)");
        }
        else if (vi.Priority == 255 && !draft.HasState)
        {
            // keepalived: "If no initial state has been set, derive it from the priority".
            vi.State = KeepalivedInitialState.Master;
        }
        else if (vi.Priority == 255 && vi.State == KeepalivedInitialState.Backup)
        {
            Warn(vi.DirectiveLines.GetValueOrDefault("priority", vi.Location), "priority",
                $"vrrp_instance '{name}': priority 255 marks the address owner, which starts as MASTER whatever 'state BACKUP' says");
        }

        // Preemption.
        if (draft.NoPreempt)
        {
            if (vi.State == KeepalivedInitialState.Master)
            {
                Warn(vi.DirectiveLines.GetValueOrDefault("nopreempt", vi.Location), "nopreempt",
                    $"vrrp_instance '{name}': nopreempt will not work with initial state MASTER - clearing", keepalivedReports: true);
            }
            else
            {
                vi.Preempt = false;
            }
        }

        if (!vi.Preempt && vi.PreemptDelay > TimeSpan.Zero)
        {
            Warn(vi.DirectiveLines.GetValueOrDefault("preempt_delay", vi.Location), "preempt_delay",
                $"vrrp_instance '{name}': 'preempt_delay' has no effect with 'nopreempt'");
        }

        // Authentication only exists in VRRPv2.
        if (vi.Authentication is not null && vi.Version == 3)
        {
            Warn(vi.Authentication.Location, "authentication",
                $"vrrp_instance '{name}': 'authentication' does not exist in VRRPv3 and is ignored", keepalivedReports: true);
            vi.Authentication = null;
        }

        // Tracked scripts must exist.
        foreach (var track in draft.TrackScripts)
        {
            if (!scriptNames.Contains(track.Name))
            {
                Error(track.Location, "track_script", $"vrrp_instance '{name}': track_script '{track.Name}' does not name a vrrp_script");
            }
        }

        if (draft.Peers.Count > 0 && vi.UnicastSourceIp is null)
        {
            Warn(vi.DirectiveLines.GetValueOrDefault("unicast_peer", vi.Location), "unicast_src_ip",
                $"vrrp_instance '{name}': 'unicast_peer' without 'unicast_src_ip' uses the interface's primary address as source");
        }
    }
}
