using System.Net;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Vrrp.Tests.Election;

/// <summary>One test per row of the transition table above <see cref="VirtualRouterMachine"/>.</summary>
public class TransitionTableTests
{
    private static readonly IPAddress Local = IPAddress.Parse("198.18.0.5");
    private static readonly IPAddress Higher = IPAddress.Parse("198.18.0.9");
    private static readonly IPAddress Lower = IPAddress.Parse("198.18.0.3");
    private static readonly TimeSpan S = TimeSpan.FromSeconds(1);

    private sealed class Rig
    {
        public Rig(Action<VirtualRouterOptions>? configure = null)
        {
            var o = new VirtualRouterOptions
            {
                InstanceName = "VI_1",
                InterfaceName = "eth0",
                VirtualRouterId = 51,
                Priority = 100,
                VirtualAddresses = [new VirtualAddress(IPAddress.Parse("198.18.0.100"), 32, "eth0")],
            };
            configure?.Invoke(o);
            var settings = VirtualRouterSettings.Create(o, out var issues) ?? throw new InvalidOperationException(string.Join("; ", issues));
            Machine = new VirtualRouterMachine(settings, Local);
        }

        public VirtualRouterMachine Machine { get; }
        public List<VrrpAction> Actions { get; } = [];

        public string Feed(VrrpInput input, TimeSpan now)
        {
            Actions.Clear();
            Machine.Handle(input, now, Actions);
            return string.Join(" ", Actions.Where(a => a.Kind != VrrpActionKind.Note));
        }

        public string Notes => string.Join(" ", Actions.Where(a => a.Kind == VrrpActionKind.Note).Select(a => a.Note));

        public Rig Started(TimeSpan now = default)
        {
            Feed(VrrpInput.Startup(), now);
            return this;
        }

        public Rig AsMaster()
        {
            Started();
            Feed(VrrpInput.DeadlineReached(), Machine.NextDeadline!.Value);
            Assert.Equal(VirtualRouterState.Master, Machine.State);
            return this;
        }
    }

    private static VrrpInput Advert(int priority, IPAddress from, double intervalSeconds = 1) =>
        VrrpInput.Advertisement((byte)priority, TimeSpan.FromSeconds(intervalSeconds), from);

    [Fact]
    public void I1_StartupWhileFaulted_GoesToFault()
    {
        var r = new Rig(o => o.TrackedObjects = [new TrackedObject("chk") { InitiallyUp = false }]);
        Assert.Equal("Initialize->Fault(Startup)", r.Feed(VrrpInput.Startup(), TimeSpan.Zero));
        Assert.Null(r.Machine.NextDeadline);
    }

    [Fact]
    public void I2_StartupAsOwner_BecomesMasterAtOnce_AdvertBindAnnounce()
    {
        var r = new Rig(o => o.Priority = 255);
        Assert.Equal("Initialize->Master(Startup) Send(255) Bind Announce(5)", r.Feed(VrrpInput.Startup(), TimeSpan.Zero));
        Assert.Equal(S, r.Machine.NextDeadline);
    }

    [Fact]
    public void I3_Startup_GoesToBackupWithMasterDownTimer()
    {
        var r = new Rig();
        Assert.Equal("Initialize->Backup(Startup)", r.Feed(VrrpInput.Startup(), TimeSpan.Zero));
        // 3 × 1 s + (256 − 100)/256 s = 3.609375 s.
        Assert.Equal(TimeSpan.FromSeconds(3.609375), r.Machine.NextDeadline);
    }

    [Fact]
    public void I4_BeforeStartup_AdvertsAndDeadlinesAreIgnored()
    {
        var r = new Rig();
        Assert.Equal("", r.Feed(Advert(200, Higher), TimeSpan.Zero));
        Assert.Equal("", r.Feed(VrrpInput.DeadlineReached(), TimeSpan.FromSeconds(10)));
        Assert.Equal("", r.Feed(VrrpInput.BindFailed(), TimeSpan.FromSeconds(10)));
        Assert.Equal(VirtualRouterState.Initialize, r.Machine.State);
    }

    [Fact]
    public void B1_MasterDownTimerExpires_BecomesMaster()
    {
        var r = new Rig().Started();
        Assert.Equal("", r.Feed(VrrpInput.DeadlineReached(), TimeSpan.FromSeconds(3.6)));
        Assert.Equal("Backup->Master(MasterDownTimerExpired) Send(100) Bind Announce(5)", r.Feed(VrrpInput.DeadlineReached(), TimeSpan.FromSeconds(3.609375)));
        Assert.Equal(TimeSpan.FromSeconds(4.609375), r.Machine.NextDeadline);
    }

    [Fact]
    public void B2_PriorityZeroAdvert_ShortensTheDownTimerToSkew()
    {
        var r = new Rig().Started();
        r.Feed(Advert(0, Higher), TimeSpan.FromSeconds(1));
        Assert.Equal("BackupReceivedPriorityZero", r.Notes);
        Assert.Equal(TimeSpan.FromSeconds(1 + 0.609375), r.Machine.NextDeadline);
    }

    [Fact]
    public void B3_HigherOrEqualAdvert_ResetsTheDownTimer_AndV3LearnsTheInterval()
    {
        var r = new Rig(o => { o.Version = VrrpVersion.V3; o.AdvertisementInterval = S; });
        r.Started();
        Assert.Equal("", r.Feed(Advert(100, Lower, 0.5), TimeSpan.FromSeconds(2)));
        Assert.Equal(TimeSpan.FromSeconds(0.5), r.Machine.MasterAdvertisementInterval);
        // v3: 3 × 0.5 + (156 × 0.5)/256 = 1.8046875 s, in keepalived's whole microseconds 1.804687 s.
        Assert.Equal(TimeSpan.FromSeconds(2) + TimeSpan.FromMicroseconds(1_804_687), r.Machine.NextDeadline);
    }

    [Fact]
    public void B3_Nopreempt_AcceptsALowerPriorityMaster()
    {
        var r = new Rig(o => o.Preempt = false).Started();
        r.Feed(Advert(50, Lower), TimeSpan.FromSeconds(2));
        Assert.Equal("", r.Notes);
        Assert.Equal(TimeSpan.FromSeconds(2 + 3.609375), r.Machine.NextDeadline);
    }

    [Fact]
    public void B4_LowerAdvertWhilePreempting_IsDiscarded_TimerKeepsRunning()
    {
        var r = new Rig().Started();
        r.Feed(Advert(50, Lower), TimeSpan.FromSeconds(2));
        Assert.Equal("BackupDiscardedLowerPriority", r.Notes);
        Assert.Equal(TimeSpan.FromSeconds(3.609375), r.Machine.NextDeadline);
    }

    private static Rig WithPreemptDelay() => new Rig(o => o.PreemptDelay = TimeSpan.FromSeconds(2)).Started();

    [Fact]
    public void B5_FirstLowerAdvert_StartsThePreemptDelay_AndIsAccepted()
    {
        var r = WithPreemptDelay();
        r.Feed(Advert(50, Lower), TimeSpan.FromSeconds(1));
        Assert.Equal("PreemptDelayStarted", r.Notes);
        Assert.Equal(TimeSpan.FromSeconds(1 + 3.609375), r.Machine.NextDeadline);
    }

    [Fact]
    public void B6_LowerAdvertWithinTheDelay_IsAccepted()
    {
        var r = WithPreemptDelay();
        r.Feed(Advert(50, Lower), TimeSpan.FromSeconds(1));
        r.Feed(Advert(50, Lower), TimeSpan.FromSeconds(2.9));
        Assert.Equal("", r.Notes);
        Assert.Equal(TimeSpan.FromSeconds(2.9 + 3.609375), r.Machine.NextDeadline);
    }

    [Fact]
    public void B7_LowerAdvertAfterTheDelay_IsDiscarded()
    {
        var r = WithPreemptDelay();
        r.Feed(Advert(50, Lower), TimeSpan.FromSeconds(1));
        r.Feed(Advert(50, Lower), TimeSpan.FromSeconds(2));
        r.Feed(Advert(50, Lower), TimeSpan.FromSeconds(3));
        Assert.Equal("BackupDiscardedLowerPriority", r.Notes);
        Assert.Equal(TimeSpan.FromSeconds(2 + 3.609375), r.Machine.NextDeadline);
        Assert.Equal("Backup->Master(MasterDownTimerExpired) Send(100) Bind Announce(5)", r.Feed(VrrpInput.DeadlineReached(), TimeSpan.FromSeconds(2 + 3.609375)));
    }

    [Fact]
    public void B3_HigherAdvert_StopsARunningPreemptDelay()
    {
        var r = new Rig(o => o.PreemptDelay = TimeSpan.FromSeconds(2)).Started();
        r.Feed(Advert(50, Lower), TimeSpan.FromSeconds(1));
        r.Feed(Advert(150, Higher), TimeSpan.FromSeconds(1.5));
        Assert.Equal("PreemptDelayStopped", r.Notes);
        r.Feed(Advert(50, Lower), TimeSpan.FromSeconds(10));
        Assert.Equal("PreemptDelayStarted", r.Notes);
    }

    [Fact]
    public void B8_WeightZeroTrackedObjectDown_GoesToFaultSilently()
    {
        var r = new Rig(o => o.TrackedObjects = [new TrackedObject("chk_haproxy")]).Started();
        Assert.Equal("Backup->Fault(TrackedObjectDown)", r.Feed(VrrpInput.TrackedObject("chk_haproxy", false), TimeSpan.FromSeconds(1)));
        Assert.Null(r.Machine.NextDeadline);
    }

    [Fact]
    public void B9_ShutdownAsBackup_GoesToInitializeWithoutAdvert()
    {
        var r = new Rig().Started();
        Assert.Equal("Backup->Initialize(Shutdown)", r.Feed(VrrpInput.Shutdown(), TimeSpan.FromSeconds(1)));
        Assert.Null(r.Machine.NextDeadline);
    }

    [Fact]
    public void M1_AdverTimer_SendsAndRearms()
    {
        var r = new Rig().AsMaster();
        var due = r.Machine.NextDeadline!.Value;
        Assert.Equal("Send(100) Refresh", r.Feed(VrrpInput.DeadlineReached(), due)); // each advert re-announces the VIPs once
        Assert.Equal(due + S, r.Machine.NextDeadline);
    }

    [Fact]
    public void M1_LateWakeUps_DoNotDrift_TheNextDeadlineIsThePreviousPlusTheInterval()
    {
        var r = new Rig(o => o.GarpMasterDelay = TimeSpan.Zero).AsMaster();
        var first = r.Machine.NextDeadline!.Value;

        // Each wake-up 7 ms late: the deadlines stay on first + k × interval, not on wake-up + interval.
        for (var k = 0; k < 10; k++)
        {
            var due = first + (S * k);
            Assert.Equal(due, r.Machine.NextDeadline);
            Assert.Equal("Send(100) Refresh", r.Feed(VrrpInput.DeadlineReached(), due + TimeSpan.FromMilliseconds(7)));
        }

        Assert.Equal(first + (S * 10), r.Machine.NextDeadline);
    }

    [Fact]
    public void M1_AWakeUpLaterThanAnInterval_SendsOnce_AndSkipsTheMissedSlots()
    {
        var r = new Rig().AsMaster();
        var due = r.Machine.NextDeadline!.Value;
        Assert.Equal("Send(100) Refresh", r.Feed(VrrpInput.DeadlineReached(), due + TimeSpan.FromSeconds(2.5)));
        Assert.Equal(due + TimeSpan.FromSeconds(3), r.Machine.NextDeadline);
    }

    [Theory]
    [InlineData(2, 100, 1.0, 609_375, 3_609_375)]  // RFC 3768: 156/256 s
    [InlineData(2, 101, 1.0, 605_468, 3_605_468)]  // 605 468.75 µs truncated, as keepalived's TIMER_HZ arithmetic
    [InlineData(2, 254, 1.0, 7_812, 3_007_812)]
    [InlineData(3, 100, 1.0, 609_375, 3_609_375)]
    [InlineData(3, 100, 0.1, 60_937, 360_937)]     // ((156 × 10 cs × 625) / 16) µs
    [InlineData(3, 150, 0.01, 4_140, 34_140)]      // 106 × 1 × 625 / 16 = 4 140.6 µs
    [InlineData(3, 254, 0.01, 78, 30_078)]
    public void Timers_AreKeepalivedsWholeMicroseconds(int version, int priority, double interval, long skewMicroseconds, long masterDownMicroseconds)
    {
        var v = version == 2 ? VrrpVersion.V2 : VrrpVersion.V3;
        Assert.Equal(TimeSpan.FromMicroseconds(skewMicroseconds), ElectionTiming.Skew(v, priority, TimeSpan.FromSeconds(interval)));
        Assert.Equal(TimeSpan.FromMicroseconds(masterDownMicroseconds), ElectionTiming.MasterDown(v, priority, TimeSpan.FromSeconds(interval)));
    }

    [Fact]
    public void M2_GarpSecondBurstAndRefresh_AnnounceOnSchedule()
    {
        var r = new Rig(o => { o.GarpMasterDelay = TimeSpan.FromSeconds(5); o.GarpMasterRefresh = TimeSpan.FromSeconds(60); o.GarpMasterRefreshRepeat = 2; o.AnnounceWithAdvertisements = false; });
        r.Started();
        var t0 = r.Machine.NextDeadline!.Value;
        r.Feed(VrrpInput.DeadlineReached(), t0);
        var seen = new List<string>();
        for (var i = 0; i < 200 && r.Machine.NextDeadline is { } next && next <= t0 + TimeSpan.FromSeconds(121); i++)
        {
            var acts = r.Feed(VrrpInput.DeadlineReached(), next);
            if (acts.Contains("Announce"))
            {
                seen.Add($"{(next - t0).TotalSeconds}:{acts}");
            }
        }

        Assert.Equal(["5:Send(100) Announce(5)", "60:Send(100) Announce(2)", "120:Send(100) Announce(2)"], seen);
    }

    [Fact]
    public void M1_WithoutAnnounceWithAdvertisements_SendsTheAdvertAlone_AsKeepalived()
    {
        var r = new Rig(o => o.AnnounceWithAdvertisements = false).AsMaster();
        var due = r.Machine.NextDeadline!.Value;
        Assert.Equal("Send(100)", r.Feed(VrrpInput.DeadlineReached(), due));
    }

    [Fact]
    public void M3_PriorityZeroAdvert_AnswersAtOnce()
    {
        var r = new Rig().AsMaster();
        Assert.Equal("Send(100)", r.Feed(Advert(0, Higher), TimeSpan.FromSeconds(4)));
        Assert.Equal(TimeSpan.FromSeconds(5), r.Machine.NextDeadline);
    }

    [Fact]
    public void M4_HigherPriorityAdvert_StepsDown_WithoutHigherPrioSendAdvert()
    {
        var r = new Rig(o => o.HigherPrioritySendAdvert = false).AsMaster();
        Assert.Equal("Master->Backup(HigherPriorityAdvertisement) Unbind", r.Feed(Advert(150, Lower), TimeSpan.FromSeconds(4)));
        Assert.Equal(Lower, r.Actions[0].Peer);
        Assert.Equal(TimeSpan.FromSeconds(4 + 3.609375), r.Machine.NextDeadline);
    }

    [Fact]
    public void M4_HigherPriorityAdvert_SendsOneLastAdvertThenStepsDown_ByDefault()
    {
        // Ha.Net's default (higher_prio_send_advert on): the winner hears us and re-announces.
        var r = new Rig().AsMaster();
        Assert.Equal("Send(100) Master->Backup(HigherPriorityAdvertisement) Unbind", r.Feed(Advert(150, Lower), TimeSpan.FromSeconds(4)));
        Assert.Equal(TimeSpan.FromSeconds(4 + 3.609375), r.Machine.NextDeadline);
    }

    [Fact]
    public void M4_EqualPriorityFromHigherAddress_StepsDown_WithHigherPrioSendAdvert()
    {
        var r = new Rig(o => o.HigherPrioritySendAdvert = true).AsMaster();
        Assert.Equal("Send(100) Master->Backup(HigherPriorityAdvertisement) Unbind", r.Feed(Advert(100, Higher), TimeSpan.FromSeconds(4)));
    }

    [Fact]
    public void M4_V3_LearnsTheNewMastersInterval()
    {
        var r = new Rig(o => o.Version = VrrpVersion.V3).AsMaster();
        r.Feed(Advert(200, Higher, 2), TimeSpan.FromSeconds(4));
        Assert.Equal(TimeSpan.FromSeconds(2), r.Machine.MasterAdvertisementInterval);
    }

    [Fact]
    public void M5_LowerPriorityAdvert_AnswersAtOnceAndReannounces()
    {
        var r = new Rig().AsMaster();
        Assert.Equal("Send(100) Announce(5)", r.Feed(Advert(50, Higher), TimeSpan.FromSeconds(4)));
        Assert.Equal("MasterReceivedLowerPriority", r.Notes);
        Assert.Equal("Send(100) Announce(5)", r.Feed(Advert(100, Lower), TimeSpan.FromSeconds(4.1)));
        Assert.Equal(VirtualRouterState.Master, r.Machine.State);
    }

    [Fact]
    public void M5_LowerPrioNoAdvert_OnlyReannounces()
    {
        var r = new Rig(o => { o.LowerPriorityNoAdvert = true; o.GarpLowerPriorityRepeat = 2; }).AsMaster();
        Assert.Equal("Announce(2)", r.Feed(Advert(50, Higher), TimeSpan.FromSeconds(4)));
    }

    [Fact]
    public void M6_MasterLosingItsLink_SendsPriorityZeroAndUnbinds()
    {
        var r = new Rig().AsMaster();
        Assert.Equal("Master->Fault(LinkDown) Send(0) Unbind", r.Feed(VrrpInput.Link(false), TimeSpan.FromSeconds(4)));
    }

    [Fact]
    public void M7_BindFailed_FaultsThenRetries()
    {
        var r = new Rig(o => o.AddressFailureRetryDelay = TimeSpan.FromSeconds(10)).AsMaster();
        Assert.Equal("Master->Fault(AddressBindFailed) Send(0) Unbind", r.Feed(VrrpInput.BindFailed(), TimeSpan.FromSeconds(4)));
        Assert.Equal(TimeSpan.FromSeconds(14), r.Machine.NextDeadline);
        // F3: the retry deadline clears the fault and the instance goes back to backup.
        Assert.Equal("Fault->Backup(FaultCleared)", r.Feed(VrrpInput.DeadlineReached(), TimeSpan.FromSeconds(14)));
    }

    [Fact]
    public void M8_AddressRemovedBehindOurBack_LeavesMaster()
    {
        var r = new Rig().AsMaster();
        Assert.Equal("Master->Backup(AddressRemoved) Unbind", r.Feed(VrrpInput.AddressRemoved(IPAddress.Parse("198.18.0.100")), TimeSpan.FromSeconds(4)));
        Assert.Equal(TimeSpan.FromSeconds(4 + 3.609375), r.Machine.NextDeadline);
    }

    [Fact]
    public void M9_ShutdownAsMaster_SendsPriorityZeroThenUnbinds()
    {
        var r = new Rig().AsMaster();
        Assert.Equal("Master->Initialize(Shutdown) Send(0) Unbind", r.Feed(VrrpInput.Shutdown(), TimeSpan.FromSeconds(4)));
        Assert.Null(r.Machine.NextDeadline);
    }

    [Fact]
    public void F1_OwnerLeavingFault_BecomesMasterAtOnce()
    {
        var r = new Rig(o => { o.Priority = 255; o.TrackedObjects = [new TrackedObject("eth1")]; }).Started();
        r.Feed(VrrpInput.TrackedObject("eth1", false), TimeSpan.FromSeconds(1));
        Assert.Equal(VirtualRouterState.Fault, r.Machine.State);
        Assert.Equal("Fault->Master(FaultCleared) Send(255) Bind Announce(5)", r.Feed(VrrpInput.TrackedObject("eth1", true), TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void F2_LeavingFault_GoesToBackupAndRunsTheDownTimerAgain()
    {
        var r = new Rig().Started();
        r.Feed(VrrpInput.Link(false), TimeSpan.FromSeconds(1));
        Assert.Equal("Fault->Backup(FaultCleared)", r.Feed(VrrpInput.Link(true), TimeSpan.FromSeconds(2)));
        Assert.Equal(TimeSpan.FromSeconds(2 + 3.609375), r.Machine.NextDeadline);
    }

    [Fact]
    public void F3_RetryDeadline_DoesNotLeaveFaultWhileSomethingElseIsDown()
    {
        var r = new Rig(o => o.TrackedObjects = [new TrackedObject("chk")]).AsMaster();
        r.Feed(VrrpInput.BindFailed(), TimeSpan.FromSeconds(4));
        r.Feed(VrrpInput.TrackedObject("chk", false), TimeSpan.FromSeconds(5));
        Assert.Equal("", r.Feed(VrrpInput.DeadlineReached(), TimeSpan.FromSeconds(14)));
        Assert.Equal(VirtualRouterState.Fault, r.Machine.State);
        Assert.Equal("Fault->Backup(FaultCleared)", r.Feed(VrrpInput.TrackedObject("chk", true), TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public void F4_InFault_AdvertsAreIgnored()
    {
        var r = new Rig().Started();
        r.Feed(VrrpInput.Link(false), TimeSpan.FromSeconds(1));
        Assert.Equal("", r.Feed(Advert(0, Higher), TimeSpan.FromSeconds(2)));
        Assert.Equal("", r.Feed(Advert(200, Higher), TimeSpan.FromSeconds(2)));
        Assert.Null(r.Machine.NextDeadline);
    }

    [Fact]
    public void F5_ShutdownInFault_GoesToInitialize()
    {
        var r = new Rig().Started();
        r.Feed(VrrpInput.Link(false), TimeSpan.FromSeconds(1));
        Assert.Equal("Fault->Initialize(Shutdown)", r.Feed(VrrpInput.Shutdown(), TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void T1_TrackedWeights_MoveTheEffectivePriority_AndTheSkew()
    {
        var r = new Rig(o => o.TrackedObjects =
        [
            new TrackedObject("chk_haproxy", -30),
            new TrackedObject("bonus", 20),
            new TrackedObject("rev", -5) { Reverse = true },
        ]);
        // 100 + 20 (bonus up) − 5 (rev is up, and reversed, so it counts as down).
        Assert.Equal(115, r.Machine.EffectivePriority);
        r.Started();
        Assert.Equal("Priority(115->85)", r.Feed(VrrpInput.TrackedObject("chk_haproxy", false), TimeSpan.FromSeconds(1)));
        Assert.Equal("Priority(85->65)", r.Feed(VrrpInput.TrackedObject("bonus", false), TimeSpan.FromSeconds(1)));
        Assert.Equal("Priority(65->70)", r.Feed(VrrpInput.TrackedObject("rev", false), TimeSpan.FromSeconds(1)));
        // keepalived's whole microseconds: 186 × 1 000 000 / 256 = 726 562 µs (726 562.5 truncated).
        Assert.Equal(TimeSpan.FromMicroseconds(726_562), r.Machine.Skew);
        Assert.Equal("", r.Feed(VrrpInput.TrackedObject("unknown", false), TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData(250, 10, true, 254)]   // clamped to 254
    [InlineData(10, -50, false, 1)]    // clamped to 1
    [InlineData(255, -50, false, 255)] // the owner never moves
    public void T1_EffectivePriority_IsClamped_AndTheOwnerIsFixed(int basePriority, int weight, bool up, int expected)
    {
        var r = new Rig(o => { o.Priority = basePriority; o.TrackedObjects = [new TrackedObject("t", weight) { InitiallyUp = up }]; });
        Assert.Equal(expected, r.Machine.EffectivePriority);
    }
}
