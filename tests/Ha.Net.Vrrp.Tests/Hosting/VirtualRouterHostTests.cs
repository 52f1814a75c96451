using System.Diagnostics.Metrics;
using System.Net;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Hosting;
using Ha.Net.Vrrp.Testing;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Vrrp.Tests.Hosting;

public class VirtualRouterHostTests
{
    [Fact]
    public async Task TwoRouters_HigherPriorityBecomesMaster_AddsTheVipAndAnnouncesIt()
    {
        await using var rig = new HostRig();
        var a = rig.Add("198.18.0.1", 150, o => o.AnnounceWithAdvertisements = false); // keepalived's bursts alone
        var b = rig.Add("198.18.0.2", 100);
        await a.Router.StartAsync();
        await b.Router.StartAsync();
        Assert.Equal(VirtualRouterState.Backup, a.State);

        // A's down timer: 3 + (256 − 150)/256 = 3.414 s; B's is 3.609 s.
        await rig.RunAsync(TimeSpan.FromSeconds(3.4));
        Assert.Equal(VirtualRouterState.Backup, a.State);
        await rig.RunAsync(TimeSpan.FromSeconds(0.1));
        Assert.Equal(VirtualRouterState.Master, a.State);
        await rig.RunAsync(TimeSpan.FromSeconds(3));
        Assert.Equal(VirtualRouterState.Backup, b.State);

        Assert.Equal(["add 198.18.0.100"], a.Binder.History);
        Assert.Empty(b.Binder.History);
        Assert.Equal(5, a.Binder.AnnouncedAddresses.Count);
        Assert.Contains("(VI_1) Entering BACKUP STATE (init)", a.Logs.Messages);
        Assert.Contains("(VI_1) Receive advertisement timeout", a.Logs.Messages);
        Assert.Contains("(VI_1) Entering MASTER STATE", a.Logs.Messages);
        Assert.Contains("(VI_1) setting VIPs.", a.Logs.Messages);
        Assert.Contains("(VI_1) Sending/queueing gratuitous ARPs on eth0 for 198.18.0.100", a.Logs.Messages);
        var e = Assert.Single(a.Events, e => e.To == VirtualRouterState.Master);
        Assert.Equal(VirtualRouterTransitionReason.MasterDownTimerExpired, e.Reason);
        Assert.Equal("MASTER", e.KeepalivedState);
        Assert.True(b.Router.GetStatistics().AdvertisementsReceived >= 3);

        // The second GARP burst after garp_master_delay (5 s).
        await rig.RunAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(10, a.Binder.AnnouncedAddresses.Count);
    }

    [Fact]
    public async Task Master_ReannouncesEachVipOnceWithEveryAdvert_WithoutALogLine()
    {
        // #15: the master re-announces its addresses with every advert, so a client left on a peer's MAC when a
        // partition healed and the peer stepped down without a word (keepalived's default) moves back within one
        // advertisement interval. The burst on becoming master is logged; the refreshes are not.
        await using var rig = new HostRig();
        var a = rig.Add("198.18.0.1", 255);
        await a.Router.StartAsync();
        await rig.RunAsync(TimeSpan.FromSeconds(0.5));
        Assert.Equal(VirtualRouterState.Master, a.State);
        var afterBurst = a.Binder.AnnouncedAddresses.Count;
        var sentBefore = a.Router.GetStatistics().AdvertisementsSent;

        await rig.RunAsync(TimeSpan.FromSeconds(3));

        var adverts = a.Router.GetStatistics().AdvertisementsSent - sentBefore;
        Assert.InRange(adverts, 2, 4);
        Assert.Equal(afterBurst + adverts, a.Binder.AnnouncedAddresses.Count);
        Assert.All(a.Binder.AnnouncedAddresses.Skip(afterBurst), address => Assert.Equal(IPAddress.Parse("198.18.0.100"), address));
        Assert.Single(a.Logs.Messages, m => m.StartsWith("(VI_1) Sending/queueing gratuitous ARPs", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StopAsMaster_SendsPriorityZeroThenRemovesTheVip_BackupTakesOverAfterSkew()
    {
        await using var rig = new HostRig();
        var a = rig.Add("198.18.0.1", 150);
        var b = rig.Add("198.18.0.2", 100);
        await a.Router.StartAsync();
        await b.Router.StartAsync();
        await rig.RunAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(VirtualRouterState.Master, a.State);

        var before = rig.Network.Traffic.Count;
        var stop = a.Router.StopAsync();
        await rig.SettleAsync();
        await stop.WaitAsync(TimeSpan.FromSeconds(30));
        var zero = rig.Network.Traffic.Skip(before).First(m => m.Source.Equals(IPAddress.Parse("198.18.0.1")));
        Assert.Equal(0, zero.Message.Span[2]);
        Assert.Equal(["add 198.18.0.100", "remove 198.18.0.100"], a.Binder.History);
        Assert.Equal(VirtualRouterState.Initialize, a.State);
        Assert.Equal("STOP", a.Events[^1].KeepalivedState);

        // Skew_Time for priority 100 is 0.609 s.
        await rig.RunAsync(TimeSpan.FromSeconds(0.55));
        Assert.Equal(VirtualRouterState.Backup, b.State);
        await rig.RunAsync(TimeSpan.FromSeconds(0.1));
        Assert.Equal(VirtualRouterState.Master, b.State);
    }

    [Fact]
    public async Task TrackedObjectDown_MasterEntersFaultWithPriorityZero_AndComesBackAsBackup()
    {
        await using var rig = new HostRig();
        var a = rig.Add("198.18.0.1", 150, o => o.TrackedObjects = [new TrackedObject("chk_haproxy")]);
        var b = rig.Add("198.18.0.2", 100);
        await a.Router.StartAsync();
        await b.Router.StartAsync();
        await rig.RunAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(VirtualRouterState.Master, a.State);

        a.Router.SetTrackedObjectState("chk_haproxy", false);
        await rig.SettleAsync();
        Assert.Equal(VirtualRouterState.Fault, a.State);
        Assert.Contains("(VI_1) Entering FAULT STATE", a.Logs.Messages);
        Assert.Contains("(VI_1) tracked object chk_haproxy is now DOWN", a.Logs.Messages);
        Assert.Empty(a.Binder.Bound);
        await rig.RunAsync(TimeSpan.FromSeconds(0.7));
        Assert.Equal(VirtualRouterState.Master, b.State);

        a.Router.SetTrackedObjectState("chk_haproxy", true);
        await rig.SettleAsync();
        Assert.Equal(VirtualRouterState.Backup, a.State);
        // A (150) preempts B (100) when its down timer fires.
        await rig.RunAsync(TimeSpan.FromSeconds(4));
        Assert.Equal(VirtualRouterState.Master, a.State);
        Assert.Equal(VirtualRouterState.Backup, b.State);
        Assert.Throws<ArgumentException>(() => a.Router.SetTrackedObjectState("nope", true));
    }

    [Fact]
    public async Task NegativeWeight_LowersPriority_AndTheBackupPreempts()
    {
        await using var rig = new HostRig();
        var a = rig.Add("198.18.0.1", 150, o => o.TrackedObjects = [new TrackedObject("chk", -60)]);
        var b = rig.Add("198.18.0.2", 100);
        await a.Router.StartAsync();
        await b.Router.StartAsync();
        await rig.RunAsync(TimeSpan.FromSeconds(5));
        a.Router.SetTrackedObjectState("chk", false);
        await rig.SettleAsync();
        Assert.Equal(90, a.Router.EffectivePriority);
        Assert.Contains("(VI_1) Changing effective priority from 150 to 90", a.Logs.Messages);
        await rig.RunAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(VirtualRouterState.Master, b.State);
        Assert.Equal(VirtualRouterState.Backup, a.State);
        Assert.Contains(a.Logs.Messages, m => m.StartsWith("(VI_1) Master received advert from 198.18.0.2 with higher priority 100, ours 90", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BindFailure_IsFedBack_FaultThenRetry()
    {
        await using var rig = new HostRig();
        var a = rig.Add("198.18.0.1", 150, o => o.AddressFailureRetryDelay = TimeSpan.FromSeconds(20));
        var b = rig.Add("198.18.0.2", 100);
        a.Binder.FailAdd = _ => true;
        await a.Router.StartAsync();
        await b.Router.StartAsync();
        await rig.RunAsync(TimeSpan.FromSeconds(3.5));
        Assert.Equal(VirtualRouterState.Fault, a.State);
        Assert.Empty(a.Binder.AnnouncedAddresses);
        Assert.Equal(1, a.Router.GetStatistics().AddressErrors);
        Assert.Contains(a.Events, e => e.Reason == VirtualRouterTransitionReason.AddressBindFailed);
        await rig.RunAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(VirtualRouterState.Master, b.State);

        a.Binder.FailAdd = null;
        await rig.RunAsync(TimeSpan.FromSeconds(25));
        Assert.Equal(VirtualRouterState.Master, a.State);
        Assert.Equal(VirtualRouterState.Backup, b.State);
    }

    [Fact]
    public async Task VipRemovedBehindOurBack_LeavesMaster_AndIsReinstatedOnReelection()
    {
        await using var rig = new HostRig();
        var a = rig.Add("198.18.0.1", 150);
        await a.Router.StartAsync();
        await rig.RunAsync(TimeSpan.FromSeconds(4));
        Assert.Equal(VirtualRouterState.Master, a.State);
        a.Binder.RemoveExternally(HostRig.Vip.Address);
        a.Router.ReportAddressRemoved(HostRig.Vip.Address);
        await rig.SettleAsync();
        Assert.Equal(VirtualRouterState.Backup, a.State);
        Assert.Contains("(VI_1) virtual address 198.18.0.100 was removed by someone else", a.Logs.Messages);
        await rig.RunAsync(TimeSpan.FromSeconds(4));
        Assert.Equal(VirtualRouterState.Master, a.State);
        Assert.Contains(HostRig.Vip.Address, a.Binder.Bound);
    }

    [Fact]
    public async Task LinkDown_IsFault_LinkUp_IsBackup()
    {
        await using var rig = new HostRig();
        var a = rig.Add("198.18.0.1", 100);
        await a.Router.StartAsync();
        a.Router.SetLinkState(false);
        await rig.SettleAsync();
        Assert.Equal(VirtualRouterState.Fault, a.State);
        Assert.Contains("(VI_1) interface eth0 is now DOWN", a.Logs.Messages);
        a.Router.SetLinkState(true);
        await rig.SettleAsync();
        Assert.Equal(VirtualRouterState.Backup, a.State);
    }

    [Fact]
    public async Task UnicastBackupLeavingFault_AnnouncesItsOwnSourceAddress()
    {
        await using var rig = new HostRig();
        var a = rig.Add("198.18.0.1", 100, o => o.UnicastPeers = [IPAddress.Parse("198.18.0.2")]);
        await a.Router.StartAsync();
        a.Router.SetLinkState(false);
        await rig.SettleAsync();
        Assert.Empty(a.Binder.AnnouncedAddresses);
        a.Router.SetLinkState(true);
        await rig.SettleAsync();
        Assert.Equal(VirtualRouterState.Backup, a.State);
        Assert.Equal([IPAddress.Parse("198.18.0.1")], a.Binder.AnnouncedAddresses);
    }

    [Fact]
    public async Task Owner_StartsAsMaster_WithoutWaiting()
    {
        await using var rig = new HostRig();
        var a = rig.Add("198.18.0.1", 255);
        await a.Router.StartAsync();
        await rig.SettleAsync();
        Assert.Equal(VirtualRouterState.Master, a.State);
        Assert.Equal(TimeSpan.Zero, rig.Elapsed);
    }

    [Fact]
    public async Task MasterHearingALowerPriorityAdvert_AnswersAtOnce()
    {
        await using var rig = new HostRig();
        var a = rig.Add("198.18.0.1", 150);
        await a.Router.StartAsync();
        await rig.RunAsync(TimeSpan.FromSeconds(4));
        // A lower-priority advert from a router that thinks it is master (a healed split brain).
        var message = new byte[20];
        VrrpPacket.TryWrite(message, new VrrpAdvertisement(VrrpVersion.V2, 51, 100, 1, 1), HostRig.Vip.Address.GetAddressBytes(), [], VrrpChecksumMode.MessageOnly, [], [], out _);
        var before = rig.Network.SentCount;
        var announcedBefore = a.Binder.AnnouncedAddresses.Count;
        a.Transport.Deliver(message, IPAddress.Parse("198.18.0.2"), IPAddress.Parse("224.0.0.18"), 255);
        await rig.SettleAsync();
        Assert.Equal(before + 1, rig.Network.SentCount);
        Assert.Equal(announcedBefore + 5, a.Binder.AnnouncedAddresses.Count);
        Assert.Contains("(VI_1) Received advert from 198.18.0.2 with lower priority 100, ours 150, forcing new election", a.Logs.Messages);
    }

    [Fact]
    public async Task EveryDropReason_IsCountedAndLogged()
    {
        await using var rig = new HostRig();
        var a = rig.Add("198.18.0.1", 100, o => { o.AuthenticationType = VrrpAuthenticationType.SimplePassword; o.AuthenticationPassword = "hbsecret"; });
        await a.Router.StartAsync();
        var group = IPAddress.Parse("224.0.0.18");
        var peer = IPAddress.Parse("198.18.0.11");
        byte[] Hex(string h) => Convert.FromHexString(h);
        // keepalived's own capture: VRID 51, auth PASS hbsecret, VIP 198.18.0.100: valid.
        var valid = Hex("2133650101010da5c61200646862736563726574");
        a.Transport.Deliver(valid, peer, group, 255);
        a.Transport.Deliver(valid, peer, group, 64);                                   // TTL
        a.Transport.Deliver(valid, peer, IPAddress.Parse("198.18.0.1"), 255);          // unicast in multicast mode
        a.Transport.Deliver(valid, IPAddress.Parse("198.18.0.1"), group, 255);         // our own
        a.Transport.Deliver(Hex("213365010001b353c61200640000000000000000"), peer, group, 255); // auth type 0
        var wrongPass = Hex("2133650101010da5c61200646862736563726574");
        wrongPass[19] ^= 1; wrongPass[7] ^= 1;                                          // checksum fixed up, password wrong
        a.Transport.Deliver(wrongPass, peer, group, 255);
        var badSum = (byte[])valid.Clone(); badSum[7] ^= 0xFF;
        a.Transport.Deliver(badSum, peer, group, 255);
        a.Transport.Deliver(Hex("313365010064fc43c6120064"), peer, group, 255);        // v3 while we are v2
        var carp = new byte[36];
        carp[0] = 0x21; carp[1] = 51; carp[3] = 7; carp[5] = 1;                       // ucarp: vhid 51, authlen 7, advbase 1
        a.Transport.Deliver(carp, peer, group, 255);
        a.Transport.Deliver([0x21, 0x33], peer, group, 255);
        await rig.SettleAsync();

        var s = a.Router.GetStatistics();
        Assert.Equal(1, s.AdvertisementsReceived);
        Assert.Equal(1, s.AdvertisementsDropped[VrrpDropReason.InvalidTimeToLive]);
        Assert.Equal(1, s.AdvertisementsDropped[VrrpDropReason.UnexpectedUnicast]);
        Assert.Equal(1, s.AdvertisementsDropped[VrrpDropReason.OwnAdvertisement]);
        Assert.Equal(1, s.AdvertisementsDropped[VrrpDropReason.AuthenticationTypeMismatch]);
        Assert.Equal(1, s.AdvertisementsDropped[VrrpDropReason.AuthenticationFailure]);
        Assert.Equal(1, s.AdvertisementsDropped[VrrpDropReason.InvalidChecksum]);
        Assert.Equal(1, s.AdvertisementsDropped[VrrpDropReason.VersionMismatch]);
        Assert.Equal(1, s.AdvertisementsDropped[VrrpDropReason.CarpAdvertisement]);
        Assert.Equal(1, s.AdvertisementsDropped[VrrpDropReason.TooShort]);
        Assert.Contains("(VI_1) received an invalid passwd from 198.18.0.11!", a.Logs.Messages);
        Assert.Contains("(VI_1) wrong VRRP version from 198.18.0.11. Received 3 and expect 2", a.Logs.Messages);
        Assert.Contains("(VI_1) Invalid VRRP checksum from 198.18.0.11", a.Logs.Messages);
        Assert.Contains("(VI_1) invalid TTL/HL from 198.18.0.11. Received 64 and expect 255", a.Logs.Messages);
    }

    [Fact]
    public async Task AddressListMismatch_IsLoggedAndAccepted_OrDroppedWhenConfigured()
    {
        await using var rig = new HostRig();
        var a = rig.Add("198.18.0.1", 100);
        var b = rig.Add("198.18.0.3", 100, o => { o.InstanceName = "VI_2"; o.DropOnAddressListMismatch = true; });
        await a.Router.StartAsync();
        await b.Router.StartAsync();
        var two = new byte[24];
        VrrpPacket.TryWrite(two, new VrrpAdvertisement(VrrpVersion.V2, 51, 200, 2, 1), Convert.FromHexString("c6120064c6120065"), [], VrrpChecksumMode.MessageOnly, [], [], out _);
        a.Transport.Deliver(two, IPAddress.Parse("198.18.0.11"), IPAddress.Parse("224.0.0.18"), 255);
        b.Transport.Deliver(two, IPAddress.Parse("198.18.0.11"), IPAddress.Parse("224.0.0.18"), 255);
        await rig.SettleAsync();
        Assert.Equal(1, a.Router.GetStatistics().AdvertisementsReceived);
        Assert.Contains("(VI_1) expected 1 VIPs but received 2 from 198.18.0.11 (or a different list)", a.Logs.Messages);
        Assert.Equal(1, b.Router.GetStatistics().AdvertisementsDropped[VrrpDropReason.AddressListMismatch]);
        Assert.Contains("(VI_2) received an unexpected ip number count 2, expected 1!", b.Logs.Messages);
    }

    [Fact]
    public async Task UnicastPeers_GetOneAdvertEach_WithTheV3ChecksumForTheirAddress()
    {
        await using var rig = new HostRig();
        var a = rig.Add("10.99.0.1", 200, o =>
        {
            o.VirtualRouterId = 53;
            o.Version = VrrpVersion.V3;
            o.VirtualAddresses = [new Addresses.VirtualAddress(IPAddress.Parse("10.99.0.53"), 32, "eth0")];
            o.UnicastPeers = [IPAddress.Parse("10.99.0.2"), IPAddress.Parse("10.99.0.3")];
        });
        await a.Router.StartAsync();
        await rig.RunAsync(TimeSpan.FromSeconds(3.3));
        Assert.Equal(VirtualRouterState.Master, a.State);
        var sent = rig.Network.Traffic.Take(2).ToList();
        Assert.Equal([IPAddress.Parse("10.99.0.2"), IPAddress.Parse("10.99.0.3")], sent.Select(m => m.Destination));
        // keepalived's capture for the peer 10.99.0.2: 31 35 c8 01 0064 e687 0a630035.
        Assert.Equal("3135c8010064e6870a630035", Convert.ToHexStringLower(sent[0].Message.Span));
        Assert.NotEqual(sent[0].Message[6..8].ToArray(), sent[1].Message[6..8].ToArray());
    }

    [Fact]
    public async Task V3OverIPv6_ElectsAndAdvertisesToFf02_12()
    {
        await using var rig = new HostRig();
        void V6(VirtualRouterOptions o)
        {
            o.Version = VrrpVersion.V3;
            o.AdvertisementInterval = TimeSpan.FromMilliseconds(100);
            o.VirtualAddresses = [new Addresses.VirtualAddress(IPAddress.Parse("fe80::54"), 64, "eth0"), new Addresses.VirtualAddress(IPAddress.Parse("2001:db8::54"), 128, "eth0")];
        }

        var a = rig.Add("fe80::1", 200, V6);
        var b = rig.Add("fe80::2", 100, V6);
        await a.Router.StartAsync();
        await b.Router.StartAsync();
        await rig.RunAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(VirtualRouterState.Master, a.State);
        Assert.Equal(VirtualRouterState.Backup, b.State);
        Assert.Equal(IPAddress.Parse("ff02::12"), rig.Network.Traffic[0].Destination);
        Assert.Equal(8 + 32, rig.Network.Traffic[0].Message.Length);
        Assert.True(b.Router.GetStatistics().AdvertisementsReceived > 3);
        Assert.Equal(2, a.Binder.Bound.Count);
    }

    [Fact]
    public async Task Metrics_ArePublishedThroughSystemDiagnosticsMetrics()
    {
        var counts = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == VrrpMetricNames.MeterName)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) =>
        {
            // Other tests' routers publish on the same meter name in parallel: count only ours.
            var ours = false;
            foreach (var t in tags)
            {
                ours |= t.Key == VrrpMetricNames.InstanceTag && (string?)t.Value == "VI_metrics";
            }

            if (!ours)
            {
                return;
            }

            lock (counts)
            {
                counts[i.Name] = counts.GetValueOrDefault(i.Name) + v;
            }
        });
        listener.Start();

        await using var rig = new HostRig();
        var a = rig.Add("198.18.0.1", 255, o => { o.InstanceName = "VI_metrics"; o.AnnounceWithAdvertisements = false; });
        await a.Router.StartAsync();
        await rig.RunAsync(TimeSpan.FromSeconds(2));
        lock (counts)
        {
            Assert.True(counts.GetValueOrDefault(VrrpMetricNames.AdvertisementsSent) >= 2);
            Assert.Equal(1, counts.GetValueOrDefault(VrrpMetricNames.Transitions));
            Assert.Equal(5, counts.GetValueOrDefault(VrrpMetricNames.AnnouncementsSent));
        }
    }

    [Fact]
    public async Task Create_WithInvalidOptions_ThrowsWithEveryError()
    {
        await using var network = new InMemoryVrrpNetwork(TimeProvider.System);
        var binder = new InMemoryAddressBinder();
        var ex = Assert.Throws<VrrpConfigurationException>(() => VirtualRouter.Create(
            new VirtualRouterOptions { InstanceName = "VI_1", InterfaceName = "eth0", VirtualRouterId = 0, Priority = 0 },
            network.Attach(IPAddress.Parse("198.18.0.1")), binder, binder));
        Assert.Equal(["virtual_router_id", "priority"], ex.Errors.Select(e => e.Key));
    }

    [Fact]
    public async Task Start_Twice_Throws_Stop_IsIdempotent()
    {
        await using var rig = new HostRig();
        var a = rig.Add("198.18.0.1", 100);
        await a.Router.StartAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => a.Router.StartAsync());
        await a.Router.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await a.Router.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(VirtualRouterState.Initialize, a.State);
    }

    [Fact]
    public async Task CarpAdverts_AreAllCounted_ButLoggedOncePerMinute_WithTheCountLeftUnlogged()
    {
        await using var rig = new HostRig();
        var a = rig.Add("198.18.0.1", 100);
        await a.Router.StartAsync();
        var peer = IPAddress.Parse("198.18.0.11");
        var group = IPAddress.Parse("224.0.0.18");
        var carp = new byte[36];
        carp[0] = 0x21; carp[1] = 51; carp[3] = 7; carp[5] = 1; // ucarp: vhid 51, authlen 7, advbase 1
        for (var i = 0; i < 100; i++)
        {
            a.Transport.Deliver(carp, peer, group, 255);
        }

        await rig.SettleAsync();
        Assert.Equal(100, a.Router.GetStatistics().AdvertisementsDropped[VrrpDropReason.CarpAdvertisement]);
        Assert.Equal(
            ["(VI_1) received a CARP advertisement from 198.18.0.11 (ucarp/CARP share protocol 112) - dropping"],
            a.Logs.Messages.Where(m => m.Contains("CARP", StringComparison.Ordinal)).ToArray());

        rig.Clock.Advance(TimeSpan.FromSeconds(59));
        a.Transport.Deliver(carp, peer, group, 255);
        await rig.SettleAsync();
        Assert.Single(a.Logs.Messages, m => m.Contains("CARP", StringComparison.Ordinal));

        rig.Clock.Advance(TimeSpan.FromSeconds(2));
        a.Transport.Deliver(carp, peer, group, 255);
        await rig.SettleAsync();
        Assert.Equal(102, a.Router.GetStatistics().AdvertisementsDropped[VrrpDropReason.CarpAdvertisement]);
        Assert.Equal(
            "(VI_1) received a CARP advertisement from 198.18.0.11 (ucarp/CARP share protocol 112) - dropping; 100 more dropped without a line in the last 60 s",
            a.Logs.Messages.Where(m => m.Contains("CARP", StringComparison.Ordinal)).Last());
    }
}
