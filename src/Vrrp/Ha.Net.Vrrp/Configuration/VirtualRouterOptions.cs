using System.Net;
using System.Net.Sockets;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Vrrp.Configuration;

/// <summary>
/// One virtual router: keepalived's <c>vrrp_instance</c> block. Property names follow .NET style; each
/// documents the keepalived keyword it stands for, and defaults are keepalived's.
/// </summary>
/// <remarks>Call <see cref="Validate"/> to get every error and warning at once, each naming its keyword.</remarks>
public sealed class VirtualRouterOptions
{
    /// <summary>The instance name (<c>vrrp_instance VI_1</c>), used in logs, events and metrics.</summary>
    public string InstanceName { get; set; } = "";

    /// <summary>The interface adverts are sent and received on (<c>interface</c>).</summary>
    public string InterfaceName { get; set; } = "";

    /// <summary>The virtual router id, 1–255 (<c>virtual_router_id</c>).</summary>
    public int VirtualRouterId { get; set; }

    /// <summary>The base priority, 1–255; 255 is the address owner (<c>priority</c>, default 100).</summary>
    public int Priority { get; set; } = 100;

    /// <summary>
    /// The advertisement interval (<c>advert_int</c>, default 1 s). VRRPv2 carries whole seconds (a fraction is
    /// rounded with a warning, as keepalived does); VRRPv3 carries centiseconds up to 40.95 s.
    /// </summary>
    public TimeSpan AdvertisementInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The VRRP version (<c>version</c>, default 2; IPv6 needs 3).</summary>
    public VrrpVersion Version { get; set; } = VrrpVersion.V2;

    /// <summary>
    /// The VRRPv3 IPv4 checksum form sent: <see cref="VrrpChecksumMode.PseudoHeader"/> (keepalived's default) or
    /// <see cref="VrrpChecksumMode.MessageOnly"/> (<c>v3_checksum_as_v2</c>, RFC 9568). Both are accepted on receive.
    /// </summary>
    public VrrpChecksumMode V3ChecksumMode { get; set; } = VrrpChecksumMode.PseudoHeader;

    /// <summary>VRRPv2 authentication (<c>authentication { auth_type PASS }</c>); default none.</summary>
    public VrrpAuthenticationType AuthenticationType { get; set; } = VrrpAuthenticationType.None;

    /// <summary>The simple password (<c>auth_pass</c>): the first 8 bytes are used, zero-padded, as keepalived does.</summary>
    public string? AuthenticationPassword { get; set; }

    /// <summary>The advertised virtual addresses (<c>virtual_ipaddress</c>), one family, at most 255.</summary>
    public IList<VirtualAddress> VirtualAddresses { get; set; } = new List<VirtualAddress>();

    /// <summary>Addresses added and removed with the others but never advertised (<c>virtual_ipaddress_excluded</c>).</summary>
    public IList<VirtualAddress> ExcludedVirtualAddresses { get; set; } = new List<VirtualAddress>();

    /// <summary>Whether a higher-priority backup takes over from a lower-priority master (default true; <c>nopreempt</c> sets false).</summary>
    public bool Preempt { get; set; } = true;

    /// <summary>How long a backup accepts a lower-priority master before preempting it (<c>preempt_delay</c>, 0–1000 s).</summary>
    public TimeSpan PreemptDelay { get; set; }

    /// <summary>
    /// The source address of adverts (<c>unicast_src_ip</c> / <c>mcast_src_ip</c>); <see langword="null"/> for the
    /// interface's primary address. It is also the address compared on a priority tie. The transport applies it.
    /// </summary>
    public IPAddress? SourceAddress { get; set; }

    /// <summary>Unicast peers (<c>unicast_peer</c>); empty for multicast. Adverts are sent to each in turn.</summary>
    public IList<IPAddress> UnicastPeers { get; set; } = new List<IPAddress>();

    /// <summary>The multicast group (<c>mcast_dst_ip</c>); <see langword="null"/> for 224.0.0.18 / ff02::12.</summary>
    public IPAddress? MulticastGroup { get; set; }

    /// <summary>Drop unicast adverts whose source is not a configured peer (<c>check_unicast_src</c>).</summary>
    public bool CheckUnicastSource { get; set; }

    /// <summary>Tracked objects and their weights (<c>track_script</c>, <c>track_interface</c>, <c>track_process</c>, …).</summary>
    public IList<TrackedObject> TrackedObjects { get; set; } = new List<TrackedObject>();

    /// <summary>Delay of the second burst of gratuitous announcements after becoming master (<c>garp_master_delay</c>, default 5 s, 0 = none).</summary>
    public TimeSpan GarpMasterDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Announcements per address in each burst on becoming master (<c>garp_master_repeat</c>, default 5).</summary>
    public int GarpMasterRepeat { get; set; } = 5;

    /// <summary>Period of announcements while master (<c>garp_master_refresh</c>, default 0 = off).</summary>
    public TimeSpan GarpMasterRefresh { get; set; }

    /// <summary>Announcements per address at each refresh (<c>garp_master_refresh_repeat</c>, default 1).</summary>
    public int GarpMasterRefreshRepeat { get; set; } = 1;

    /// <summary>Announcements per address when a master hears a lower-priority advert (<c>garp_lower_prio_repeat</c>; default <see cref="GarpMasterRepeat"/>).</summary>
    public int? GarpLowerPriorityRepeat { get; set; }

    /// <summary>Delay of the second such burst (<c>garp_lower_prio_delay</c>; default <see cref="GarpMasterDelay"/>).</summary>
    public TimeSpan? GarpLowerPriorityDelay { get; set; }

    /// <summary>A master hearing a lower-priority advert does not answer with its own (<c>lower_prio_no_advert</c>).</summary>
    public bool LowerPriorityNoAdvert { get; set; }

    /// <summary>
    /// A master hearing a higher-priority advert sends one advert before stepping down (<c>higher_prio_send_advert</c>).
    /// On by default, unlike keepalived: after a partition heals, the winner then always hears the loser's last advert
    /// and re-announces its addresses, so clients leave the loser's MAC within one advertisement interval. Without it,
    /// whether the winner re-announces is a race (measured: seconds of client outage for keepalived pairs too).
    /// </summary>
    public bool HigherPrioritySendAdvert { get; set; } = true;

    /// <summary>
    /// A master re-announces each virtual address once with every advertisement (one gratuitous ARP or unsolicited
    /// neighbour advertisement per address, sent right after the advert, not logged). On by default, unlike
    /// keepalived: when a partition heals and the peer that stepped down is one that sends nothing on the way down
    /// (keepalived's default), the winner hears nothing and clients would stay on the loser's MAC until their ARP
    /// entry expires (about 28 s measured); with this they move within one advertisement interval. It costs one
    /// 64-byte broadcast frame per address per interval (64 B/s per address at <c>advert_int 1</c>).
    /// </summary>
    public bool AnnounceWithAdvertisements { get; set; } = true;

    /// <summary>Adverts missed before the master is declared down (<c>down_timer_adverts</c>, default 3 as in the RFC).</summary>
    public int DownTimerAdverts { get; set; } = 3;

    /// <summary>
    /// Drop adverts whose address list differs from ours (keepalived 2.2.7 and RFC 3768 §7.1); by default such adverts are
    /// logged and accepted, as keepalived ≥ 2.3.3 and RFC 9568 do (dropping them causes split brain).
    /// </summary>
    public bool DropOnAddressListMismatch { get; set; }

    /// <summary>How long an instance stays in FAULT after its addresses could not be added, before trying again (default 10 s).</summary>
    public TimeSpan AddressFailureRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Validates every option and returns all errors and warnings, each naming its keepalived keyword.</summary>
    public IReadOnlyList<VrrpOptionIssue> Validate()
    {
        VirtualRouterSettings.Create(this, out var issues);
        return issues;
    }

    /// <summary>
    /// The instance's address family: its first virtual address's, or, with none (an election without a virtual
    /// address), the source address's, then the first unicast peer's; IPv4 otherwise. The one rule the settings and
    /// every transport factory use.
    /// </summary>
    internal System.Net.Sockets.AddressFamily ResolveAddressFamily() =>
        VirtualAddresses?.FirstOrDefault(v => v is not null)?.Address.AddressFamily
        ?? SourceAddress?.AddressFamily
        ?? (UnicastPeers?.Count > 0 ? UnicastPeers[0]?.AddressFamily : null)
        ?? System.Net.Sockets.AddressFamily.InterNetwork;
}
