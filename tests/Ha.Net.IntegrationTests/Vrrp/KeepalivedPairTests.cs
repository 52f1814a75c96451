using Ha.Net.Testing.Environment;
using Ha.Net.Vrrp.Linux.Lab;

namespace Ha.Net.IntegrationTests.Vrrp;

/// <summary>
/// An Ha.Net node and a keepalived 2.2.7 node in one virtual router, each in both roles. keepalived's log
/// must show no rejected packet, and exactly one of them holds the VIP whenever things settle.
/// </summary>
[Collection(VrrpLabs.Name)]
public class KeepalivedPairTests
{
    private const string Common = "--vrid 51 --version 3 --advert-int 0.2";

    [RequiresFact("netns", "cmd:keepalived")]
    public async Task HaNet_master_keepalived_backup_failover_preempt_and_handover()
    {
        await using var t = VrrpTopology.Create();
        var ka = t.StartKeepalived(t.B, 3, 100, "0.2");
        var a = t.StartHaNet(t.A, $"{Common} --priority 150");
        await a.WaitFor("MASTER");
        await ka.WaitFor("BACKUP");
        Assert.True(await t.VipOnlyOn(t.A));
        await t.TouchVipFromClient();

        // Crash with the link down: keepalived takes over and the client follows.
        // A crash: the process dies (no priority-0 advert, VIPs left in place), then the machine drops off the link.
        a.Kill9();
        Assert.True(a.Process.WaitForExit(VrrpTopology.Bound));
        t.SetPort(t.A, up: false);
        await ka.WaitFor("MASTER");
        Assert.True(await t.ClientFollows(VrrpTopology.MacB));

        // Back: stale VIP removed, Ha.Net preempts, keepalived yields.
        t.SetPort(t.A, up: true);
        var a2 = t.StartHaNet(t.A, $"{Common} --priority 150");
        await a2.WaitFor("MASTER");
        await ka.WaitFor("BACKUP");
        Assert.True(await t.VipOnlyOn(t.A));
        Assert.True(await t.ClientFollows(VrrpTopology.MacA));

        // Graceful stop: the priority-0 advert hands over at once.
        a2.Terminate();
        await ka.WaitFor("MASTER");
        Assert.True(a2.Process.WaitForExit(VrrpTopology.Bound));
        Assert.True(await t.VipOnlyOn(t.B));
        Assert.Empty(ka.Complaints());
    }

    [RequiresFact("netns", "cmd:keepalived")]
    public async Task Keepalived_master_HaNet_backup_handover_preempt_and_failover()
    {
        await using var t = VrrpTopology.Create();
        var ka = t.StartKeepalived(t.A, 3, 150, "0.2");
        var b = t.StartHaNet(t.B, $"{Common} --priority 100");
        await ka.WaitFor("MASTER");
        await b.WaitFor("BACKUP");
        Assert.True(await t.VipOnlyOn(t.A));
        await t.TouchVipFromClient();

        // keepalived stops (priority 0): Ha.Net takes over.
        ka.Terminate();
        await b.WaitFor("MASTER");
        Assert.True(ka.Process.WaitForExit(VrrpTopology.Bound));
        Assert.True(await t.VipOnlyOn(t.B));
        Assert.True(await t.ClientFollows(VrrpTopology.MacB));

        // keepalived returns and preempts: Ha.Net yields.
        var ka2 = t.StartKeepalived(t.A, 3, 150, "0.2");
        await ka2.WaitFor("MASTER");
        await b.WaitFor("BACKUP");
        Assert.True(await t.VipOnlyOn(t.A));
        Assert.True(await t.ClientFollows(VrrpTopology.MacA));

        // keepalived crashes with its link down: Ha.Net takes over.
        // A crash: the process dies (no priority-0 advert, VIPs left in place), then the machine drops off the link.
        ka2.Kill9();
        Assert.True(ka2.Process.WaitForExit(VrrpTopology.Bound));
        t.SetPort(t.A, up: false);
        await b.WaitFor("MASTER");
        Assert.True(VrrpTopology.HasVip(t.B));
        Assert.True(await t.ClientFollows(VrrpTopology.MacB));
        Assert.Empty(ka.Complaints());
        Assert.Empty(ka2.Complaints());
    }

    [RequiresFact("netns", "cmd:keepalived")]
    public async Task VRRPv2_auth_pass_with_a_long_password_interoperates_both_ways()
    {
        await using var t = VrrpTopology.Create();
        // keepalived truncates "secretpassword" to "secretpa" (it warns); so do we.
        var ka = t.StartKeepalived(t.B, 2, 100, "1", password: "secretpassword");
        var a = t.StartHaNet(t.A, "--vrid 51 --version 2 --advert-int 1 --priority 150 --auth-pass secretpassword");
        await a.WaitFor("MASTER");
        await ka.WaitFor("BACKUP");
        Assert.True(await t.VipOnlyOn(t.A));

        a.Terminate();
        await ka.WaitFor("MASTER");
        Assert.True(await t.VipOnlyOn(t.B));

        var a2 = t.StartHaNet(t.A, "--vrid 51 --version 2 --advert-int 1 --priority 150 --auth-pass secretpassword");
        await a2.WaitFor("MASTER");
        await ka.WaitFor("BACKUP");
        Assert.True(await t.VipOnlyOn(t.A));
        Assert.Empty(ka.Complaints());
        Assert.DoesNotContain("invalid passwd", ka.Log);
    }

    [RequiresFact("netns", "cmd:keepalived")]
    public async Task HaNet_accepts_keepalived_s_pseudo_header_checksum_whatever_form_it_sends()
    {
        // keepalived 2.2.7 only knows the pseudo-header form (v3_checksum_as_v2 came in 2.2.8); an Ha.Net
        // node that sends RFC 9568's message-only form still accepts keepalived's adverts on receive.
        await using var t = VrrpTopology.Create();
        var ka = t.StartKeepalived(t.A, 3, 150, "0.2");
        var b = t.StartHaNet(t.B, $"{Common} --priority 100 --v3-checksum message");
        await ka.WaitFor("MASTER");
        await b.WaitFor("BACKUP");
        var settled = (b.Count("BACKUP"), b.Count("MASTER"));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal("BACKUP", b.State);
        Assert.Equal(settled, (b.Count("BACKUP"), b.Count("MASTER")));
        Assert.True(await t.VipOnlyOn(t.A));
        Assert.Empty(ka.Complaints());
    }

    [RequiresFact("netns", "cmd:keepalived")]
    public async Task Unicast_pair_with_keepalived_elects_fails_over_and_hands_back()
    {
        // VRRPv3 unicast: the pseudo-header checksum covers the peer's address, not 224.0.0.18.
        await using var t = VrrpTopology.Create();
        var ka = t.StartKeepalived(t.B, 3, 100, "0.2", extra: "    unicast_src_ip 198.18.0.12\n    unicast_peer {\n        198.18.0.11\n    }");
        var a = t.StartHaNet(t.A, $"{Common} --priority 150 --unicast-src 198.18.0.11 --unicast-peer 198.18.0.12 --check-unicast-src");
        await a.WaitFor("MASTER");
        await ka.WaitFor("BACKUP");
        Assert.True(await t.VipOnlyOn(t.A));

        a.Terminate();
        await ka.WaitFor("MASTER");
        Assert.True(await t.VipOnlyOn(t.B));

        var a2 = t.StartHaNet(t.A, $"{Common} --priority 150 --unicast-src 198.18.0.11 --unicast-peer 198.18.0.12 --check-unicast-src");
        await a2.WaitFor("MASTER");
        await ka.WaitFor("BACKUP");
        Assert.True(await t.VipOnlyOn(t.A));
        Assert.Empty(ka.Complaints());
    }
}
