using System.Net;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Vrrp.Hosting;

/// <summary>A virtual router changed state.</summary>
public sealed class VirtualRouterStateChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    /// <param name="instanceName">The instance.</param>
    /// <param name="from">The previous state.</param>
    /// <param name="to">The new state.</param>
    /// <param name="reason">Why.</param>
    /// <param name="effectivePriority">The effective priority at the time.</param>
    /// <param name="peer">The peer whose advert caused the change, if any.</param>
    public VirtualRouterStateChangedEventArgs(
        string instanceName,
        VirtualRouterState from,
        VirtualRouterState to,
        VirtualRouterTransitionReason reason,
        int effectivePriority,
        IPAddress? peer)
    {
        InstanceName = instanceName;
        From = from;
        To = to;
        Reason = reason;
        EffectivePriority = effectivePriority;
        Peer = peer;
    }

    /// <summary>The instance name.</summary>
    public string InstanceName { get; }

    /// <summary>The previous state.</summary>
    public VirtualRouterState From { get; }

    /// <summary>The new state.</summary>
    public VirtualRouterState To { get; }

    /// <summary>Why the state changed.</summary>
    public VirtualRouterTransitionReason Reason { get; }

    /// <summary>The effective priority at the time of the change.</summary>
    public int EffectivePriority { get; }

    /// <summary>The peer whose advert caused the change, if any.</summary>
    public IPAddress? Peer { get; }

    /// <summary>
    /// The state as keepalived's notify scripts and FIFO name it: <c>MASTER</c>, <c>BACKUP</c>, <c>FAULT</c>, or <c>STOP</c>
    /// when the router stopped (notify arguments: <c>INSTANCE &lt;name&gt; &lt;state&gt; &lt;priority&gt;</c>).
    /// </summary>
    public string KeepalivedState => To switch
    {
        VirtualRouterState.Master => "MASTER",
        VirtualRouterState.Backup => "BACKUP",
        VirtualRouterState.Fault => "FAULT",
        _ => "STOP",
    };
}

/// <summary>A snapshot of one virtual router's counters.</summary>
/// <param name="AdvertisementsSent">Advertisements sent (one per destination).</param>
/// <param name="AdvertisementsReceived">Advertisements accepted and handed to the election.</param>
/// <param name="AdvertisementsDropped">Dropped messages by reason (every reason present, zero when none).</param>
/// <param name="BecameMaster">Times the router became master.</param>
/// <param name="SendErrors">Advertisements the transport failed to send.</param>
/// <param name="AddressErrors">Failed address additions or removals.</param>
/// <param name="AnnouncementsSent">Gratuitous announcements (frames) sent.</param>
public sealed record VirtualRouterStatistics(
    long AdvertisementsSent,
    long AdvertisementsReceived,
    IReadOnlyDictionary<VrrpDropReason, long> AdvertisementsDropped,
    long BecameMaster,
    long SendErrors,
    long AddressErrors,
    long AnnouncementsSent);
