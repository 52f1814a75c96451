using System.Net;

namespace Ha.Net.Vrrp.Election;

/// <summary>What the host must do (or log), in the order the machine emitted it.</summary>
internal enum VrrpActionKind
{
    /// <summary>Send one advert with <see cref="VrrpAction.Priority"/> (to the group, or to every unicast peer).</summary>
    SendAdvertisement,

    /// <summary>Add every virtual address.</summary>
    BindAddresses,

    /// <summary>Remove every virtual address.</summary>
    UnbindAddresses,

    /// <summary>Announce every virtual address <see cref="VrrpAction.Count"/> times (one frame per call).</summary>
    AnnounceAddresses,

    /// <summary>Announce every virtual address once, quietly: the master's refresh with each advertisement.</summary>
    RefreshAddresses,

    /// <summary>The state changed from <see cref="VrrpAction.From"/> to <see cref="VrrpAction.To"/>.</summary>
    StateChanged,

    /// <summary>The effective priority changed from <see cref="VrrpAction.OldPriority"/> to <see cref="VrrpAction.Priority"/>.</summary>
    EffectivePriorityChanged,

    /// <summary>Something worth a log line (<see cref="VrrpAction.Note"/>), no effect.</summary>
    Note,
}

/// <summary>Log-only events, in keepalived's terms.</summary>
internal enum VrrpNote
{
    /// <summary>"(VI_1) received lower priority (90) advert from X - discarding".</summary>
    BackupDiscardedLowerPriority,

    /// <summary>"(VI_1) Received advert from X with lower priority 90, ours 100, forcing new election".</summary>
    MasterReceivedLowerPriority,

    /// <summary>"(VI_1) Backup received priority 0 advertisement".</summary>
    BackupReceivedPriorityZero,

    /// <summary>"(VI_1) Master received priority 0 advertisement".</summary>
    MasterReceivedPriorityZero,

    /// <summary>"(VI_1) start preempt delay".</summary>
    PreemptDelayStarted,

    /// <summary>"(VI_1) stop preempt delay".</summary>
    PreemptDelayStopped,
}

/// <summary>One effect. A value type; the fields that matter depend on <see cref="Kind"/>.</summary>
internal readonly record struct VrrpAction
{
    public VrrpActionKind Kind { get; private init; }
    public byte Priority { get; private init; }
    public int OldPriority { get; private init; }
    public int Count { get; private init; }
    public VirtualRouterState From { get; private init; }
    public VirtualRouterState To { get; private init; }
    public VirtualRouterTransitionReason Reason { get; private init; }
    public VrrpNote Note { get; private init; }

    /// <summary>The peer whose advert caused this (notes, state changes on adverts), if any.</summary>
    public IPAddress? Peer { get; private init; }

    /// <summary>The priority the peer advertised, when <see cref="Peer"/> is set.</summary>
    public byte PeerPriority { get; private init; }

    public static VrrpAction Send(byte priority) => new() { Kind = VrrpActionKind.SendAdvertisement, Priority = priority };
    public static VrrpAction Bind() => new() { Kind = VrrpActionKind.BindAddresses };
    public static VrrpAction Unbind() => new() { Kind = VrrpActionKind.UnbindAddresses };
    public static VrrpAction Announce(int count) => new() { Kind = VrrpActionKind.AnnounceAddresses, Count = count };
    public static VrrpAction Refresh() => new() { Kind = VrrpActionKind.RefreshAddresses, Count = 1 };
    public static VrrpAction Changed(VirtualRouterState from, VirtualRouterState to, VirtualRouterTransitionReason reason, IPAddress? peer = null, byte peerPriority = 0) =>
        new() { Kind = VrrpActionKind.StateChanged, From = from, To = to, Reason = reason, Peer = peer, PeerPriority = peerPriority };
    public static VrrpAction PriorityChanged(int old, byte now) => new() { Kind = VrrpActionKind.EffectivePriorityChanged, OldPriority = old, Priority = now };
    public static VrrpAction Noted(VrrpNote note, IPAddress? peer = null, byte peerPriority = 0, byte ours = 0) =>
        new() { Kind = VrrpActionKind.Note, Note = note, Peer = peer, PeerPriority = peerPriority, Priority = ours };

    public override string ToString() => Kind switch
    {
        VrrpActionKind.SendAdvertisement => $"Send({Priority})",
        VrrpActionKind.BindAddresses => "Bind",
        VrrpActionKind.UnbindAddresses => "Unbind",
        VrrpActionKind.AnnounceAddresses => $"Announce({Count})",
        VrrpActionKind.RefreshAddresses => "Refresh",
        VrrpActionKind.StateChanged => $"{From}->{To}({Reason})",
        VrrpActionKind.EffectivePriorityChanged => $"Priority({OldPriority}->{Priority})",
        _ => $"Note({Note})",
    };
}
