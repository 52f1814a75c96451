using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using Ha.Net.Vrrp.Keepalived;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Hosting;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Samples.VrrpDaemon;

/// <summary>
/// keepalived's signal-triggered dump files: SIGUSR1 writes <c>keepalived.data</c>, SIGUSR2 <c>keepalived.stats</c>
/// (SIGRTMAX-1: the stats, then the counters cleared), both in <c>$TMPDIR</c> when it is an absolute path, else
/// <c>/tmp</c> (keepalived 2.2.7 lib/utils.c set_tmp_dir, vrrp/vrrp_print.c, vrrp/vrrp_data.c dump_vrrp).
/// </summary>
internal sealed partial class Daemon
{
    private readonly ConditionalWeakTable<IVirtualRouter, DumpState> _dumpStates = new();

    /// <summary>The directory keepalived writes its dump files to.</summary>
    public static string DumpDirectory =>
        Environment.GetEnvironmentVariable("TMPDIR") is { Length: > 0 } tmp && tmp[0] == '/' ? tmp : "/tmp";

    private sealed class DumpState
    {
        public long ReleasedMaster;
        public DateTimeOffset LastTransition = DateTimeOffset.Now;
        public VirtualRouterState WantState;
        public VirtualRouterStatistics? Baseline;
    }

    private DumpState StateOf(IVirtualRouter router) => _dumpStates.GetValue(router, _ => new DumpState());

    private void RecordTransition(IVirtualRouter router, VirtualRouterStateChangedEventArgs e)
    {
        var state = StateOf(router);
        if (e.From == VirtualRouterState.Master && e.To != VirtualRouterState.Master)
        {
            Interlocked.Increment(ref state.ReleasedMaster);
        }

        state.LastTransition = DateTimeOffset.Now;
        state.WantState = e.To;
    }

    /// <summary>
    /// <c>keepalived.stats</c>, keepalived 2.2.7's layout (vrrp_print.c vrrp_print_stats) per instance, then Ha.Net's
    /// drop counter of every reason. keepalived's sections count what Ha.Net drops under the same reasons; the two
    /// counters Ha.Net.Vrrp does not keep (authentication "Invalid Type", priority-zero adverts) read 0.
    /// </summary>
    public string WriteStats(bool clear)
    {
        var path = Path.Combine(DumpDirectory, "keepalived.stats");
        var text = new StringBuilder();
        foreach (var router in Routers)
        {
            var state = StateOf(router);
            var now = router.GetStatistics();
            var s = Subtract(now, state.Baseline);
            long Drops(params VrrpDropReason[] reasons) => reasons.Sum(r => s.AdvertisementsDropped.TryGetValue(r, out var n) ? n : 0);
            text.Append(CultureInfo.InvariantCulture, $"VRRP Instance: {router.InstanceName}\n");
            text.Append("  Advertisements:\n");
            text.Append(CultureInfo.InvariantCulture, $"    Received: {s.AdvertisementsReceived}\n");
            text.Append(CultureInfo.InvariantCulture, $"    Sent: {s.AdvertisementsSent}\n");
            text.Append(CultureInfo.InvariantCulture, $"  Became master: {s.BecameMaster}\n");
            text.Append(CultureInfo.InvariantCulture, $"  Released master: {Interlocked.Read(ref state.ReleasedMaster)}\n");
            text.Append("  Packet Errors:\n");
            text.Append(CultureInfo.InvariantCulture, $"    Length: {Drops(VrrpDropReason.TooShort, VrrpDropReason.LengthMismatch)}\n");
            text.Append(CultureInfo.InvariantCulture, $"    TTL: {Drops(VrrpDropReason.InvalidTimeToLive)}\n");
            text.Append(CultureInfo.InvariantCulture, $"    Invalid Type: {Drops(VrrpDropReason.UnknownType)}\n");
            text.Append(CultureInfo.InvariantCulture, $"    Advertisement Interval: {Drops(VrrpDropReason.IntervalMismatch)}\n");
            text.Append(CultureInfo.InvariantCulture, $"    Address List: {Drops(VrrpDropReason.AddressListMismatch)}\n");
            text.Append("  Authentication Errors:\n");
            text.Append("    Invalid Type: 0\n");
            text.Append(CultureInfo.InvariantCulture, $"    Type Mismatch: {Drops(VrrpDropReason.AuthenticationTypeMismatch)}\n");
            text.Append(CultureInfo.InvariantCulture, $"    Failure: {Drops(VrrpDropReason.AuthenticationFailure)}\n");
            text.Append("  Priority Zero:\n");
            text.Append("    Received: 0\n");
            text.Append("    Sent: 0\n");
            text.Append("  Dropped by reason (Ha.Net):\n");
            foreach (var (reason, count) in s.AdvertisementsDropped.OrderBy(d => (int)d.Key))
            {
                text.Append(CultureInfo.InvariantCulture, $"    {reason}: {count}\n");
            }

            if (clear)
            {
                state.Baseline = now;
                Interlocked.Exchange(ref state.ReleasedMaster, 0);
            }
        }

        File.WriteAllText(path, text.ToString());
        return path;
    }

    private static VirtualRouterStatistics Subtract(VirtualRouterStatistics now, VirtualRouterStatistics? baseline) => baseline is null
        ? now
        : new VirtualRouterStatistics(
            now.AdvertisementsSent - baseline.AdvertisementsSent,
            now.AdvertisementsReceived - baseline.AdvertisementsReceived,
            now.AdvertisementsDropped.ToDictionary(d => d.Key, d => d.Value - (baseline.AdvertisementsDropped.TryGetValue(d.Key, out var b) ? b : 0)),
            now.BecameMaster - baseline.BecameMaster,
            now.SendErrors - baseline.SendErrors,
            now.AddressErrors - baseline.AddressErrors,
            now.AnnouncementsSent - baseline.AnnouncementsSent);

    /// <summary>
    /// <c>keepalived.data</c>: keepalived 2.2.7's sections (<c>------&lt; Global definitions &gt;------</c>,
    /// <c>------&lt; VRRP Topology &gt;------</c>, <c>------&lt; VRRP Scripts &gt;------</c>) with the lines of
    /// dump_global_data / dump_vrrp / dump_vscript that Ha.Net has values for, in keepalived's order and wording.
    /// </summary>
    public string WriteData()
    {
        var path = Path.Combine(DumpDirectory, "keepalived.data");
        var text = new StringBuilder();
        void Line(string line) => text.Append(line).Append('\n');
        var instances = Routers.Select(r => (Router: r, Settings: SettingsOf(r))).ToList();
        var config = instances.Count > 0 ? instances[0].Settings.Loaded.Config : null;
        Line("------< Global definitions >------");
        Line(" Network namespace = (default)");
        if (config is not null)
        {
            var g = config.Global;
            if (g.RouterId is { } routerId)
            {
                Line($" Router ID = {routerId}");
            }

            if (g.SmtpServer is { } smtp)
            {
                Line($" Smtp server = {smtp}");
                Line(string.Create(CultureInfo.InvariantCulture, $" Smtp server port = {g.SmtpServerPort}"));
            }

            if (g.SmtpHeloName is { } helo)
            {
                Line($" Smtp HELO name = {helo}");
            }

            Line(string.Create(CultureInfo.InvariantCulture, $" Smtp server connection timeout = {(long)g.SmtpConnectTimeout.TotalSeconds}"));
            if (g.NotificationEmailFrom is { } from)
            {
                Line($" Email notification from = {from}");
                Line(" Email notification to:");
                foreach (var to in g.NotificationEmails)
                {
                    Line($"   {to}");
                }
            }

            Line($" Script security = {(g.EnableScriptSecurity ? "enabled" : "disabled")}");
        }

        if (instances.Count > 0)
        {
            Line("------< VRRP Topology >------");
        }

        foreach (var (router, instance) in instances)
        {
            var vi = instance.Vi;
            var state = StateOf(router);
            Line($" VRRP Instance = {router.InstanceName}");
            Line(string.Create(CultureInfo.InvariantCulture, $"   VRRP Version = {vi.Version}"));
            if (vi.SyncGroup is { } syncGroup)
            {
                Line($"   Sync group = {syncGroup}");
            }

            Line($"   State = {StateName(router.State)}");
            Line(vi.UnicastPeers.Count > 0 ? "   Flags:\n     Using unicast" : "   Flags: none");
            Line($"   Wantstate = {StateName(state.WantState == default ? router.State : state.WantState)}");
            Line($"   Last transition = {state.LastTransition.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}.{(state.LastTransition.Ticks % TimeSpan.TicksPerSecond / 10).ToString("D6", CultureInfo.InvariantCulture)} ({CTime(state.LastTransition)})");
            Line($"   Interface = {vi.Interface}");
            if (vi.DontTrackPrimary)
            {
                Line("   VRRP interface tracking disabled");
            }

            var source = vi.UnicastSourceIp ?? vi.MulticastSourceIp;
            Line(source is null ? "   Using src_ip = (none)" : $"   Using src_ip = {source} (from configuration)");
            if (vi.UnicastPeers.Count == 0)
            {
                var v6 = vi.VirtualIpAddresses.Count > 0 && vi.VirtualIpAddresses[0].Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
                var group = (v6 ? config?.Global.MulticastGroup6 : config?.Global.MulticastGroup4) ?? IPAddress.Parse("224.0.0.18");
                Line($"   Multicast address {group}");
            }

            var garp = vi.Garp;
            Line(string.Create(CultureInfo.InvariantCulture, $"   Gratuitous ARP delay = {(long)garp.MasterDelay.TotalSeconds}"));
            Line(string.Create(CultureInfo.InvariantCulture, $"   Gratuitous ARP repeat = {garp.MasterRepeat}"));
            Line(string.Create(CultureInfo.InvariantCulture, $"   Gratuitous ARP refresh = {(long)garp.MasterRefresh.TotalSeconds}"));
            Line(string.Create(CultureInfo.InvariantCulture, $"   Gratuitous ARP refresh repeat = {garp.MasterRefreshRepeat}"));
            Line(string.Create(CultureInfo.InvariantCulture, $"   Gratuitous ARP lower priority delay = {(long)garp.LowerPriorityDelay.TotalSeconds}"));
            Line(string.Create(CultureInfo.InvariantCulture, $"   Gratuitous ARP lower priority repeat = {garp.LowerPriorityRepeat}"));
            Line($"   Send advert after receive lower priority advert = {(garp.LowerPriorityNoAdvert ? "false" : "true")}");
            Line($"   Send advert after receive higher priority advert = {(garp.HigherPrioritySendAdvert ? "true" : "false")}");
            Line(string.Create(CultureInfo.InvariantCulture, $"   Virtual Router ID = {vi.VirtualRouterId}"));
            Line(string.Create(CultureInfo.InvariantCulture, $"   Priority = {vi.Priority}"));
            Line(string.Create(CultureInfo.InvariantCulture, $"   Effective priority = {router.EffectivePriority}"));
            Line(string.Create(CultureInfo.InvariantCulture, $"   Total priority = {router.EffectivePriority}"));
            Line(vi.Version == 2
                ? string.Create(CultureInfo.InvariantCulture, $"   Advert interval = {(long)vi.AdvertInterval.TotalSeconds} sec")
                : string.Create(CultureInfo.InvariantCulture, $"   Advert interval = {(long)vi.AdvertInterval.TotalMilliseconds} milli-sec"));
            Line($"   Preempt = {(vi.Preempt ? "enabled" : "disabled")}");
            if (vi.PreemptDelay > TimeSpan.Zero)
            {
                Line(string.Create(CultureInfo.InvariantCulture, $"   Preempt delay = {vi.PreemptDelay.TotalSeconds:G} secs"));
            }

            if (vi.Authentication is { } auth)
            {
                Line($"   Authentication type = {(auth.Type == KeepalivedAuthType.Ah ? "IPSEC_AH" : "SIMPLE_PASSWORD")}");
                if (auth.Type != KeepalivedAuthType.Ah)
                {
                    // keepalived prints the password here; #15: no secret leaves in any dump. The line stays, for parsers.
                    Line("   Password = (hidden)");
                }
            }
            else if (vi.Version == 2)
            {
                Line("   Authentication type = none");
            }

            if (vi.VirtualIpAddresses.Count > 0)
            {
                Line(string.Create(CultureInfo.InvariantCulture, $"   Virtual IP ({vi.VirtualIpAddresses.Count}):"));
                foreach (var vip in vi.VirtualIpAddresses)
                {
                    Line("     " + FormatAddress(vip, vi.Interface));
                }
            }

            if (vi.ExcludedVirtualIpAddresses.Count > 0)
            {
                Line("   Virtual IP Excluded :");
                foreach (var vip in vi.ExcludedVirtualIpAddresses)
                {
                    Line("     " + FormatAddress(vip, vi.Interface));
                }
            }

            if (vi.UnicastPeers.Count > 0)
            {
                Line(string.Create(CultureInfo.InvariantCulture, $"   Unicast TTL = {vi.UnicastTtl}"));
                Line("   Unicast Peer :");
                foreach (var peer in vi.UnicastPeers)
                {
                    Line($"     {peer.Address}");
                }
            }

            if (vi.TrackInterfaces.Count > 0)
            {
                Line("   Tracked interfaces :");
                foreach (var t in vi.TrackInterfaces)
                {
                    Line(string.Create(CultureInfo.InvariantCulture, $"     {t.Interface} weight {t.Weight ?? 0}{(t.Reverse ? " reverse" : "")}"));
                }
            }

            if (vi.TrackScripts.Count > 0)
            {
                Line("   Tracked scripts :");
                foreach (var t in vi.TrackScripts)
                {
                    var weight = t.Weight ?? instance.Mapping.TrackedScripts.GetValueOrDefault(t.Name)?.Weight ?? 0;
                    Line(string.Create(CultureInfo.InvariantCulture, $"     {t.Name} weight {weight}{(t.Reverse == true ? " reverse" : "")}"));
                }
            }
        }

        if (config is not null && config.Scripts.Count > 0)
        {
            Line("------< VRRP Scripts >------");
            foreach (var script in config.Scripts)
            {
                Line($" VRRP Script = {script.Name}");
                Line($"   Command = {script.Script}");
                Line(string.Create(CultureInfo.InvariantCulture, $"   Interval = {(long)script.Interval.TotalSeconds} sec"));
                Line(string.Create(CultureInfo.InvariantCulture, $"   Timeout = {(long)script.Timeout.TotalSeconds} sec"));
                Line(string.Create(CultureInfo.InvariantCulture, $"   Weight = {script.Weight}{(script.WeightReverse ? " reverse" : "")}"));
                Line(string.Create(CultureInfo.InvariantCulture, $"   Rise = {script.Rise}"));
                Line(string.Create(CultureInfo.InvariantCulture, $"   Fall = {script.Fall}"));
                var up = _tracking?.GetScriptState(script.Name);
                Line($"   Status = {(up == true ? "GOOD" : "BAD")}");
            }
        }

        File.WriteAllText(path, text.ToString());
        return path;
    }

    private static string StateName(VirtualRouterState state) => state switch
    {
        VirtualRouterState.Master => "MASTER",
        VirtualRouterState.Backup => "BACKUP",
        VirtualRouterState.Fault => "FAULT",
        _ => "INIT",
    };

    /// <summary>keepalived's ctime_us_r: <c>Mon Dec  7 13:00:00.123456 2026</c>.</summary>
    private static string CTime(DateTimeOffset at) =>
        string.Create(CultureInfo.InvariantCulture, $"{at:ddd MMM} {at.Day,2} {at:HH:mm:ss}.{at.Ticks % TimeSpan.TicksPerSecond / 10:D6} {at:yyyy}");

    /// <summary>keepalived's format_ipaddress: <c>198.18.0.100/24 dev vd0 scope global</c> (no /32 for a host address).</summary>
    private static string FormatAddress(KeepalivedVirtualIp vip, string defaultInterface)
    {
        var host = vip.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32;
        var text = new StringBuilder(vip.Address.ToString());
        if (vip.PrefixLength != host && vip.PrefixLength != 0)
        {
            text.Append('/').Append(vip.PrefixLength.ToString(CultureInfo.InvariantCulture));
        }

        if (vip.Broadcast is { } brd)
        {
            text.Append(" brd ").Append(brd);
        }

        text.Append(" dev ").Append(vip.Device ?? defaultInterface);
        text.Append(" scope ").Append(vip.Scope switch
        {
            Ha.Net.Vrrp.Addresses.AddressScope.Site => "site",
            Ha.Net.Vrrp.Addresses.AddressScope.Link => "link",
            Ha.Net.Vrrp.Addresses.AddressScope.Host => "host",
            _ => "global",
        });
        if (vip.Label is { } label)
        {
            text.Append(" label ").Append(label);
        }

        return text.ToString();
    }
}
