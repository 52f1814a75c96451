using System.Net;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;

namespace Ha.Net.Vrrp.Keepalived;

/// <summary>A keepalived.conf as read: global definitions, scripts, instances and sync groups, with keepalived's defaults applied.</summary>
public sealed class KeepalivedConfig
{
    /// <summary>The <c>global_defs</c> block (defaults when absent).</summary>
    public KeepalivedGlobalDefs Global { get; internal set; } = new();

    /// <summary>The <c>vrrp_script</c> blocks in file order.</summary>
    public IReadOnlyList<KeepalivedVrrpScript> Scripts { get; internal set; } = [];

    /// <summary>The <c>vrrp_instance</c> blocks in file order.</summary>
    public IReadOnlyList<KeepalivedVrrpInstance> Instances { get; internal set; } = [];

    /// <summary>The <c>vrrp_sync_group</c> blocks in file order.</summary>
    public IReadOnlyList<KeepalivedSyncGroup> SyncGroups { get; internal set; } = [];

    /// <summary>Every file read, the main file first, then included files in reading order.</summary>
    public IReadOnlyList<string> Files { get; internal set; } = [];
}

/// <summary>Common to every block of the model: where it starts and where each directive was read.</summary>
public abstract class KeepalivedBlock
{
    private readonly Dictionary<string, KeepalivedSourceLine> _lines = new(StringComparer.Ordinal);

    /// <summary>Where the block (or entry) starts.</summary>
    public KeepalivedSourceLine Location { get; internal set; }

    /// <summary>Where each directive of the block was read, by keyword (the last occurrence wins, as in keepalived).</summary>
    public IReadOnlyDictionary<string, KeepalivedSourceLine> DirectiveLines => _lines;

    internal void SetLine(string keyword, KeepalivedSourceLine line) => _lines[keyword] = line;
}

/// <summary>The <c>global_defs</c> block.</summary>
public sealed class KeepalivedGlobalDefs : KeepalivedBlock
{
    /// <summary><c>router_id</c>: the name used in SMTP alerts; <see langword="null"/> means the host name.</summary>
    public string? RouterId { get; internal set; }

    /// <summary><c>notification_email { ... }</c>: recipients of SMTP alerts.</summary>
    public IReadOnlyList<string> NotificationEmails { get; internal set; } = [];

    /// <summary><c>notification_email_from</c>: the sender; <see langword="null"/> means keepalived's default (<c>keepalived@&lt;hostname&gt;</c>).</summary>
    public string? NotificationEmailFrom { get; internal set; }

    /// <summary><c>smtp_server</c> host (an IP address or a name), or <see langword="null"/> when not set.</summary>
    public string? SmtpServer { get; internal set; }

    /// <summary><c>smtp_server</c> port (default 25).</summary>
    public int SmtpServerPort { get; internal set; } = 25;

    /// <summary><c>smtp_helo_name</c>, or <see langword="null"/> for the local FQDN.</summary>
    public string? SmtpHeloName { get; internal set; }

    /// <summary><c>smtp_connect_timeout</c> (default 30 s).</summary>
    public TimeSpan SmtpConnectTimeout { get; internal set; } = TimeSpan.FromSeconds(30);

    /// <summary><c>enable_script_security</c>.</summary>
    public bool EnableScriptSecurity { get; internal set; }

    /// <summary><c>script_user USER [GROUP]</c>: the user, or <see langword="null"/>.</summary>
    public string? ScriptUser { get; internal set; }

    /// <summary><c>script_user USER [GROUP]</c>: the group, or <see langword="null"/>.</summary>
    public string? ScriptGroup { get; internal set; }

    /// <summary><c>vrrp_version</c> (default 2): the default version of every instance.</summary>
    public int VrrpVersion { get; internal set; } = 2;

    /// <summary><c>vrrp_strict</c>.</summary>
    public bool VrrpStrict { get; internal set; }

    /// <summary><c>vrrp_garp_*</c>, <c>vrrp_lower_prio_no_advert</c>, ...: the defaults every instance starts from.</summary>
    public KeepalivedGarpSettings Garp { get; internal set; } = new();

    /// <summary><c>vrrp_garp_interval</c>: spacing between gratuitous ARPs (default 0).</summary>
    public TimeSpan GarpInterval { get; internal set; }

    /// <summary><c>vrrp_gna_interval</c>: spacing between unsolicited neighbour advertisements (default 0).</summary>
    public TimeSpan GnaInterval { get; internal set; }

    /// <summary><c>vrrp_min_garp</c>: one gratuitous ARP and no second burst.</summary>
    public bool MinGarp { get; internal set; }

    /// <summary><c>vrrp_mcast_group4</c> (default 224.0.0.18).</summary>
    public IPAddress MulticastGroup4 { get; internal set; } = IPAddress.Parse("224.0.0.18");

    /// <summary><c>vrrp_mcast_group6</c> (default ff02::12).</summary>
    public IPAddress MulticastGroup6 { get; internal set; } = IPAddress.Parse("ff02::12");
}

/// <summary>Gratuitous ARP / advert knobs, global (<c>vrrp_</c> prefix) or per instance.</summary>
public sealed record KeepalivedGarpSettings
{
    /// <summary><c>garp_master_delay</c>: delay of the second burst after becoming master (default 5 s; 0 = none).</summary>
    public TimeSpan MasterDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>garp_master_repeat</c>: gratuitous ARPs per VIP in each burst (default 5).</summary>
    public int MasterRepeat { get; init; } = 5;

    /// <summary><c>garp_master_refresh</c>: periodic refresh while master (default 0 = off).</summary>
    public TimeSpan MasterRefresh { get; init; }

    /// <summary><c>garp_master_refresh_repeat</c>: gratuitous ARPs per refresh (default 1).</summary>
    public int MasterRefreshRepeat { get; init; } = 1;

    /// <summary><c>garp_lower_prio_delay</c> (default = <see cref="MasterDelay"/>).</summary>
    public TimeSpan LowerPriorityDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>garp_lower_prio_repeat</c> (default = <see cref="MasterRepeat"/>).</summary>
    public int LowerPriorityRepeat { get; init; } = 5;

    /// <summary><c>lower_prio_no_advert</c>: a master hearing a lower priority does not answer with an advert.</summary>
    public bool LowerPriorityNoAdvert { get; init; }

    /// <summary><c>higher_prio_send_advert</c>: a master hearing a higher priority sends one advert before leaving.
    /// On unless configured <c>false</c> (Ha.Net's default, unlike keepalived's: see <c>VirtualRouterOptions.HigherPrioritySendAdvert</c>).</summary>
    public bool HigherPrioritySendAdvert { get; init; } = true;
}

/// <summary>A <c>vrrp_script NAME { ... }</c> block.</summary>
public sealed class KeepalivedVrrpScript : KeepalivedBlock
{
    /// <summary>The script name that <c>track_script</c> refers to.</summary>
    public string Name { get; internal set; } = "";

    /// <summary><c>script</c>: the command line (quotes removed).</summary>
    public string Script { get; internal set; } = "";

    /// <summary><c>interval</c> (default 1 s).</summary>
    public TimeSpan Interval { get; internal set; } = TimeSpan.FromSeconds(1);

    /// <summary><c>timeout</c> (default: the interval).</summary>
    public TimeSpan Timeout { get; internal set; } = TimeSpan.FromSeconds(1);

    /// <summary><c>weight</c> (-253..253, default 0 = FAULT while failing).</summary>
    public int Weight { get; internal set; }

    /// <summary><c>weight W reverse</c>.</summary>
    public bool WeightReverse { get; internal set; }

    /// <summary><c>rise</c> (default 1).</summary>
    public int Rise { get; internal set; } = 1;

    /// <summary><c>fall</c> (default 1).</summary>
    public int Fall { get; internal set; } = 1;

    /// <summary><c>user USER [GROUP]</c>: the user, or <see langword="null"/> for <c>script_user</c>.</summary>
    public string? User { get; internal set; }

    /// <summary><c>user USER [GROUP]</c>: the group, or <see langword="null"/>.</summary>
    public string? Group { get; internal set; }

    /// <summary><c>init_fail</c>: the script starts in the failed state.</summary>
    public bool InitFail { get; internal set; }
}

/// <summary>The initial state of an instance (<c>state</c>).</summary>
public enum KeepalivedInitialState
{
    /// <summary><c>state BACKUP</c> (keepalived's default).</summary>
    Backup,

    /// <summary><c>state MASTER</c>.</summary>
    Master,
}

/// <summary>The authentication type (<c>auth_type</c>).</summary>
public enum KeepalivedAuthType
{
    /// <summary><c>PASS</c>: simple text password (VRRPv2 type 1).</summary>
    Pass,

    /// <summary><c>AH</c>: IPsec AH (VRRPv2 type 2).</summary>
    Ah,
}

/// <summary>The <c>authentication { auth_type ..., auth_pass ... }</c> block.</summary>
public sealed class KeepalivedAuthentication : KeepalivedBlock
{
    /// <summary><c>auth_type</c>.</summary>
    public KeepalivedAuthType Type { get; internal set; }

    /// <summary><c>auth_pass</c>, truncated to 8 characters as keepalived does.</summary>
    public string Password { get; internal set; } = "";
}

/// <summary>A notify script line: <c>notify_master "command args" [user [group]]</c>.</summary>
/// <param name="Command">The command line (quotes removed).</param>
/// <param name="User">The user to run it as, or <see langword="null"/>.</param>
/// <param name="Group">The group to run it as, or <see langword="null"/>.</param>
/// <param name="Location">Where it was read.</param>
public sealed record KeepalivedNotifyScript(string Command, string? User, string? Group, KeepalivedSourceLine Location);

/// <summary>A <c>virtual_ipaddress</c> (or <c>virtual_ipaddress_excluded</c>) entry.</summary>
public sealed class KeepalivedVirtualIp : KeepalivedBlock
{
    /// <summary>The address.</summary>
    public IPAddress Address { get; internal set; } = IPAddress.None;

    /// <summary>The prefix length (default /32 or /128).</summary>
    public int PrefixLength { get; internal set; }

    /// <summary><c>dev</c>, or <see langword="null"/> for the instance's interface.</summary>
    public string? Device { get; internal set; }

    /// <summary><c>brd</c>, or <see langword="null"/>.</summary>
    public IPAddress? Broadcast { get; internal set; }

    /// <summary><c>scope</c> (default global).</summary>
    public AddressScope Scope { get; internal set; } = AddressScope.Global;

    /// <summary><c>label</c>, or <see langword="null"/>.</summary>
    public string? Label { get; internal set; }

    /// <summary><c>peer</c>, or <see langword="null"/>.</summary>
    public IPAddress? Peer { get; internal set; }

    /// <summary><c>no_track</c>: removal by a third party does not make the instance leave MASTER.</summary>
    public bool NoTrack { get; internal set; }

    /// <summary>The entry as written, for messages.</summary>
    public string Text { get; internal set; } = "";

    /// <summary>Converts the entry to the address binder's <see cref="VirtualAddress"/>.</summary>
    /// <param name="instanceInterface">The instance's <c>interface</c>, used when there is no <c>dev</c>.</param>
    /// <returns>The virtual address.</returns>
    public VirtualAddress ToVirtualAddress(string instanceInterface) =>
        new(Address, PrefixLength, Device ?? instanceInterface)
        {
            Broadcast = Broadcast,
            Scope = Scope,
            Label = Label,
        };
}

/// <summary>A <c>track_script</c> entry: <c>NAME [weight W [reverse|noreverse]]</c>.</summary>
/// <param name="Name">The <c>vrrp_script</c> name.</param>
/// <param name="Weight">The weight override, or <see langword="null"/> for the script's own weight.</param>
/// <param name="Reverse">The <c>reverse</c> override, or <see langword="null"/> for the script's own.</param>
/// <param name="Location">Where it was read.</param>
public sealed record KeepalivedTrackScript(string Name, int? Weight, bool? Reverse, KeepalivedSourceLine Location);

/// <summary>A <c>track_interface</c> entry: <c>IF [weight W [reverse|noreverse]]</c>.</summary>
/// <param name="Interface">The interface name.</param>
/// <param name="Weight">The weight, or <see langword="null"/> (interface down means FAULT).</param>
/// <param name="Reverse">Whether <c>reverse</c> was given.</param>
/// <param name="Location">Where it was read.</param>
public sealed record KeepalivedTrackInterface(string Interface, int? Weight, bool Reverse, KeepalivedSourceLine Location);

/// <summary>A <c>unicast_peer</c> entry: <c>IP [min_ttl N] [max_ttl N]</c>.</summary>
/// <param name="Address">The peer address.</param>
/// <param name="MinTtl">The minimum accepted TTL, or <see langword="null"/>.</param>
/// <param name="MaxTtl">The maximum accepted TTL, or <see langword="null"/>.</param>
/// <param name="Location">Where it was read.</param>
public sealed record KeepalivedUnicastPeer(IPAddress Address, int? MinTtl, int? MaxTtl, KeepalivedSourceLine Location);

/// <summary>A <c>vrrp_instance NAME { ... }</c> block, with keepalived's defaults applied.</summary>
public sealed class KeepalivedVrrpInstance : KeepalivedBlock
{
    /// <summary>The instance name.</summary>
    public string Name { get; internal set; } = "";

    /// <summary><c>state</c> (default BACKUP).</summary>
    public KeepalivedInitialState State { get; internal set; } = KeepalivedInitialState.Backup;

    /// <summary><c>interface</c> (required).</summary>
    public string Interface { get; internal set; } = "";

    /// <summary><c>virtual_router_id</c> (1..255, required).</summary>
    public int VirtualRouterId { get; internal set; }

    /// <summary><c>priority</c> (1..255; default 100, or 255 when omitted with <c>state MASTER</c>, as keepalived derives it).</summary>
    public int Priority { get; internal set; } = 100;

    /// <summary>Whether <c>priority</c> was written in the file.</summary>
    public bool PriorityExplicit { get; internal set; }

    /// <summary><c>advert_int</c> (default 1 s; fractional allowed for VRRPv3).</summary>
    public TimeSpan AdvertInterval { get; internal set; } = TimeSpan.FromSeconds(1);

    /// <summary><c>version</c> (2 or 3; default <c>vrrp_version</c>, forced to 3 for IPv6).</summary>
    public int Version { get; internal set; } = 2;

    /// <summary>Whether a higher priority takes over from a lower-priority master (default on; <c>nopreempt</c> clears it).</summary>
    public bool Preempt { get; internal set; } = true;

    /// <summary><c>preempt_delay</c> (0..1000 s, default 0).</summary>
    public TimeSpan PreemptDelay { get; internal set; }

    /// <summary>The <c>authentication</c> block, or <see langword="null"/>.</summary>
    public KeepalivedAuthentication? Authentication { get; internal set; }

    /// <summary><c>virtual_ipaddress</c>: the advertised VIPs.</summary>
    public IReadOnlyList<KeepalivedVirtualIp> VirtualIpAddresses { get; internal set; } = [];

    /// <summary><c>virtual_ipaddress_excluded</c>: VIPs managed but not advertised.</summary>
    public IReadOnlyList<KeepalivedVirtualIp> ExcludedVirtualIpAddresses { get; internal set; } = [];

    /// <summary><c>track_script</c>.</summary>
    public IReadOnlyList<KeepalivedTrackScript> TrackScripts { get; internal set; } = [];

    /// <summary><c>track_interface</c>.</summary>
    public IReadOnlyList<KeepalivedTrackInterface> TrackInterfaces { get; internal set; } = [];

    /// <summary><c>unicast_src_ip</c>, or <see langword="null"/>.</summary>
    public IPAddress? UnicastSourceIp { get; internal set; }

    /// <summary><c>unicast_peer</c>: when non-empty the instance runs in unicast mode.</summary>
    public IReadOnlyList<KeepalivedUnicastPeer> UnicastPeers { get; internal set; } = [];

    /// <summary><c>unicast_ttl</c> (default 255).</summary>
    public int UnicastTtl { get; internal set; } = 255;

    /// <summary><c>mcast_src_ip</c>, or <see langword="null"/>.</summary>
    public IPAddress? MulticastSourceIp { get; internal set; }

    /// <summary><c>notify</c>: the generic script (keepalived appends 4 arguments).</summary>
    public KeepalivedNotifyScript? Notify { get; internal set; }

    /// <summary><c>notify_master</c>.</summary>
    public KeepalivedNotifyScript? NotifyMaster { get; internal set; }

    /// <summary><c>notify_backup</c>.</summary>
    public KeepalivedNotifyScript? NotifyBackup { get; internal set; }

    /// <summary><c>notify_fault</c>.</summary>
    public KeepalivedNotifyScript? NotifyFault { get; internal set; }

    /// <summary><c>notify_stop</c>.</summary>
    public KeepalivedNotifyScript? NotifyStop { get; internal set; }

    /// <summary><c>smtp_alert</c>: send mail on transitions.</summary>
    public bool SmtpAlert { get; internal set; }

    /// <summary><c>dont_track_primary</c>: ignore faults of the instance's own interface.</summary>
    public bool DontTrackPrimary { get; internal set; }

    /// <summary>The gratuitous ARP knobs (global <c>vrrp_garp_*</c> overridden by the instance's <c>garp_*</c>).</summary>
    public KeepalivedGarpSettings Garp { get; internal set; } = new();

    /// <summary>The <c>vrrp_sync_group</c> this instance belongs to, or <see langword="null"/>.</summary>
    public string? SyncGroup { get; internal set; }
}

/// <summary>A <c>vrrp_sync_group NAME { group { ... } ... }</c> block.</summary>
public sealed class KeepalivedSyncGroup : KeepalivedBlock
{
    /// <summary>The group name.</summary>
    public string Name { get; internal set; } = "";

    /// <summary><c>group { ... }</c>: the member instance names.</summary>
    public IReadOnlyList<string> Instances { get; internal set; } = [];

    /// <summary><c>notify</c>.</summary>
    public KeepalivedNotifyScript? Notify { get; internal set; }

    /// <summary><c>notify_master</c>.</summary>
    public KeepalivedNotifyScript? NotifyMaster { get; internal set; }

    /// <summary><c>notify_backup</c>.</summary>
    public KeepalivedNotifyScript? NotifyBackup { get; internal set; }

    /// <summary><c>notify_fault</c>.</summary>
    public KeepalivedNotifyScript? NotifyFault { get; internal set; }

    /// <summary><c>notify_stop</c>.</summary>
    public KeepalivedNotifyScript? NotifyStop { get; internal set; }

    /// <summary><c>smtp_alert</c>.</summary>
    public bool SmtpAlert { get; internal set; }
}
