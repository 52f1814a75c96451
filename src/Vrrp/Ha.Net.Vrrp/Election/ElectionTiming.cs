using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Vrrp.Election;

/// <summary>The RFC timer arithmetic, from the effective priority, in keepalived's integer microseconds.</summary>
/// <remarks>
/// keepalived 2.2.7 (keepalived/include/vrrp.h, VRRP_TIMER_SKEW_CALC and VRRP_MS_DOWN_TIMER) keeps every timer in
/// whole microseconds (TIMER_HZ = 1 000 000) and truncates each division:
/// <code>
/// v2: skew = (256 − P) × 1 000 000 / 256                                   (RFC 3768 §6.1: (256 − Priority) / 256 s)
/// v3: skew = ((256 − P) × (Master_Adver_Interval_µs / 10 000) × 625) / 16   (RFC 5798 §6.1: ((256 − Priority) × Master_Adver_Interval) / 256 cs)
/// Master_Down_Interval = down_timer_adverts (3 in the RFCs) × Master_Adver_Interval + skew
/// </code>
/// 625 / 16 is TIMER_CENTI_HZ / 256, so the v3 skew is exact to the truncated microsecond (priority 100 at 1 s:
/// 609 375 µs in both versions; priority 101 at 1 s: 605 468 µs, not 605 468.75).
/// </remarks>
internal static class ElectionTiming
{
    private const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1000;

    /// <summary>
    /// Skew_Time. VRRPv2 (RFC 3768 §6.1): (256 − Priority) / 256 seconds.
    /// VRRPv3 (RFC 5798 §6.1): ((256 − Priority) × Master_Adver_Interval) / 256, the interval taken in whole centiseconds.
    /// </summary>
    public static TimeSpan Skew(VrrpVersion version, int priority, TimeSpan masterAdvertisementInterval) =>
        TimeSpan.FromTicks(SkewMicroseconds(version, priority, masterAdvertisementInterval) * TicksPerMicrosecond);

    /// <summary>Master_Down_Interval = N × (Master_)Adver_Interval + Skew_Time, N = 3 (keepalived's <c>down_timer_adverts</c>).</summary>
    public static TimeSpan MasterDown(VrrpVersion version, int priority, TimeSpan masterAdvertisementInterval, int downTimerAdverts = 3) =>
        TimeSpan.FromTicks(
            ((downTimerAdverts * Microseconds(masterAdvertisementInterval)) + SkewMicroseconds(version, priority, masterAdvertisementInterval))
            * TicksPerMicrosecond);

    private static long SkewMicroseconds(VrrpVersion version, int priority, TimeSpan masterAdvertisementInterval) =>
        version == VrrpVersion.V2
            ? (256L - priority) * 1_000_000 / 256
            : (256L - priority) * (Microseconds(masterAdvertisementInterval) / 10_000) * 625 / 16;

    private static long Microseconds(TimeSpan interval) => interval.Ticks / TicksPerMicrosecond;
}
