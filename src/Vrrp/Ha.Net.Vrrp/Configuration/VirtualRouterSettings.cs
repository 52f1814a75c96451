using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Vrrp.Configuration;

/// <summary>
/// The validated, resolved form of <see cref="VirtualRouterOptions"/> the machine and host run on:
/// wire units computed, the password truncated, defaults filled in, collections copied.
/// </summary>
internal sealed class VirtualRouterSettings
{
    public static readonly IPAddress DefaultGroupIPv4 = IPAddress.Parse("224.0.0.18");
    public static readonly IPAddress DefaultGroupIPv6 = IPAddress.Parse("ff02::12");

    private VirtualRouterSettings()
    {
    }

    public string Name { get; private init; } = "";
    public string InterfaceName { get; private init; } = "";
    public byte VirtualRouterId { get; private init; }
    public byte BasePriority { get; private init; }
    public VrrpVersion Version { get; private init; }
    public ushort RawInterval { get; private init; }
    public TimeSpan AdvertisementInterval { get; private init; }
    public VrrpChecksumMode ChecksumMode { get; private init; }
    public VrrpAuthenticationType AuthenticationType { get; private init; }
    public byte[] Password { get; private init; } = [];
    public bool IsIPv6 { get; private init; }
    public VirtualAddress[] AdvertisedAddresses { get; private init; } = [];
    public byte[] AdvertisedAddressBytes { get; private init; } = [];
    public VirtualAddress[] AllAddresses { get; private init; } = [];
    public bool Preempt { get; private init; }
    public TimeSpan PreemptDelay { get; private init; }
    public IPAddress[] UnicastPeers { get; private init; } = [];
    public IPAddress MulticastGroup { get; private init; } = DefaultGroupIPv4;
    public bool CheckUnicastSource { get; private init; }
    public TrackedObject[] TrackedObjects { get; private init; } = [];
    public TimeSpan GarpMasterDelay { get; private init; }
    public int GarpMasterRepeat { get; private init; }
    public TimeSpan GarpMasterRefresh { get; private init; }
    public int GarpMasterRefreshRepeat { get; private init; }
    public int GarpLowerPriorityRepeat { get; private init; }
    public TimeSpan GarpLowerPriorityDelay { get; private init; }
    public bool LowerPriorityNoAdvert { get; private init; }
    public bool HigherPrioritySendAdvert { get; private init; }
    public bool AnnounceWithAdvertisements { get; private init; }
    public int DownTimerAdverts { get; private init; }
    public bool DropOnAddressListMismatch { get; private init; }
    public TimeSpan AddressFailureRetryDelay { get; private init; }

    public bool IsUnicast => UnicastPeers.Length > 0;

    /// <summary>Resolves and validates; returns <see langword="null"/> when there is any error.</summary>
    public static VirtualRouterSettings? Create(VirtualRouterOptions o, out IReadOnlyList<VrrpOptionIssue> issues)
    {
        ArgumentNullException.ThrowIfNull(o);
        var list = new List<VrrpOptionIssue>();
        var name = string.IsNullOrWhiteSpace(o.InstanceName) ? "(unnamed)" : o.InstanceName;
        void Error(string key, string message) => list.Add(new VrrpOptionIssue(name, key, message, false));
        void Warn(string key, string message) => list.Add(new VrrpOptionIssue(name, key, message, true));
        static string S(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

        if (string.IsNullOrWhiteSpace(o.InstanceName))
        {
            Error("vrrp_instance", "InstanceName is required.");
        }

        if (string.IsNullOrWhiteSpace(o.InterfaceName))
        {
            Error("interface", "InterfaceName is required.");
        }

        if (o.VirtualRouterId is < 1 or > 255)
        {
            Error("virtual_router_id", $"VirtualRouterId must be 1-255, was {o.VirtualRouterId}.");
        }

        if (o.Priority is < 1 or > 255)
        {
            Error("priority", $"Priority must be 1-255, was {o.Priority}.");
        }

        if (o.Version is not VrrpVersion.V2 and not VrrpVersion.V3)
        {
            Error("version", $"Version must be 2 or 3, was {(int)o.Version}.");
        }

        var v3 = o.Version == VrrpVersion.V3;
        ushort raw = 1;
        var interval = o.AdvertisementInterval;
        if (interval <= TimeSpan.Zero)
        {
            Error("advert_int", $"AdvertisementInterval must be positive, was {S(interval)}.");
        }
        else if (!v3)
        {
            var seconds = Math.Round(interval.TotalSeconds, MidpointRounding.AwayFromZero);
            if (seconds > 255)
            {
                Error("advert_int", $"AdvertisementInterval must be at most 255 s for VRRPv2, was {S(interval)}.");
            }
            else
            {
                seconds = Math.Max(1, seconds);
                if (seconds != interval.TotalSeconds)
                {
                    Warn("advert_int", $"VRRPv2 advertisement interval {S(interval)} must be an integer. rounding to {seconds} s (AdvertisementInterval).");
                }

                raw = (ushort)seconds;
                interval = TimeSpan.FromSeconds(seconds);
            }
        }
        else
        {
            var cs = Math.Round(interval.TotalMilliseconds / 10, MidpointRounding.AwayFromZero);
            if (cs > VrrpPacket.MaxV3Interval)
            {
                Warn("advert_int", $"VRRPv3 advertisement interval {S(interval)} is more than 40.95 s, clamped (AdvertisementInterval).");
                cs = VrrpPacket.MaxV3Interval;
            }
            else if (cs < 1)
            {
                Warn("advert_int", $"VRRPv3 advertisement interval {S(interval)} is less than 10 ms, raised to 10 ms (AdvertisementInterval).");
                cs = 1;
            }
            else if (cs * 10 != interval.TotalMilliseconds)
            {
                Warn("advert_int", $"VRRPv3 advertisement interval {S(interval)} rounded to {cs * 10} ms (AdvertisementInterval).");
            }

            raw = (ushort)cs;
            interval = TimeSpan.FromMilliseconds(cs * 10);
        }

        // Addresses.
        var vips = (o.VirtualAddresses ?? []).ToArray();
        var excluded = (o.ExcludedVirtualAddresses ?? []).ToArray();
        AddressFamily? family = vips.Length > 0 ? vips[0].Address.AddressFamily
            : o.SourceAddress?.AddressFamily ?? (o.UnicastPeers?.Count > 0 ? o.UnicastPeers[0].AddressFamily : null);
        var ipv6 = family == AddressFamily.InterNetworkV6;
        for (var i = 0; i < vips.Length; i++)
        {
            if (vips[i] is null)
            {
                Error($"virtual_ipaddress[{i}]", "VirtualAddresses contains a null entry.");
            }
            else if (vips[i].Address.AddressFamily != family)
            {
                Error($"virtual_ipaddress[{i}]", $"{vips[i].Address} is not of the same family as {vips[0].Address}; put other families in virtual_ipaddress_excluded (VirtualAddresses).");
            }
        }

        for (var i = 0; i < excluded.Length; i++)
        {
            if (excluded[i] is null)
            {
                Error($"virtual_ipaddress_excluded[{i}]", "ExcludedVirtualAddresses contains a null entry.");
            }
        }

        vips = vips.Where(v => v is not null).ToArray();
        if (vips.Length > 255)
        {
            Error("virtual_ipaddress", $"VirtualAddresses holds {vips.Length} addresses; an advert carries at most 255 (move the rest to virtual_ipaddress_excluded).");
        }

        if (ipv6 && !v3)
        {
            Error("version", "VRRPv2 carries IPv4 only: IPv6 virtual addresses need Version 3.");
        }

        if (ipv6 && vips.Length > 0 && !vips[0].Address.IsIPv6LinkLocal)
        {
            Warn("virtual_ipaddress[0]", "the first IPv6 VIP address should be link local (RFC 5798 §5.2.9).");
        }

        if (vips.Length == 0 && v3)
        {
            Warn("virtual_ipaddress", "a VRRPv3 advert should carry at least one address (RFC 5798 §5.2.5).");
        }

        var duplicates = vips.Concat(excluded.Where(v => v is not null)).GroupBy(v => v.Address).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        foreach (var d in duplicates)
        {
            Error("virtual_ipaddress", $"{d} is listed more than once (VirtualAddresses, ExcludedVirtualAddresses).");
        }

        // Authentication.
        var password = new byte[VrrpPacket.AuthenticationDataLength];
        var auth = o.AuthenticationType;
        if (auth == VrrpAuthenticationType.IPAuthenticationHeader)
        {
            Error("auth_type", "AuthenticationType AH (IPsec authentication header) is not supported; use PASS or none.");
        }
        else if (auth == VrrpAuthenticationType.SimplePassword)
        {
            if (v3)
            {
                Warn("auth_type", "VRRPv3 has no authentication; AuthenticationType is ignored.");
                auth = VrrpAuthenticationType.None;
            }
            else if (string.IsNullOrEmpty(o.AuthenticationPassword))
            {
                Error("auth_pass", "AuthenticationPassword is required with auth_type PASS.");
            }
            else
            {
                var bytes = Encoding.UTF8.GetBytes(o.AuthenticationPassword);
                if (bytes.Length > password.Length)
                {
                    Warn("auth_pass", "Truncating auth_pass to 8 characters (AuthenticationPassword).");
                }

                bytes.AsSpan(0, Math.Min(bytes.Length, password.Length)).CopyTo(password);
            }
        }
        else if (auth != VrrpAuthenticationType.None)
        {
            Error("auth_type", $"AuthenticationType {(int)auth} is unknown.");
        }

        // Preemption.
        if (!o.Preempt && o.Priority == 255)
        {
            Error("nopreempt", "Preempt=false (nopreempt) cannot be used by the address owner (priority 255).");
        }

        if (o.PreemptDelay < TimeSpan.Zero || o.PreemptDelay > TimeSpan.FromSeconds(1000))
        {
            Error("preempt_delay", $"PreemptDelay must be 0-1000 s, was {S(o.PreemptDelay)}.");
        }
        else if (o.PreemptDelay > TimeSpan.Zero && !o.Preempt)
        {
            Error("preempt_delay", "PreemptDelay cannot be combined with Preempt=false (nopreempt).");
        }

        // Unicast and multicast.
        var peers = (o.UnicastPeers ?? []).ToArray();
        for (var i = 0; i < peers.Length; i++)
        {
            if (peers[i] is null)
            {
                Error($"unicast_peer[{i}]", "UnicastPeers contains a null entry.");
            }
            else if (family is not null && peers[i].AddressFamily != family)
            {
                Error($"unicast_peer[{i}]", $"{peers[i]} is not of the instance's address family (UnicastPeers).");
            }
        }

        peers = peers.Where(p => p is not null).Distinct().ToArray();
        if (o.SourceAddress is not null && family is not null && o.SourceAddress.AddressFamily != family)
        {
            Error(peers.Length > 0 ? "unicast_src_ip" : "mcast_src_ip", $"SourceAddress {o.SourceAddress} is not of the instance's address family.");
        }

        var group = o.MulticastGroup ?? (ipv6 ? DefaultGroupIPv6 : DefaultGroupIPv4);
        if (o.MulticastGroup is not null && (o.MulticastGroup.AddressFamily != (ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork)
            || !(ipv6 ? o.MulticastGroup.IsIPv6Multicast : (o.MulticastGroup.GetAddressBytes()[0] & 0xF0) == 0xE0)))
        {
            Error("mcast_dst_ip", $"MulticastGroup {o.MulticastGroup} is not a multicast address of the instance's family.");
        }

        if (o.CheckUnicastSource && peers.Length == 0)
        {
            Warn("check_unicast_src", "CheckUnicastSource has no effect without unicast peers.");
        }

        // Tracking.
        var tracked = (o.TrackedObjects ?? []).ToArray();
        for (var i = 0; i < tracked.Length; i++)
        {
            var t = tracked[i];
            if (t is null || string.IsNullOrWhiteSpace(t.Name))
            {
                Error($"track[{i}]", "TrackedObjects entries need a name.");
                continue;
            }

            if (t.Weight is < -254 or > 254)
            {
                Error($"track[{t.Name}].weight", $"Weight must be -254..254, was {t.Weight} (TrackedObjects).");
            }

            if (tracked.Take(i).Any(p => p is not null && string.Equals(p.Name, t.Name, StringComparison.Ordinal)))
            {
                Error($"track[{t.Name}]", "tracked object names must be unique within an instance (TrackedObjects).");
            }
        }

        // Announcements and timers.
        void NonNegative(string key, string prop, TimeSpan value)
        {
            if (value < TimeSpan.Zero)
            {
                Error(key, $"{prop} must not be negative, was {S(value)}.");
            }
        }

        void Count(string key, string prop, int value, int min, int max)
        {
            if (value < min || value > max)
            {
                Error(key, $"{prop} must be {min}-{max}, was {value}.");
            }
        }

        NonNegative("garp_master_delay", nameof(o.GarpMasterDelay), o.GarpMasterDelay);
        NonNegative("garp_master_refresh", nameof(o.GarpMasterRefresh), o.GarpMasterRefresh);
        if (o.GarpLowerPriorityDelay is { } lpd)
        {
            NonNegative("garp_lower_prio_delay", nameof(o.GarpLowerPriorityDelay), lpd);
        }

        Count("garp_master_repeat", nameof(o.GarpMasterRepeat), o.GarpMasterRepeat, 0, 1000);
        Count("garp_master_refresh_repeat", nameof(o.GarpMasterRefreshRepeat), o.GarpMasterRefreshRepeat, 1, 1000);
        if (o.GarpLowerPriorityRepeat is { } lpr)
        {
            Count("garp_lower_prio_repeat", nameof(o.GarpLowerPriorityRepeat), lpr, 0, 1000);
        }

        Count("down_timer_adverts", nameof(o.DownTimerAdverts), o.DownTimerAdverts, 1, 100);
        if (o.AddressFailureRetryDelay <= TimeSpan.Zero)
        {
            Error("address_failure_retry_delay", $"AddressFailureRetryDelay must be positive, was {S(o.AddressFailureRetryDelay)}.");
        }

        issues = list;
        if (list.Any(i => !i.IsWarning))
        {
            return null;
        }

        var addressBytes = new byte[vips.Length * (ipv6 ? 16 : 4)];
        for (var i = 0; i < vips.Length; i++)
        {
            vips[i].Address.TryWriteBytes(addressBytes.AsSpan(i * (ipv6 ? 16 : 4)), out _);
        }

        return new VirtualRouterSettings
        {
            Name = o.InstanceName,
            InterfaceName = o.InterfaceName,
            VirtualRouterId = (byte)o.VirtualRouterId,
            BasePriority = (byte)o.Priority,
            Version = o.Version,
            RawInterval = raw,
            AdvertisementInterval = interval,
            ChecksumMode = o.V3ChecksumMode,
            AuthenticationType = auth,
            Password = password,
            IsIPv6 = ipv6,
            AdvertisedAddresses = vips,
            AdvertisedAddressBytes = addressBytes,
            AllAddresses = [.. vips, .. excluded],
            Preempt = o.Preempt,
            PreemptDelay = o.PreemptDelay,
            UnicastPeers = peers,
            MulticastGroup = group,
            CheckUnicastSource = o.CheckUnicastSource,
            TrackedObjects = tracked,
            GarpMasterDelay = o.GarpMasterDelay,
            GarpMasterRepeat = o.GarpMasterRepeat,
            GarpMasterRefresh = o.GarpMasterRefresh,
            GarpMasterRefreshRepeat = o.GarpMasterRefreshRepeat,
            GarpLowerPriorityRepeat = o.GarpLowerPriorityRepeat ?? o.GarpMasterRepeat,
            GarpLowerPriorityDelay = o.GarpLowerPriorityDelay ?? o.GarpMasterDelay,
            LowerPriorityNoAdvert = o.LowerPriorityNoAdvert,
            HigherPrioritySendAdvert = o.HigherPrioritySendAdvert,
            AnnounceWithAdvertisements = o.AnnounceWithAdvertisements,
            DownTimerAdverts = o.DownTimerAdverts,
            DropOnAddressListMismatch = o.DropOnAddressListMismatch,
            AddressFailureRetryDelay = o.AddressFailureRetryDelay,
        };
    }

    /// <summary>Resolves or throws <see cref="VrrpConfigurationException"/> listing every error.</summary>
    public static VirtualRouterSettings CreateOrThrow(VirtualRouterOptions options, out IReadOnlyList<VrrpOptionIssue> warnings)
    {
        var settings = Create(options, out var issues);
        if (settings is null)
        {
            throw new VrrpConfigurationException(issues.Where(i => !i.IsWarning).ToList());
        }

        warnings = issues;
        return settings;
    }
}
