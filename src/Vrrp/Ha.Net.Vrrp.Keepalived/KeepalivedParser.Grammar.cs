using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ha.Net.Vrrp.Addresses;

namespace Ha.Net.Vrrp.Keepalived;

internal sealed partial class KeepalivedParser
{
    private static readonly string[] TopKeywords = ["global_defs", "vrrp_script", "vrrp_instance", "vrrp_sync_group"];

    private static readonly HashSet<string> TopUnsupported = new(StringComparer.Ordinal)
    {
        "virtual_server", "virtual_server_group", "static_ipaddress", "static_routes", "static_rules",
        "vrrp_track_process", "track_process", "vrrp_track_file", "track_file", "bfd_instance",
        "linkbeat_use_polling", "net_namespace", "net_namespace_ipvs", "namespace_with_ipsets",
        "instance", "use_pid_dir", "garp_group", "vrrp_track_bfd", "$",
    };

    private static readonly string[] GlobalKeywords =
    [
        "router_id", "notification_email", "notification_email_from", "smtp_server", "smtp_helo_name",
        "smtp_connect_timeout", "enable_script_security", "script_user", "vrrp_version", "vrrp_strict",
        "vrrp_garp_master_delay", "vrrp_garp_master_repeat", "vrrp_garp_master_refresh", "vrrp_garp_master_refresh_repeat",
        "vrrp_garp_lower_prio_delay", "vrrp_garp_lower_prio_repeat", "vrrp_lower_prio_no_advert", "vrrp_higher_prio_send_advert",
        "vrrp_garp_interval", "vrrp_gna_interval", "vrrp_min_garp", "vrrp_mcast_group4", "vrrp_mcast_group6", "lvs_id",
    ];

    private static readonly HashSet<string> GlobalUnsupported = new(StringComparer.Ordinal)
    {
        "smtp_alert", "smtp_alert_vrrp", "smtp_alert_checker", "checker_log_all_failures", "lvs_sync_daemon",
        "lvs_timeouts", "lvs_flush", "lvs_flush_onstop", "dynamic_interfaces", "vrrp_iptables", "vrrp_ipsets",
        "vrrp_nftables", "vrrp_notify_fifo", "vrrp_notify_fifo_script", "notify_fifo", "notify_fifo_script",
        "enable_traps", "enable_snmp_vrrp", "enable_snmp_checker", "enable_snmp_rfc", "enable_snmp_rfcv2", "enable_snmp_rfcv3",
        "enable_dbus", "vrrp_skip_check_adv_addr", "vrrp_check_unicast_src", "vrrp_priority", "checker_priority",
        "vrrp_no_swap", "checker_no_swap", "max_auto_priority", "vrrp_rt_priority", "checker_rt_priority",
        "process_names", "process_name", "vrrp_process_name", "checker_process_name", "default_interface",
        "vrrp_garp_extra_if", "vrrp_netlink_cmd_rcv_bufs", "vrrp_netlink_monitor_rcv_bufs", "vrrp_rx_bufs_policy",
        "vrrp_startup_delay", "vrrp_log_unknown_vrids", "nftables", "script_security", "instance", "net_namespace",
        "use_symlink_paths", "reload_time_file", "reload_repeat", "reload_file", "config_save_dir", "random_seed",
        "vrrp_notify_priority_changes", "fifo_write_vrrp_states_on_reload", "tmp_config_directory", "data_use_instance",
        "umask", "disable_local_igmp", "vrrp_version_3_checksum_as_v2", "v3_checksum_as_v2",
    };

    private static readonly string[] ScriptKeywords = ["script", "interval", "timeout", "weight", "rise", "fall", "user", "init_fail"];

    private static readonly string[] InstanceKeywords =
    [
        "state", "interface", "virtual_router_id", "priority", "advert_int", "nopreempt", "preempt", "preempt_delay",
        "authentication", "virtual_ipaddress", "virtual_ipaddress_excluded", "track_script", "track_interface",
        "unicast_src_ip", "unicast_peer", "unicast_ttl", "mcast_src_ip", "notify", "notify_master", "notify_backup",
        "notify_fault", "notify_stop", "smtp_alert", "version", "garp_master_delay", "garp_master_repeat",
        "garp_master_refresh", "garp_master_refresh_repeat", "garp_lower_prio_delay", "garp_lower_prio_repeat",
        "lower_prio_no_advert", "higher_prio_send_advert", "dont_track_primary",
    ];

    private static readonly HashSet<string> InstanceUnsupported = new(StringComparer.Ordinal)
    {
        "use_vmac", "vmac_xmit_base", "virtual_routes", "virtual_rules", "track_file", "track_process", "track_bfd",
        "native_ipv6", "accept", "no_accept", "skip_check_adv_addr", "check_unicast_src", "garp_extra_if",
        "notify_master_rx_lower_pri", "notify_deleted", "linkbeat_use_polling", "kernel_rx_buf_size", "debug",
        "strict_mode", "old_unicast_checksum", "unicast_fault_no_peer", "track_src_ip", "vrrp_garp_extra_if",
        "promote_secondaries", "down_timer_adverts", "interface_up_down_delays", "no_track", "mcast_dst_ip",
        "unicast_checksum_compat", "use_ipvlan", "vmac_preserve_lladdr",
    };

    private static readonly string[] GroupKeywords = ["group", "notify", "notify_master", "notify_backup", "notify_fault", "notify_stop", "smtp_alert"];

    private static readonly HashSet<string> GroupUnsupported = new(StringComparer.Ordinal)
    {
        "track_script", "track_interface", "track_file", "track_process", "track_bfd", "global_tracking",
        "sync_group_tracking_weight", "notify_deleted",
    };

    private static readonly HashSet<string> TopSet = new(TopKeywords.Concat(TopUnsupported).Append("include"), StringComparer.Ordinal);

    /// <summary>At the top level every statement is a block header: global_defs takes no name, the others one.</summary>
    private static readonly BlockSyntax TopSyntax = new(
        "the top level",
        t => !t.Quoted && TopSet.Contains(t.Text),
        (words, t) => (!t.Quoted && TopSet.Contains(t.Text))
                      || (words[0].Text == "global_defs")
                      || (words.Count >= 2 && words[0].Text is "vrrp_instance" or "vrrp_script" or "vrrp_sync_group"));
    private static readonly BlockSyntax GlobalSyntax = BlockSyntax.Keywords("global_defs", GlobalKeywords, GlobalUnsupported);
    private static readonly BlockSyntax ScriptSyntax = BlockSyntax.Keywords("vrrp_script", ScriptKeywords);
    private static readonly BlockSyntax InstanceSyntax = BlockSyntax.Keywords("vrrp_instance", InstanceKeywords, InstanceUnsupported);
    private static readonly BlockSyntax GroupSyntax = BlockSyntax.Keywords("vrrp_sync_group", GroupKeywords, GroupUnsupported);
    private static readonly BlockSyntax AuthSyntax = BlockSyntax.Keywords("authentication", ["auth_type", "auth_pass"]);

    /// <summary>Lists where every word is an entry (notification_email, group).</summary>
    private static readonly BlockSyntax WordListSyntax = new("a list", _ => false, (_, _) => true);

    private static readonly HashSet<string> VipArgOptions = new(StringComparer.Ordinal) { "brd", "dev", "scope", "label", "peer", "preferred_lft", "track_group" };

    private static readonly BlockSyntax VipSyntax = new(
        "virtual_ipaddress",
        t => LooksLikeAddress(t.Text),
        (words, t) => LooksLikeAddress(t.Text) && !VipArgOptions.Contains(words[^1].Text));

    private static readonly BlockSyntax TrackSyntax = new(
        "a track list",
        _ => false,
        (words, t) => t.Text is not ("weight" or "reverse" or "noreverse") && words[^1].Text != "weight");

    private static readonly BlockSyntax PeerSyntax = new(
        "unicast_peer",
        t => LooksLikeAddress(t.Text),
        (words, t) => LooksLikeAddress(t.Text) && words[^1].Text is not ("min_ttl" or "max_ttl"));

    private sealed class GarpDraft
    {
        public decimal? MasterDelay { get; set; }
        public int? MasterRepeat { get; set; }
        public decimal? MasterRefresh { get; set; }
        public int? MasterRefreshRepeat { get; set; }
        public decimal? LowerPrioDelay { get; set; }
        public int? LowerPrioRepeat { get; set; }
        public bool? LowerPrioNoAdvert { get; set; }
        public bool? HigherPrioSendAdvert { get; set; }
    }

    private sealed class InstanceDraft
    {
        public KeepalivedVrrpInstance Instance { get; } = new();
        public GarpDraft Garp { get; } = new();
        public bool HasInterface { get; set; }
        public bool HasVrid { get; set; }
        public bool HasState { get; set; }
        public int? Version { get; set; }
        public decimal? AdvertInt { get; set; }
        public bool NoPreempt { get; set; }
        public List<KeepalivedVirtualIp> Vips { get; } = [];
        public List<KeepalivedVirtualIp> ExcludedVips { get; } = [];
        public List<KeepalivedTrackScript> TrackScripts { get; } = [];
        public List<KeepalivedTrackInterface> TrackInterfaces { get; } = [];
        public List<KeepalivedUnicastPeer> Peers { get; } = [];
    }

    // ------------------------------------------------------------------ top level

    private void ParseTop()
    {
        while (true)
        {
            var st = Read(TopSyntax);
            if (st is null)
            {
                return;
            }

            if (st.Kind == StatementKind.Close)
            {
                Error(st.Location, null, "extra '}' at the top level (no block is open)");
                continue;
            }

            if (st.Kind == StatementKind.Open)
            {
                Error(st.Location, null, "unexpected '{' at the top level (no keyword opens it)");
                SkipBody(st);
                continue;
            }

            switch (st.Keyword)
            {
                case "global_defs":
                    NoMoreArgs(st, 0);
                    _config.Global.Location = st.Location;
                    ParseBody(st, GlobalSyntax, ParseGlobal);
                    break;
                case "vrrp_script":
                    ParseScript(st);
                    break;
                case "vrrp_instance":
                    ParseInstance(st);
                    break;
                case "vrrp_sync_group":
                    ParseGroup(st);
                    break;
                default:
                    Unknown(st, "the top level", TopUnsupported, TopSyntax);
                    break;
            }
        }
    }

    // ------------------------------------------------------------------ global_defs

    private void ParseGlobal(Statement st)
    {
        var g = _config.Global;
        var kw = st.Keyword;
        if (GlobalKeywords.Contains(kw))
        {
            g.SetLine(kw, st.Location);
        }

        switch (kw)
        {
            case "router_id":
            case "lvs_id":
                if (NeedArgs(st, 1, "a name"))
                {
                    g.RouterId = st.Arg(0);
                    NoMoreArgs(st, 1);
                }

                break;
            case "notification_email":
                var emails = new List<string>(g.NotificationEmails);
                ParseBody(st, WordListSyntax, e => emails.AddRange(e.Words.Select(w => w.Text)));
                g.NotificationEmails = emails;
                break;
            case "notification_email_from":
                if (NeedArgs(st, 1, "an e-mail address"))
                {
                    g.NotificationEmailFrom = st.Arg(0);
                    NoMoreArgs(st, 1);
                }

                break;
            case "smtp_server":
                if (NeedArgs(st, 1, "an IP address or host name [port]"))
                {
                    var host = st.Arg(0);
                    if (host.Any(char.IsAsciiDigit) && host.All(c => char.IsAsciiDigit(c) || c == '.') && !IPAddress.TryParse(host, out _))
                    {
                        Error(st.Location, kw, $"'smtp_server': '{host}' is not a valid IP address");
                    }

                    g.SmtpServer = host;
                    if (st.ArgCount >= 2 && TryInt(st, kw, st.Arg(1), 1, 65535, out var port))
                    {
                        g.SmtpServerPort = port;
                    }

                    NoMoreArgs(st, 2);
                }

                break;
            case "smtp_helo_name":
                if (NeedArgs(st, 1, "a host name"))
                {
                    g.SmtpHeloName = st.Arg(0);
                }

                break;
            case "smtp_connect_timeout":
                if (NeedArgs(st, 1, "a number of seconds") && TryInt(st, kw, st.Arg(0), 1, 3600, out var timeout))
                {
                    g.SmtpConnectTimeout = TimeSpan.FromSeconds(timeout);
                }

                break;
            case "enable_script_security":
                NoMoreArgs(st, 0);
                g.EnableScriptSecurity = true;
                break;
            case "script_user":
                if (NeedArgs(st, 1, "a user name [group name]"))
                {
                    g.ScriptUser = st.Arg(0);
                    g.ScriptGroup = st.ArgCount >= 2 ? st.Arg(1) : null;
                    NoMoreArgs(st, 2);
                }

                break;
            case "vrrp_version":
                if (NeedArgs(st, 1, "2 or 3") && TryInt(st, kw, st.Arg(0), 2, 3, out var version))
                {
                    g.VrrpVersion = version;
                }

                break;
            case "vrrp_strict":
                g.VrrpStrict = true;
                Warn(st.Location, kw, "'vrrp_strict' is recorded, but Ha.Net does not enforce keepalived's strict-mode restrictions");
                break;
            case "vrrp_garp_interval":
            case "vrrp_gna_interval":
                if (NeedArgs(st, 1, "a number of seconds") && TrySeconds(st, kw, st.Arg(0), 0m, 1m, out var gap))
                {
                    if (kw == "vrrp_garp_interval")
                    {
                        g.GarpInterval = Seconds(gap);
                    }
                    else
                    {
                        g.GnaInterval = Seconds(gap);
                    }
                }

                break;
            case "vrrp_min_garp":
                if (ParseOptionalBool(st) is { } minGarp)
                {
                    g.MinGarp = minGarp;
                }

                break;
            case "vrrp_mcast_group4":
            case "vrrp_mcast_group6":
                if (NeedArgs(st, 1, "a multicast address") && TryIp(st, kw, st.Arg(0), out var group))
                {
                    var v6 = kw.EndsWith('6');
                    if (!group.IsIPv6Multicast && !(group.AddressFamily == AddressFamily.InterNetwork && (group.GetAddressBytes()[0] & 0xF0) == 0xE0))
                    {
                        Error(st.Location, kw, $"'{kw}': '{st.Arg(0)}' is not a multicast address");
                    }
                    else if (v6 != (group.AddressFamily == AddressFamily.InterNetworkV6))
                    {
                        Error(st.Location, kw, $"'{kw}': '{st.Arg(0)}' is of the wrong address family");
                    }
                    else if (v6)
                    {
                        g.MulticastGroup6 = group;
                    }
                    else
                    {
                        g.MulticastGroup4 = group;
                    }
                }

                break;
            default:
                if (kw.StartsWith("vrrp_", StringComparison.Ordinal) && ParseGarp(st, kw["vrrp_".Length..], _globalGarp))
                {
                    break;
                }

                Unknown(st, "global_defs", GlobalUnsupported, GlobalSyntax);
                break;
        }
    }

    /// <summary>The garp_* / lower_prio_no_advert knobs shared by global_defs (vrrp_ prefix) and instances.</summary>
    private bool ParseGarp(Statement st, string knob, GarpDraft into)
    {
        var kw = st.Keyword;
        switch (knob)
        {
            case "garp_master_delay":
            case "garp_master_refresh":
            case "garp_lower_prio_delay":
                if (NeedArgs(st, 1, "a number of seconds") && TrySeconds(st, kw, st.Arg(0), 0m, 86400m, out var secs))
                {
                    if (knob == "garp_master_delay")
                    {
                        into.MasterDelay = secs;
                    }
                    else if (knob == "garp_master_refresh")
                    {
                        into.MasterRefresh = secs;
                    }
                    else
                    {
                        into.LowerPrioDelay = secs;
                    }
                }

                return true;
            case "garp_master_repeat":
            case "garp_master_refresh_repeat":
            case "garp_lower_prio_repeat":
                if (NeedArgs(st, 1, "a count") && TryInt(st, kw, st.Arg(0), 0, 10000, out var count))
                {
                    if (knob == "garp_master_repeat")
                    {
                        into.MasterRepeat = count;
                    }
                    else if (knob == "garp_master_refresh_repeat")
                    {
                        into.MasterRefreshRepeat = count;
                    }
                    else
                    {
                        into.LowerPrioRepeat = count;
                    }
                }

                return true;
            case "lower_prio_no_advert":
                into.LowerPrioNoAdvert = ParseOptionalBool(st) ?? into.LowerPrioNoAdvert;
                return true;
            case "higher_prio_send_advert":
                into.HigherPrioSendAdvert = ParseOptionalBool(st) ?? into.HigherPrioSendAdvert;
                return true;
            default:
                return false;
        }
    }

    // ------------------------------------------------------------------ vrrp_script

    private void ParseScript(Statement header)
    {
        var script = new KeepalivedVrrpScript { Location = header.Location };
        if (NeedArgs(header, 1, "a script name"))
        {
            script.Name = header.Arg(0);
            NoMoreArgs(header, 1);

            // keepalived 2.2.7 keeps both blocks without a word, and find_script_by_name() always finds the first.
            if (_scripts.FirstOrDefault(s => s.Name == script.Name) is { } first)
            {
                Warn(header.Location, "vrrp_script", $"vrrp_script '{script.Name}' is already defined at {first.Location}; keepalived uses that first definition, this block is ignored");
                SkipOptionalBlock(ScriptSyntax);
                return;
            }
        }

        decimal? timeout = null;
        var hasScript = false;
        ParseBody(header, ScriptSyntax, st =>
        {
            var kw = st.Keyword;
            if (ScriptKeywords.Contains(kw))
            {
                script.SetLine(kw, st.Location);
            }

            switch (kw)
            {
                case "script":
                    if (NeedArgs(st, 1, "a command line"))
                    {
                        script.Script = string.Join(' ', st.Words.Skip(1).Select(w => w.Text));
                        hasScript = true;
                    }

                    break;
                case "interval":
                    if (NeedArgs(st, 1, "a number of seconds") && TrySeconds(st, kw, st.Arg(0), 0.000001m, 86400m, out var interval))
                    {
                        script.Interval = Seconds(interval);
                    }

                    break;
                case "timeout":
                    if (NeedArgs(st, 1, "a number of seconds") && TrySeconds(st, kw, st.Arg(0), 0.000001m, 86400m, out var t))
                    {
                        timeout = t;
                    }

                    break;
                case "weight":
                    if (NeedArgs(st, 1, "a weight between -253 and 253") && TryInt(st, kw, st.Arg(0), -253, 253, out var weight))
                    {
                        script.Weight = weight;
                        if (st.ArgCount >= 2)
                        {
                            if (st.Arg(1) == "reverse")
                            {
                                script.WeightReverse = true;
                            }
                            else if (st.Arg(1) != "noreverse")
                            {
                                Error(st.Location, kw, $"'weight': expected 'reverse' after the weight, got '{st.Arg(1)}'");
                            }
                        }
                    }

                    break;
                case "rise":
                case "fall":
                    if (NeedArgs(st, 1, "a count of at least 1") && TryInt(st, kw, st.Arg(0), 1, 1_000_000, out var n))
                    {
                        if (kw == "rise")
                        {
                            script.Rise = n;
                        }
                        else
                        {
                            script.Fall = n;
                        }
                    }

                    break;
                case "user":
                    if (NeedArgs(st, 1, "a user name [group name]"))
                    {
                        script.User = st.Arg(0);
                        script.Group = st.ArgCount >= 2 ? st.Arg(1) : null;
                    }

                    break;
                case "init_fail":
                    script.InitFail = true;
                    break;
                default:
                    Unknown(st, $"vrrp_script '{script.Name}'", new HashSet<string>(StringComparer.Ordinal), ScriptSyntax);
                    break;
            }
        });

        script.Timeout = timeout is { } to ? Seconds(to) : script.Interval;
        if (!hasScript)
        {
            Error(header.Location, "script", $"vrrp_script '{script.Name}' has no 'script' command");
        }

        if (script.Name.Length > 0)
        {
            _scripts.Add(script);
        }
    }

    // ------------------------------------------------------------------ vrrp_sync_group

    private void ParseGroup(Statement header)
    {
        var group = new KeepalivedSyncGroup { Location = header.Location };
        if (NeedArgs(header, 1, "a group name"))
        {
            group.Name = header.Arg(0);
            NoMoreArgs(header, 1);

            // keepalived 2.2.7 (vrrp_parser.c vrrp_group_handler): "vrrp sync group %s already defined", then skip_block().
            if (_groups.FirstOrDefault(g => g.Name == group.Name) is { } first)
            {
                Error(header.Location, "vrrp_sync_group", $"vrrp sync group {group.Name} already defined (first at {first.Location}); this block is skipped");
                SkipOptionalBlock(GroupSyntax);
                return;
            }
        }

        var members = new List<string>();
        ParseBody(header, GroupSyntax, st =>
        {
            var kw = st.Keyword;
            if (GroupKeywords.Contains(kw))
            {
                group.SetLine(kw, st.Location);
            }

            switch (kw)
            {
                case "group":
                    ParseBody(st, WordListSyntax, e => members.AddRange(e.Words.Select(w => w.Text)));
                    break;
                case "notify":
                    group.Notify = ParseNotify(st);
                    break;
                case "notify_master":
                    group.NotifyMaster = ParseNotify(st);
                    break;
                case "notify_backup":
                    group.NotifyBackup = ParseNotify(st);
                    break;
                case "notify_fault":
                    group.NotifyFault = ParseNotify(st);
                    break;
                case "notify_stop":
                    group.NotifyStop = ParseNotify(st);
                    break;
                case "smtp_alert":
                    group.SmtpAlert = ParseOptionalBool(st) ?? group.SmtpAlert;
                    break;
                default:
                    Unknown(st, $"vrrp_sync_group '{group.Name}'", GroupUnsupported, GroupSyntax);
                    break;
            }
        });

        group.Instances = members;
        if (members.Count == 0)
        {
            Error(header.Location, "group", $"vrrp_sync_group '{group.Name}' has no 'group {{ ... }}' members");
        }

        _groups.Add(group);
    }

    private KeepalivedNotifyScript? ParseNotify(Statement st)
    {
        if (!NeedArgs(st, 1, "a command line (quote it to pass arguments)"))
        {
            return null;
        }

        var user = st.ArgCount >= 2 ? st.Arg(1) : null;
        var group = st.ArgCount >= 3 ? st.Arg(2) : null;
        if (user is not null && !st.Words[1].Quoted)
        {
            Warn(st.Location, st.Keyword, $"'{st.Keyword}': '{user}' is taken as the user to run '{st.Arg(0)}' as (keepalived syntax); quote the command line to pass it arguments");
        }

        NoMoreArgs(st, 3);
        return new KeepalivedNotifyScript(st.Arg(0), user, group, st.Location);
    }
}
