using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Vrrp.Election;

/// <summary>The RFC timer arithmetic, from the effective priority (as keepalived does).</summary>
internal static class ElectionTiming
{
    /// <summary>
    /// Skew_Time. VRRPv2 (RFC 3768 §6.1): (256 − Priority) / 256 seconds.
    /// VRRPv3 (RFC 5798 §6.1): ((256 − Priority) × Master_Adver_Interval) / 256.
    /// </summary>
    public static TimeSpan Skew(VrrpVersion version, int priority, TimeSpan masterAdvertisementInterval) =>
        version == VrrpVersion.V2
            ? TimeSpan.FromTicks(TimeSpan.TicksPerSecond * (256 - priority) / 256)
            : TimeSpan.FromTicks(masterAdvertisementInterval.Ticks * (256 - priority) / 256);

    /// <summary>Master_Down_Interval = N × (Master_)Adver_Interval + Skew_Time, N = 3 (keepalived's <c>down_timer_adverts</c>).</summary>
    public static TimeSpan MasterDown(VrrpVersion version, int priority, TimeSpan masterAdvertisementInterval, int downTimerAdverts = 3) =>
        (masterAdvertisementInterval * downTimerAdverts) + Skew(version, priority, masterAdvertisementInterval);
}
