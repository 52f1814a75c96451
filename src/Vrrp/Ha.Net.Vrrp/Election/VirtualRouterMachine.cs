using System.Net;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Vrrp.Election;

/// <summary>
/// The election of one virtual router: RFC 3768 §6 (Initialize, Backup, Master), RFC 5798 §6's learned
/// master interval, and keepalived's FAULT, preemption controls, tracking and announcements.
/// Pure: (now, input) → actions. No I/O, no clock, no tasks, no locks; timers are deadlines it stores.
/// </summary>
/// <remarks>
/// <para>Notation: p = the advert's priority, P = our effective priority, src = its IP source, local = our
/// primary address, MDI = Master_Down_Interval and Skew = Skew_Time from P (and, in v3, the learned
/// Master_Adver_Interval), Faulted = link down ∨ a weight-0 tracked object down ∨ a failed bind awaiting retry.
/// Actions are listed in emission order; "→ S" means a StateChanged action first.</para>
/// <code>
/// row | state  | input                                   | actions / next state
/// ----+--------+-----------------------------------------+------------------------------------------------------------
/// I1  | Init   | Startup, Faulted                        | → Fault
/// I2  | Init   | Startup, P = 255 (owner)                | → Master: Send(255), Bind, Announce(repeat); arm Adver_Timer, GARP burst/refresh
/// I3  | Init   | Startup, P &lt; 255                        | → Backup; Master_Adver_Interval = own; Master_Down_Timer = now + MDI
/// I4  | Init   | advert, deadline, bind failed, removed  | ignored (tracking/link changes are recorded, no action)
/// B1  | Backup | Master_Down_Timer due                   | → Master: Send(P), Bind, Announce(repeat); arm Adver_Timer, GARP timers
/// B2  | Backup | advert p = 0                            | Master_Down_Timer = now + Skew (v3: Skew from the learned interval)
/// B3  | Backup | advert p ≥ P, or nopreempt              | v3: Master_Adver_Interval = advert's; Master_Down_Timer = now + MDI; stops a running preempt delay
/// B4  | Backup | advert p &lt; P, preempt, no preempt_delay | discard (note); the down timer keeps running, so we take over when it fires
/// B5  | Backup | advert p &lt; P, preempt_delay not started | start preempt delay (note); accept as B3
/// B6  | Backup | advert p &lt; P, within the preempt delay  | accept as B3
/// B7  | Backup | advert p &lt; P, preempt delay over        | discard as B4
/// B8  | Backup | becomes Faulted                         | → Fault
/// B9  | Backup | Shutdown                                | → Init; every timer cancelled
/// M1  | Master | Adver_Timer due                         | Send(P); Adver_Timer = previous deadline + interval (slots missed by a late wake-up are skipped)
/// M2  | Master | GARP burst / refresh due                | Announce(repeat); refresh re-armed
/// M3  | Master | advert p = 0                            | Send(P); Adver_Timer = now + interval
/// M4  | Master | advert p &gt; P, or p = P and src &gt; local   | [Send(P) if higher_prio_send_advert]; → Backup: Unbind; v3 learns interval; Master_Down_Timer = now + MDI
/// M5  | Master | advert p &lt; P, or p = P and src &lt; local   | note "forcing new election"; Send(P) unless lower_prio_no_advert; Announce(lower_prio_repeat); second burst after lower_prio_delay
/// M6  | Master | becomes Faulted (tracked, link)         | → Fault: Send(0), Unbind
/// M7  | Master | bind failed                             | → Fault: Send(0), Unbind; retry after AddressFailureRetryDelay
/// M8  | Master | a virtual address removed by others     | → Backup: Unbind; Master_Down_Timer = now + MDI (re-elected, and re-added, if still best)
/// M9  | Master | Shutdown                                | → Init: Send(0), Unbind
/// F1  | Fault  | no longer Faulted, P = 255              | → Master as I2
/// F2  | Fault  | no longer Faulted, P &lt; 255              | → Backup as I3
/// F3  | Fault  | retry deadline after a failed bind      | clears that fault, then F1/F2 if nothing else is faulted
/// F4  | Fault  | advert                                  | ignored (FAULT is silent and deaf)
/// F5  | Fault  | Shutdown                                | → Init
/// T1  | any    | tracked object / link change moving P   | EffectivePriorityChanged(old, new); later timers use the new Skew/MDI, adverts carry it
/// </code>
/// </remarks>
internal sealed class VirtualRouterMachine
{
    private readonly VirtualRouterSettings _s;
    private readonly byte[] _local;
    private readonly bool[] _trackedUp;
    private bool _linkUp = true;
    private bool _addressFault;
    private TimeSpan? _downDeadline;
    private TimeSpan? _adverDeadline;
    private TimeSpan? _garpBurstDeadline;
    private int _garpBurstCount;
    private TimeSpan? _garpRefreshDeadline;
    private TimeSpan? _faultRetryDeadline;
    private TimeSpan? _preemptDelayEnd;

    public VirtualRouterMachine(VirtualRouterSettings settings, IPAddress localAddress)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(localAddress);
        _s = settings;
        _local = localAddress.GetAddressBytes();
        _trackedUp = settings.TrackedObjects.Select(t => t.InitiallyUp).ToArray();
        MasterAdvertisementInterval = settings.AdvertisementInterval;
        EffectivePriority = ComputeEffectivePriority();
    }

    public VirtualRouterState State { get; private set; }

    /// <summary>The priority in use: the base adjusted by tracked objects, clamped to 1–254 (255 stays 255).</summary>
    public byte EffectivePriority { get; private set; }

    /// <summary>VRRPv3: the interval learned from the current master (the local one in VRRPv2).</summary>
    public TimeSpan MasterAdvertisementInterval { get; private set; }

    /// <summary>Whether a fault condition holds (link down, weight-0 tracked object down, failed bind awaiting retry).</summary>
    public bool IsFaulted => !_linkUp || _addressFault || FaultingObjectDown();

    public TimeSpan Skew => ElectionTiming.Skew(_s.Version, EffectivePriority, MasterAdvertisementInterval);

    public TimeSpan MasterDownInterval => ElectionTiming.MasterDown(_s.Version, EffectivePriority, MasterAdvertisementInterval, _s.DownTimerAdverts);

    /// <summary>The earliest stored deadline, or <see langword="null"/> when none is armed.</summary>
    public TimeSpan? NextDeadline
    {
        get
        {
            var next = Min(_downDeadline, _adverDeadline);
            next = Min(next, _garpBurstDeadline);
            next = Min(next, _garpRefreshDeadline);
            return Min(next, _faultRetryDeadline);
        }
    }

    public void Handle(in VrrpInput input, TimeSpan now, ICollection<VrrpAction> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        switch (input.Kind)
        {
            case VrrpInputKind.Startup:
                if (State == VirtualRouterState.Initialize)
                {
                    GoUp(now, actions, VirtualRouterTransitionReason.Startup);
                }

                break;

            case VrrpInputKind.Shutdown:
                Shutdown(actions);
                break;

            case VrrpInputKind.DeadlineReached:
                OnDeadline(now, actions);
                break;

            case VrrpInputKind.AdvertisementReceived:
                if (State == VirtualRouterState.Backup)
                {
                    BackupReceived(input, now, actions);
                }
                else if (State == VirtualRouterState.Master)
                {
                    MasterReceived(input, now, actions);
                }

                break;

            case VrrpInputKind.TrackedObjectChanged:
                var index = IndexOfTracked(input.Name);
                if (index >= 0 && _trackedUp[index] != input.IsUp)
                {
                    _trackedUp[index] = input.IsUp;
                    Reevaluate(now, actions, VirtualRouterTransitionReason.TrackedObjectDown);
                }

                break;

            case VrrpInputKind.LinkChanged:
                if (_linkUp != input.IsUp)
                {
                    _linkUp = input.IsUp;
                    Reevaluate(now, actions, VirtualRouterTransitionReason.LinkDown);
                }

                break;

            case VrrpInputKind.AddressBindFailed:
                if (State == VirtualRouterState.Master)
                {
                    _addressFault = true;
                    _faultRetryDeadline = now + _s.AddressFailureRetryDelay;
                    EnterFault(actions, VirtualRouterTransitionReason.AddressBindFailed);
                }

                break;

            case VrrpInputKind.AddressRemoved:
                if (State == VirtualRouterState.Master)
                {
                    LeaveMaster(actions, VirtualRouterState.Backup, VirtualRouterTransitionReason.AddressRemoved, sendPriorityZero: false);
                    _downDeadline = now + MasterDownInterval;
                }

                break;
        }
    }

    private void GoUp(TimeSpan now, ICollection<VrrpAction> actions, VirtualRouterTransitionReason reason)
    {
        if (IsFaulted)
        {
            // I1.
            Transition(actions, VirtualRouterState.Fault, reason);
        }
        else if (EffectivePriority == 255)
        {
            // I2, F1.
            BecomeMaster(now, actions, reason);
        }
        else
        {
            // I3, F2.
            MasterAdvertisementInterval = _s.AdvertisementInterval;
            Transition(actions, VirtualRouterState.Backup, reason);
            _preemptDelayEnd = null;
            _downDeadline = now + MasterDownInterval;
        }
    }

    private void OnDeadline(TimeSpan now, ICollection<VrrpAction> actions)
    {
        switch (State)
        {
            case VirtualRouterState.Backup when _downDeadline <= now:
                // B1.
                BecomeMaster(now, actions, VirtualRouterTransitionReason.MasterDownTimerExpired);
                break;

            case VirtualRouterState.Master:
                if (_adverDeadline is { } due && due <= now)
                {
                    // M1.
                    actions.Add(VrrpAction.Send(EffectivePriority));
                    if (_s.AnnounceWithAdvertisements && _s.AllAddresses.Length > 0)
                    {
                        // The client on a peer's MAC after a partition healed (the peer stepped down without a
                        // word) moves back within this interval.
                        actions.Add(VrrpAction.Refresh());
                    }

                    _adverDeadline = NextAdvertisement(due, now, _s.AdvertisementInterval);
                }

                if (_garpBurstDeadline <= now)
                {
                    // M2.
                    actions.Add(VrrpAction.Announce(_garpBurstCount));
                    _garpBurstDeadline = null;
                }

                if (_garpRefreshDeadline <= now)
                {
                    // M2.
                    actions.Add(VrrpAction.Announce(_s.GarpMasterRefreshRepeat));
                    _garpRefreshDeadline = now + _s.GarpMasterRefresh;
                }

                break;

            case VirtualRouterState.Fault when _faultRetryDeadline <= now:
                // F3.
                _faultRetryDeadline = null;
                _addressFault = false;
                if (!IsFaulted)
                {
                    GoUp(now, actions, VirtualRouterTransitionReason.FaultCleared);
                }

                break;
        }
    }

    private void BackupReceived(in VrrpInput advert, TimeSpan now, ICollection<VrrpAction> actions)
    {
        var p = advert.Priority;
        var ours = EffectivePriority;
        if (p == 0)
        {
            // B2.
            actions.Add(VrrpAction.Noted(VrrpNote.BackupReceivedPriorityZero, advert.Address));
            _downDeadline = now + Skew;
            return;
        }

        var delaying = _s.PreemptDelay > TimeSpan.Zero && (_preemptDelayEnd is null || now < _preemptDelayEnd);
        if (!_s.Preempt || p >= ours || delaying)
        {
            if (_s.PreemptDelay > TimeSpan.Zero)
            {
                if (p >= ours && _preemptDelayEnd is not null)
                {
                    // B3: a valid master is back; the next lower-priority one starts a fresh delay.
                    _preemptDelayEnd = null;
                    actions.Add(VrrpAction.Noted(VrrpNote.PreemptDelayStopped, advert.Address, p, ours));
                }
                else if (p < ours && _preemptDelayEnd is null)
                {
                    // B5.
                    _preemptDelayEnd = now + _s.PreemptDelay;
                    actions.Add(VrrpAction.Noted(VrrpNote.PreemptDelayStarted, advert.Address, p, ours));
                }
            }

            // B3, B6.
            if (_s.Version == VrrpVersion.V3)
            {
                MasterAdvertisementInterval = advert.Interval;
            }

            _downDeadline = now + MasterDownInterval;
            return;
        }

        // B4, B7.
        actions.Add(VrrpAction.Noted(VrrpNote.BackupDiscardedLowerPriority, advert.Address, p, ours));
    }

    private void MasterReceived(in VrrpInput advert, TimeSpan now, ICollection<VrrpAction> actions)
    {
        var p = advert.Priority;
        var ours = EffectivePriority;
        if (p == 0)
        {
            // M3.
            actions.Add(VrrpAction.Noted(VrrpNote.MasterReceivedPriorityZero, advert.Address));
            actions.Add(VrrpAction.Send(ours));
            _adverDeadline = now + _s.AdvertisementInterval;
            return;
        }

        var cmp = p == ours ? CompareToLocal(advert.Address!) : 0;
        if (p > ours || cmp > 0)
        {
            // M4.
            if (_s.HigherPrioritySendAdvert)
            {
                actions.Add(VrrpAction.Send(ours));
            }

            LeaveMaster(actions, VirtualRouterState.Backup, VirtualRouterTransitionReason.HigherPriorityAdvertisement, sendPriorityZero: false, advert.Address, p);
            if (_s.Version == VrrpVersion.V3)
            {
                MasterAdvertisementInterval = advert.Interval;
            }

            _preemptDelayEnd = null;
            _downDeadline = now + MasterDownInterval;
            return;
        }

        if (p == ours && cmp == 0)
        {
            // Our own address: a looped-back advert the host should have filtered. Nothing to elect.
            return;
        }

        // M5.
        actions.Add(VrrpAction.Noted(VrrpNote.MasterReceivedLowerPriority, advert.Address, p, ours));
        if (!_s.LowerPriorityNoAdvert)
        {
            actions.Add(VrrpAction.Send(ours));
        }

        if (_s.GarpLowerPriorityRepeat > 0 && _s.AllAddresses.Length > 0)
        {
            actions.Add(VrrpAction.Announce(_s.GarpLowerPriorityRepeat));
            if (_s.GarpLowerPriorityDelay > TimeSpan.Zero)
            {
                _garpBurstDeadline = now + _s.GarpLowerPriorityDelay;
                _garpBurstCount = _s.GarpLowerPriorityRepeat;
            }
        }
    }

    private void Reevaluate(TimeSpan now, ICollection<VrrpAction> actions, VirtualRouterTransitionReason faultReason)
    {
        // T1.
        var old = EffectivePriority;
        EffectivePriority = ComputeEffectivePriority();
        if (old != EffectivePriority)
        {
            actions.Add(VrrpAction.PriorityChanged(old, EffectivePriority));
        }

        var faulted = IsFaulted;
        if (faulted && State is VirtualRouterState.Backup or VirtualRouterState.Master)
        {
            // B8, M6.
            EnterFault(actions, !_linkUp ? VirtualRouterTransitionReason.LinkDown : faultReason);
        }
        else if (!faulted && State == VirtualRouterState.Fault)
        {
            // F1, F2.
            GoUp(now, actions, VirtualRouterTransitionReason.FaultCleared);
        }
    }

    private void EnterFault(ICollection<VrrpAction> actions, VirtualRouterTransitionReason reason)
    {
        if (State == VirtualRouterState.Master)
        {
            LeaveMaster(actions, VirtualRouterState.Fault, reason, sendPriorityZero: true);
        }
        else
        {
            Transition(actions, VirtualRouterState.Fault, reason);
        }
    }

    private void Shutdown(ICollection<VrrpAction> actions)
    {
        switch (State)
        {
            case VirtualRouterState.Master:
                // M9.
                LeaveMaster(actions, VirtualRouterState.Initialize, VirtualRouterTransitionReason.Shutdown, sendPriorityZero: true);
                break;
            case VirtualRouterState.Backup or VirtualRouterState.Fault:
                // B9, F5.
                Transition(actions, VirtualRouterState.Initialize, VirtualRouterTransitionReason.Shutdown);
                break;
        }

        _faultRetryDeadline = null;
        _addressFault = false;
    }

    private void BecomeMaster(TimeSpan now, ICollection<VrrpAction> actions, VirtualRouterTransitionReason reason)
    {
        Transition(actions, VirtualRouterState.Master, reason);
        actions.Add(VrrpAction.Send(EffectivePriority));
        actions.Add(VrrpAction.Bind());
        _adverDeadline = now + _s.AdvertisementInterval;
        if (_s.AllAddresses.Length > 0 && _s.GarpMasterRepeat > 0)
        {
            actions.Add(VrrpAction.Announce(_s.GarpMasterRepeat));
            if (_s.GarpMasterDelay > TimeSpan.Zero)
            {
                _garpBurstDeadline = now + _s.GarpMasterDelay;
                _garpBurstCount = _s.GarpMasterRepeat;
            }
        }

        if (_s.AllAddresses.Length > 0 && _s.GarpMasterRefresh > TimeSpan.Zero)
        {
            _garpRefreshDeadline = now + _s.GarpMasterRefresh;
        }
    }

    private void LeaveMaster(
        ICollection<VrrpAction> actions,
        VirtualRouterState to,
        VirtualRouterTransitionReason reason,
        bool sendPriorityZero,
        IPAddress? peer = null,
        byte peerPriority = 0)
    {
        Transition(actions, to, reason, peer, peerPriority);
        if (sendPriorityZero)
        {
            actions.Add(VrrpAction.Send(0));
        }

        actions.Add(VrrpAction.Unbind());
    }

    private void Transition(
        ICollection<VrrpAction> actions,
        VirtualRouterState to,
        VirtualRouterTransitionReason reason,
        IPAddress? peer = null,
        byte peerPriority = 0)
    {
        actions.Add(VrrpAction.Changed(State, to, reason, peer, peerPriority));
        State = to;
        _downDeadline = null;
        _adverDeadline = null;
        _garpBurstDeadline = null;
        _garpRefreshDeadline = null;
        if (to != VirtualRouterState.Fault)
        {
            _faultRetryDeadline = null;
        }
    }

    private byte ComputeEffectivePriority()
    {
        if (_s.BasePriority == 255)
        {
            return 255;
        }

        var priority = (int)_s.BasePriority;
        for (var i = 0; i < _trackedUp.Length; i++)
        {
            var weight = _s.TrackedObjects[i].Weight;
            var up = _trackedUp[i] != _s.TrackedObjects[i].Reverse;
            if ((weight > 0 && up) || (weight < 0 && !up))
            {
                priority += weight;
            }
        }

        return (byte)Math.Clamp(priority, 1, 254);
    }

    private int IndexOfTracked(string? name)
    {
        for (var i = 0; i < _s.TrackedObjects.Length; i++)
        {
            if (string.Equals(_s.TrackedObjects[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The last known state of a tracked object, or <see langword="null"/> when none has that name.</summary>
    public bool? IsTrackedObjectUp(string? name)
    {
        var index = IndexOfTracked(name);
        return index < 0 ? null : _trackedUp[index];
    }

    /// <summary>Whether the instance's own link is up.</summary>
    public bool IsLinkUp => _linkUp;

    /// <summary>Whether <paramref name="name"/> is a tracked object of this instance.</summary>
    public bool IsTracked(string name) => IndexOfTracked(name) >= 0;

    private bool FaultingObjectDown()
    {
        for (var i = 0; i < _trackedUp.Length; i++)
        {
            if (_s.TrackedObjects[i].Weight == 0 && _trackedUp[i] == _s.TrackedObjects[i].Reverse)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Unsigned comparison in network byte order (RFC 9568 §6.4.3; keepalived <c>vrrp_saddr_cmp</c>).</summary>
    private int CompareToLocal(IPAddress source)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!source.TryWriteBytes(bytes, out var n) || n != _local.Length)
        {
            return 0;
        }

        return bytes[..n].SequenceCompareTo(_local);
    }

    /// <summary>
    /// The next advert deadline on the grid the first one set: previous + interval, never now + interval, so a late
    /// wake-up does not push every later advert back (the period stays the interval on average). A wake-up later than
    /// a whole interval skips the slots it missed rather than sending them in a burst.
    /// </summary>
    internal static TimeSpan NextAdvertisement(TimeSpan previous, TimeSpan now, TimeSpan interval)
    {
        var next = previous + interval;
        if (next <= now && interval > TimeSpan.Zero)
        {
            next += interval * (((now - next).Ticks / interval.Ticks) + 1);
        }

        return next;
    }

    private static TimeSpan? Min(TimeSpan? a, TimeSpan? b) =>
        a is null ? b : b is null ? a : (a < b ? a : b);
}
