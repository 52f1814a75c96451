using System.Net;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Keepalived;

namespace Ha.Net.Vrrp.Tests.Configuration.Keepalived;

/// <summary>Every keepalived.conf of shared/seeds, copied under Data/, read and its values asserted.</summary>
public sealed class KeepalivedSeedTests
{
    private static KeepalivedConfigResult Load(string name) => KeepalivedConfigReader.Load(KeepalivedTestData.PathOf(name));

    [Theory]
    [InlineData("seed000-dc1.keepalived.conf", "dc1server", "10.0.10.3", "keepalive@dc1server.home.local")]
    [InlineData("seed000-dc2.keepalived.conf", "dc2server", "10.0.20.3", "keepalive@dc2server.home.local")]
    public void Seed000_OneLineLayout_IsReadLikeTheMultiLineOriginal(string file, string instanceName, string vip, string from)
    {
        var result = Load(file);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var config = result.Config!;

        // The page lost the newlines: the reader says so, and keepalived's tolerance for the '{' the
        // page also lost after "vrrp_instance NAME" is reported too.
        Assert.Contains(result.Warnings, w => w.Location.Line == 3 && w.Message.Contains("flattened", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Directive == "vrrp_instance" && w.Message.Contains("not followed by '{'", StringComparison.Ordinal));

        var g = config.Global;
        Assert.Equal(["support@example.com"], g.NotificationEmails);
        Assert.Equal(from, g.NotificationEmailFrom);
        Assert.Equal("172.31.101.115", g.SmtpServer);
        Assert.Equal(25, g.SmtpServerPort);
        Assert.Equal(TimeSpan.FromSeconds(20), g.SmtpConnectTimeout);
        Assert.Null(g.RouterId);

        var script = Assert.Single(config.Scripts);
        Assert.Equal("chk_haproxy", script.Name);
        Assert.Equal("systemctl status haproxy", script.Script);
        Assert.Equal(TimeSpan.FromSeconds(2), script.Interval);
        Assert.Equal(TimeSpan.FromSeconds(2), script.Timeout);
        Assert.Equal(2, script.Weight);
        Assert.Equal(1, script.Rise);
        Assert.Equal(1, script.Fall);

        var vi = Assert.Single(config.Instances);
        Assert.Equal(instanceName, vi.Name);
        Assert.Equal(KeepalivedInitialState.Master, vi.State);
        Assert.Equal("eth0", vi.Interface);
        Assert.Equal(50, vi.VirtualRouterId);
        Assert.Equal(101, vi.Priority);
        Assert.True(vi.PriorityExplicit);
        Assert.Equal(TimeSpan.FromSeconds(1), vi.AdvertInterval);
        Assert.Equal(2, vi.Version);
        Assert.True(vi.Preempt);
        Assert.Equal(KeepalivedAuthType.Pass, vi.Authentication!.Type);

        // DC1 writes "SOMEPASSWORD!": '!' starts a comment and keepalived truncates to 8 characters,
        // so both nodes end up with the same password as DC2's "SOMEPASS".
        Assert.Equal("SOMEPASS", vi.Authentication.Password);

        var address = Assert.Single(vi.VirtualIpAddresses);
        Assert.Equal(IPAddress.Parse(vip), address.Address);
        Assert.Equal(32, address.PrefixLength);
        Assert.Equal("eth0", address.Device);
        var track = Assert.Single(vi.TrackScripts);
        Assert.Equal(new KeepalivedTrackScript("chk_haproxy", 20, null, track.Location), track);
        var ti = Assert.Single(vi.TrackInterfaces);
        Assert.Equal("eth0", ti.Interface);
        Assert.Null(ti.Weight);
        Assert.Empty(vi.UnicastPeers);
        Assert.Equal(new KeepalivedGarpSettings(), vi.Garp);

        // Every value keeps its file:line (all on line 3: the provenance comment takes lines 1-2).
        Assert.Equal(3, vi.DirectiveLines["priority"].Line);
        Assert.EndsWith(file, vi.DirectiveLines["priority"].File, StringComparison.Ordinal);
    }

    [Fact]
    public void Seed000_Dc1_TruncatesItsTwelveCharacterPassword_WithKeepalivedsWarning()
    {
        var dc1 = Load("seed000-dc1.keepalived.conf");
        var dc2 = Load("seed000-dc2.keepalived.conf");

        Assert.Contains(dc1.Warnings, w => w.Directive == "auth_pass" && w.Message.StartsWith("Truncating auth_pass to 8 characters", StringComparison.Ordinal));
        Assert.DoesNotContain(dc2.Warnings, w => w.Directive == "auth_pass");
    }

    [Fact]
    public void Seed001_ForumMangledConfig_IsRefusedWithTheUnclosedBlocks()
    {
        // The forum stripped every '}' and anonymised addresses to "###.###.###.###" (a comment), and indented with
        // U+00A0: keepalived 2.2.7 -t says "(Line 5) Unknown keyword '\xc2\xa0'", "Unexpected '{' - ignoring", ...,
        // "There are 5 missing '}'s or extra '{'s" and exits 5.
        var result = Load("seed001.keepalived.conf");

        Assert.False(result.IsValid);
        Assert.Null(result.Config);
        Assert.Contains(result.Errors, e => e.Location.Line == 4 && e.Directive == "global_defs" && e.Message.Contains("not terminated", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Location.Line == 5 && w.Message.StartsWith("unknown directive '<U+00A0>' in global_defs", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Location.Line == 5 && e.Message.Contains("not terminated", StringComparison.Ordinal));
        Assert.Throws<KeepalivedConfigException>(() => result.GetConfigOrThrow());
    }

    [Fact]
    public void Seed002_LabHap01_Verbatim_IsRefused_AsKeepalivedReadsItsNoBreakSpaces()
    {
        // Every indented line of the seed starts with U+00A0 (bytes C2 A0, pasted from a web page), which keepalived
        // 2.2.7 does not split words at. Its -t on this file: "Unknown keyword '\xc2\xa0'" on each such line,
        // "No script set for vrrp_script check_haproxy - removing", "(VI_1) the virtual router id must be set", exit 5.
        var result = Load("seed002.keepalived.conf");

        Assert.False(result.IsValid);
        Assert.Equal(
            [3, 6, 7, 8, 12, 13, 14, 18, 19, 20, 21, 22, 25, 28],
            result.Warnings.Where(w => w.Message.StartsWith("unknown directive '<U+00A0>'", StringComparison.Ordinal)).Select(w => w.Location.Line));
        Assert.Equal(
            [(11, "script"), (17, "interface"), (17, "virtual_router_id")],
            result.Errors.Select(e => (e.Location.Line, e.Directive!)).Order());
    }

    [Fact]
    public void Seed002_LabHap01_WithItsNoBreakSpacesTurnedIntoSpaces()
    {
        // What the author meant: the same file with each U+00A0 replaced by a space (same lines).
        var path = KeepalivedTestData.PathOf("seed002.keepalived.conf");
        var result = KeepalivedConfigReader.Parse(File.ReadAllText(path).Replace('\u00A0', ' '), path);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Empty(result.Warnings);
        var c = result.Config!;
        Assert.Equal(["administrator@digitalbrain.com.au"], c.Global.NotificationEmails);
        Assert.Equal("lab-hap01@digitalbrain.com.au", c.Global.NotificationEmailFrom);
        Assert.Equal("10.30.1.11", c.Global.SmtpServer);
        Assert.Equal(TimeSpan.FromSeconds(30), c.Global.SmtpConnectTimeout);

        var script = Assert.Single(c.Scripts);
        Assert.Equal(("check_haproxy", "killall -0 haproxy", 2), (script.Name, script.Script, script.Weight));
        Assert.Equal(TimeSpan.FromSeconds(2), script.Interval);

        var vi = Assert.Single(c.Instances);
        Assert.Equal(("VI_1", "ens160", 10, 101), (vi.Name, vi.Interface, vi.VirtualRouterId, vi.Priority));
        Assert.Equal(KeepalivedInitialState.Master, vi.State);
        Assert.True(vi.SmtpAlert);
        Assert.Null(vi.Authentication);
        Assert.Equal(TimeSpan.FromSeconds(1), vi.AdvertInterval);
        Assert.Equal(IPAddress.Parse("10.30.1.15"), Assert.Single(vi.VirtualIpAddresses).Address);
        var track = Assert.Single(vi.TrackScripts);
        Assert.Equal("check_haproxy", track.Name);
        Assert.Null(track.Weight);

        // Lines: the provenance comment is line 1, so seed line 86 ("priority 101") is line 21.
        Assert.Equal(21, vi.DirectiveLines["priority"].Line);
        Assert.Equal(20, vi.DirectiveLines["virtual_router_id"].Line);
        Assert.Equal(17, vi.Location.Line);
        Assert.Equal(26, track.Location.Line);
    }

    [Theory]
    [InlineData("seed003-host1.keepalived.conf", 101)]
    [InlineData("seed003-host2.keepalived.conf", 100)]
    public void Seed003_BothHostsStateMaster_PriorityDecides(string file, int priority)
    {
        var result = Load(file);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Empty(result.Warnings);
        var c = result.Config!;
        Assert.Null(c.Global.SmtpServer);
        var script = Assert.Single(c.Scripts);
        Assert.Equal("pkill -0 haproxy", script.Script); // the trailing "# verify the pid existance" is a comment
        Assert.Equal(2, script.Weight);
        var vi = Assert.Single(c.Instances);
        Assert.Equal(KeepalivedInitialState.Master, vi.State);
        Assert.Equal(("eth0", 51, priority), (vi.Interface, vi.VirtualRouterId, vi.Priority));
        Assert.Equal(IPAddress.Parse("10.224.147.208"), Assert.Single(vi.VirtualIpAddresses).Address);
        Assert.Equal("chk_haproxy", Assert.Single(vi.TrackScripts).Name);
    }

    [Theory]
    [InlineData("seed004-master.keepalived.conf", KeepalivedInitialState.Master, 101, false)]
    [InlineData("seed004-backup.keepalived.conf", KeepalivedInitialState.Backup, 100, false)]
    [InlineData("seed004-master-check.keepalived.conf", KeepalivedInitialState.Master, 101, true)]
    [InlineData("seed004-backup-check.keepalived.conf", KeepalivedInitialState.Backup, 100, true)]
    public void Seed004_MasterAndBackup(string file, KeepalivedInitialState state, int priority, bool withCheck)
    {
        var result = Load(file);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Empty(result.Warnings);
        var c = result.Config!;
        Assert.Equal("LVS_DEVEL", c.Global.RouterId);
        Assert.Equal(["admin@example.com"], c.Global.NotificationEmails);
        Assert.Equal("keepalived@example.com", c.Global.NotificationEmailFrom);
        Assert.Equal("10.1.1.100", c.Global.SmtpServer);

        var vi = Assert.Single(c.Instances);
        Assert.Equal(state, vi.State);
        Assert.Equal(("VI_1", "eth0", 51, priority), (vi.Name, vi.Interface, vi.VirtualRouterId, vi.Priority));
        Assert.Equal("1111", vi.Authentication!.Password);
        Assert.Equal(TimeSpan.FromSeconds(1), vi.AdvertInterval);
        var vip = Assert.Single(vi.VirtualIpAddresses);
        Assert.Equal(new VirtualAddress(IPAddress.Parse("10.1.1.30"), 32, "eth0"), vip.ToVirtualAddress(vi.Interface));

        if (withCheck)
        {
            var script = Assert.Single(c.Scripts);
            Assert.Equal(("check_haproxy", "/sbin/service haproxy status", 0, 2, 2), (script.Name, script.Script, script.Weight, script.Rise, script.Fall));
            Assert.Equal("check_haproxy", Assert.Single(vi.TrackScripts).Name);
        }
        else
        {
            Assert.Empty(c.Scripts);
            Assert.Empty(vi.TrackScripts);
        }
    }
}
