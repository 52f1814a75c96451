using System.Globalization;
using System.Text;
using Ha.Net.Vrrp.Addresses;

namespace Ha.Net.Vrrp.Configuration;

/// <summary>
/// What a reload compares (<see cref="Hosting.IVirtualRouterCollection.ApplyAsync"/>): every public property of
/// <see cref="VirtualRouterOptions"/>, in name order, as <c>Name=value;</c>. Two options with the same key run the same
/// router, so a reload keeps it untouched. Each property is written out by name (no reflection: Native AOT and trimming
/// keep it exact); a test walks the options' properties by reflection and fails when one is missing here.
/// </summary>
internal static class VirtualRouterOptionsKey
{
    public static string Of(VirtualRouterOptions o)
    {
        var sb = new StringBuilder();
        Field(sb, nameof(o.AddressFailureRetryDelay), o.AddressFailureRetryDelay.Ticks);
        Field(sb, nameof(o.AdvertisementInterval), o.AdvertisementInterval.Ticks);
        Field(sb, nameof(o.AnnounceWithAdvertisements), o.AnnounceWithAdvertisements);
        Field(sb, nameof(o.AuthenticationPassword), o.AuthenticationPassword);
        Field(sb, nameof(o.AuthenticationType), (int)o.AuthenticationType);
        Field(sb, nameof(o.CheckUnicastSource), o.CheckUnicastSource);
        Field(sb, nameof(o.DownTimerAdverts), o.DownTimerAdverts);
        Field(sb, nameof(o.DropOnAddressListMismatch), o.DropOnAddressListMismatch);
        Addresses(sb, nameof(o.ExcludedVirtualAddresses), o.ExcludedVirtualAddresses);
        Field(sb, nameof(o.GarpLowerPriorityDelay), o.GarpLowerPriorityDelay?.Ticks);
        Field(sb, nameof(o.GarpLowerPriorityRepeat), o.GarpLowerPriorityRepeat);
        Field(sb, nameof(o.GarpMasterDelay), o.GarpMasterDelay.Ticks);
        Field(sb, nameof(o.GarpMasterRefresh), o.GarpMasterRefresh.Ticks);
        Field(sb, nameof(o.GarpMasterRefreshRepeat), o.GarpMasterRefreshRepeat);
        Field(sb, nameof(o.GarpMasterRepeat), o.GarpMasterRepeat);
        Field(sb, nameof(o.HigherPrioritySendAdvert), o.HigherPrioritySendAdvert);
        Field(sb, nameof(o.InstanceName), o.InstanceName);
        Field(sb, nameof(o.InterfaceName), o.InterfaceName);
        Field(sb, nameof(o.LowerPriorityNoAdvert), o.LowerPriorityNoAdvert);
        Field(sb, nameof(o.MulticastGroup), o.MulticastGroup?.ToString());
        Field(sb, nameof(o.Preempt), o.Preempt);
        Field(sb, nameof(o.PreemptDelay), o.PreemptDelay.Ticks);
        Field(sb, nameof(o.Priority), o.Priority);
        Field(sb, nameof(o.SourceAddress), o.SourceAddress?.ToString());
        sb.Append(nameof(o.TrackedObjects)).Append('=');
        foreach (var t in o.TrackedObjects ?? [])
        {
            sb.Append(t.Name).Append('/').Append(t.Weight.ToString(CultureInfo.InvariantCulture)).Append('/').Append(t.Reverse).Append('/').Append(t.InitiallyUp).Append(',');
        }

        sb.Append(';');
        sb.Append(nameof(o.UnicastPeers)).Append('=');
        foreach (var peer in o.UnicastPeers ?? [])
        {
            sb.Append(peer).Append(',');
        }

        sb.Append(';');
        Field(sb, nameof(o.V3ChecksumMode), (int)o.V3ChecksumMode);
        Field(sb, nameof(o.Version), (int)o.Version);
        Addresses(sb, nameof(o.VirtualAddresses), o.VirtualAddresses);
        Field(sb, nameof(o.VirtualRouterId), o.VirtualRouterId);
        return sb.ToString();
    }

    private static void Field<T>(StringBuilder sb, string name, T value) =>
        sb.Append(name).Append('=').Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append(';');

    private static void Addresses(StringBuilder sb, string name, IEnumerable<VirtualAddress>? addresses)
    {
        sb.Append(name).Append('=');
        foreach (var a in addresses ?? [])
        {
            sb.Append(a.Address).Append('/').Append(a.PrefixLength.ToString(CultureInfo.InvariantCulture)).Append('/').Append(a.InterfaceName).Append('/')
              .Append(a.Broadcast).Append('/').Append(((int)a.Scope).ToString(CultureInfo.InvariantCulture)).Append('/').Append(a.Label).Append(',');
        }

        sb.Append(';');
    }
}
