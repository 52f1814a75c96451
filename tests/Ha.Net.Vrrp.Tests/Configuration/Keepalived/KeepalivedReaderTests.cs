using Ha.Net.Testing.Files;
using System.Net;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Keepalived;

namespace Ha.Net.Vrrp.Tests.Configuration.Keepalived;

public sealed class KeepalivedReaderTests
{
    private const string Minimal = """
        vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
            virtual_ipaddress {
                198.18.0.10
            }
        }
        """;

    private static KeepalivedConfigResult Parse(string text) => KeepalivedConfigReader.Parse(text, "/nonexistent-hanet/keepalived.conf");

    private static KeepalivedVrrpInstance Instance(string text)
    {
        var result = Parse(text);
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return Assert.Single(result.Config!.Instances);
    }

    private static KeepalivedDiagnostic SingleError(string text)
    {
        var result = Parse(text);
        Assert.Null(result.Config);
        return Assert.Single(result.Errors);
    }

    // ------------------------------------------------------------------ defaults and values

    [Fact]
    public void Defaults_AreKeepalivedsAndExplicit()
    {
        var vi = Instance(Minimal);

        Assert.Equal(KeepalivedInitialState.Backup, vi.State);
        Assert.Equal(100, vi.Priority);
        Assert.False(vi.PriorityExplicit);
        Assert.Equal(TimeSpan.FromSeconds(1), vi.AdvertInterval);
        Assert.Equal(2, vi.Version);
        Assert.True(vi.Preempt);
        Assert.Equal(TimeSpan.Zero, vi.PreemptDelay);
        Assert.Null(vi.Authentication);
        Assert.Equal(5, vi.Garp.MasterRepeat);
        Assert.Equal(TimeSpan.FromSeconds(5), vi.Garp.MasterDelay);
        Assert.Equal(TimeSpan.Zero, vi.Garp.MasterRefresh);
        Assert.Equal(1, vi.Garp.MasterRefreshRepeat);
        Assert.Equal(5, vi.Garp.LowerPriorityRepeat);
        Assert.False(vi.Garp.LowerPriorityNoAdvert);
        Assert.Equal(255, vi.UnicastTtl);
        var vip = Assert.Single(vi.VirtualIpAddresses);
        Assert.Equal(new VirtualAddress(IPAddress.Parse("198.18.0.10"), 32, "eth0"), vip.ToVirtualAddress(vi.Interface));
    }

    [Fact]
    public void StateMasterWithoutPriority_DerivesTheOwnerPriority_AndSaysSo()
    {
        var result = Parse(Minimal.Replace("interface eth0", "interface eth0\n state MASTER", StringComparison.Ordinal));

        var vi = Assert.Single(result.Config!.Instances);
        Assert.Equal(255, vi.Priority);
        Assert.Contains(result.Warnings, w => w.Directive == "priority" && w.Message.Contains("255", StringComparison.Ordinal));
    }

    [Fact]
    public void Priority255WithoutState_StartsAsMaster_LikeKeepalived()
    {
        var vi = Instance(Minimal.Replace("interface eth0", "interface eth0\n priority 255", StringComparison.Ordinal));

        Assert.Equal(KeepalivedInitialState.Master, vi.State);
    }

    [Fact]
    public void NoVirtualAddress_IsAWarningInVersion2_AndAnErrorInVersion3()
    {
        const string NoVip = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n}\n";

        var v2 = Parse(NoVip);
        Assert.True(v2.IsValid);
        Assert.Contains(v2.Warnings, w => w.Directive == "virtual_ipaddress" && w.Message.Contains("sensible", StringComparison.Ordinal));

        var error = SingleError(NoVip.Replace("interface eth0", "interface eth0\n version 3", StringComparison.Ordinal));
        Assert.Equal(("virtual_ipaddress", 1), (error.Directive, error.Location.Line));
    }

    [Fact]
    public void EveryInstanceDirective_IsRead()
    {
        var result = Parse("""
            global_defs {
                router_id lb1
                notification_email {
                    ops@example.com
                    noc@example.com
                }
                notification_email_from lb1@example.com
                smtp_server 127.0.0.1 2525
                smtp_connect_timeout 7
                enable_script_security
                script_user nobody nogroup
                vrrp_garp_master_repeat 3
                vrrp_garp_master_delay 2
                vrrp_lower_prio_no_advert
            }
            vrrp_script chk {
                script "/usr/bin/test -e /run/ok"
                interval 0.5
                timeout 3
                weight -20 reverse
                rise 3
                fall 4
                user nobody
                init_fail
            }
            vrrp_instance VI_6 {
                state BACKUP
                interface eth1
                virtual_router_id 7
                priority 150
                advert_int 0.25
                version 3
                nopreempt
                virtual_ipaddress {
                    198.18.1.1/24 brd 198.18.1.255 dev eth2 scope link label eth2:vip
                    198.18.1.2
                }
                virtual_ipaddress_excluded {
                    2001:db8::1/64
                }
                track_script {
                    chk weight 30 noreverse
                }
                track_interface {
                    eth3 weight -10
                    eth4
                }
                unicast_src_ip 198.18.1.10
                unicast_peer {
                    198.18.1.11
                    198.18.1.12 min_ttl 2 max_ttl 3
                }
                notify "/etc/keepalived/notify.sh any"
                notify_master "/etc/keepalived/master.sh a b"
                notify_backup /etc/keepalived/backup.sh
                notify_fault "/etc/keepalived/fault.sh" root root
                notify_stop /etc/keepalived/stop.sh
                smtp_alert
                garp_master_delay 10
                garp_master_refresh 60
                garp_master_refresh_repeat 2
                garp_lower_prio_repeat 1
                higher_prio_send_advert
            }
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var c = result.Config!;
        var g = c.Global;
        Assert.Equal("lb1", g.RouterId);
        Assert.Equal(["ops@example.com", "noc@example.com"], g.NotificationEmails);
        Assert.Equal(("127.0.0.1", 2525), (g.SmtpServer, g.SmtpServerPort));
        Assert.Equal(TimeSpan.FromSeconds(7), g.SmtpConnectTimeout);
        Assert.True(g.EnableScriptSecurity);
        Assert.Equal(("nobody", "nogroup"), (g.ScriptUser, g.ScriptGroup));
        Assert.Equal(3, g.Garp.MasterRepeat);

        var s = Assert.Single(c.Scripts);
        Assert.Equal("/usr/bin/test -e /run/ok", s.Script);
        Assert.Equal(TimeSpan.FromMilliseconds(500), s.Interval);
        Assert.Equal(TimeSpan.FromSeconds(3), s.Timeout);
        Assert.Equal((-20, true, 3, 4, "nobody", true), (s.Weight, s.WeightReverse, s.Rise, s.Fall, s.User, s.InitFail));

        var vi = Assert.Single(c.Instances);
        Assert.Equal((150, 3, false), (vi.Priority, vi.Version, vi.Preempt));
        Assert.Equal(TimeSpan.FromMilliseconds(250), vi.AdvertInterval);
        Assert.Equal(2, vi.VirtualIpAddresses.Count);
        var vip = vi.VirtualIpAddresses[0];
        Assert.Equal(
            new VirtualAddress(IPAddress.Parse("198.18.1.1"), 24, "eth2") { Broadcast = IPAddress.Parse("198.18.1.255"), Scope = AddressScope.Link, Label = "eth2:vip" },
            vip.ToVirtualAddress(vi.Interface));
        Assert.Equal("eth1", vi.VirtualIpAddresses[1].ToVirtualAddress(vi.Interface).InterfaceName);
        Assert.Equal(64, Assert.Single(vi.ExcludedVirtualIpAddresses).PrefixLength);
        var track = Assert.Single(vi.TrackScripts);
        Assert.Equal((30, (bool?)false), (track.Weight, track.Reverse));
        Assert.Equal([("eth3", (int?)-10), ("eth4", null)], vi.TrackInterfaces.Select(t => (t.Interface, t.Weight)));
        Assert.Equal(IPAddress.Parse("198.18.1.10"), vi.UnicastSourceIp);
        Assert.Equal(2, vi.UnicastPeers.Count);
        Assert.Equal((2, 3), (vi.UnicastPeers[1].MinTtl!.Value, vi.UnicastPeers[1].MaxTtl!.Value));
        Assert.Equal("/etc/keepalived/notify.sh any", vi.Notify!.Command);
        Assert.Equal("/etc/keepalived/master.sh a b", vi.NotifyMaster!.Command);
        Assert.Equal("/etc/keepalived/backup.sh", vi.NotifyBackup!.Command);
        Assert.Equal(("/etc/keepalived/fault.sh", "root", "root"), (vi.NotifyFault!.Command, vi.NotifyFault.User, vi.NotifyFault.Group));
        Assert.Equal("/etc/keepalived/stop.sh", vi.NotifyStop!.Command);
        Assert.True(vi.SmtpAlert);

        // Instance garp_* override the global vrrp_garp_*; the others inherit them.
        Assert.Equal(TimeSpan.FromSeconds(10), vi.Garp.MasterDelay);
        Assert.Equal(3, vi.Garp.MasterRepeat);
        Assert.Equal(TimeSpan.FromSeconds(60), vi.Garp.MasterRefresh);
        Assert.Equal(2, vi.Garp.MasterRefreshRepeat);
        Assert.Equal(1, vi.Garp.LowerPriorityRepeat);
        Assert.Equal(TimeSpan.FromSeconds(10), vi.Garp.LowerPriorityDelay);
        Assert.True(vi.Garp.LowerPriorityNoAdvert);
        Assert.True(vi.Garp.HigherPrioritySendAdvert);

        // Every directive keeps its line.
        Assert.Equal(30, vi.DirectiveLines["priority"].Line);
        Assert.Equal("/nonexistent-hanet/keepalived.conf", vi.DirectiveLines["priority"].File);
        Assert.Equal(42, track.Location.Line);
    }

    [Fact]
    public void SyncGroup_LinksItsMembers()
    {
        var result = Parse($$"""
            {{Minimal}}
            vrrp_instance VI_2 {
                interface eth0
                virtual_router_id 52
                virtual_ipaddress {
                    198.18.0.11
                }
            }
            vrrp_sync_group G1 {
                group {
                    VI_1 VI_2
                }
                notify_master "/bin/true master"
                smtp_alert
            }
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var group = Assert.Single(result.Config!.SyncGroups);
        Assert.Equal(["VI_1", "VI_2"], group.Instances);
        Assert.Equal("/bin/true master", group.NotifyMaster!.Command);
        Assert.True(group.SmtpAlert);
        Assert.All(result.Config.Instances, i => Assert.Equal("G1", i.SyncGroup));
    }

    [Fact]
    public void Version3_AcceptsCentisecondAdvertInt_Version2_RoundsWithAWarning()
    {
        var v3 = Instance(Minimal.Replace("interface eth0", "interface eth0\n version 3\n advert_int 0.1", StringComparison.Ordinal));
        Assert.Equal(TimeSpan.FromMilliseconds(100), v3.AdvertInterval);

        var result = Parse(Minimal.Replace("interface eth0", "interface eth0\n advert_int 1.6", StringComparison.Ordinal));
        Assert.Equal(TimeSpan.FromSeconds(2), result.Config!.Instances[0].AdvertInterval);
        Assert.Contains(result.Warnings, w => w.Directive == "advert_int" && w.Location.Line == 3);
    }

    [Fact]
    public void Ipv6Addresses_ForceVersion3()
    {
        var result = Parse(Minimal.Replace("198.18.0.10", "2001:db8::10", StringComparison.Ordinal));

        var vi = Assert.Single(result.Config!.Instances);
        Assert.Equal(3, vi.Version);
        Assert.Equal(128, vi.VirtualIpAddresses[0].PrefixLength);
        Assert.Contains(result.Warnings, w => w.Directive == "version");
    }

    [Fact]
    public void Nopreempt_WithStateMaster_IsClearedLikeKeepalived()
    {
        var backup = Instance(Minimal.Replace("interface eth0", "interface eth0\n nopreempt", StringComparison.Ordinal));
        Assert.False(backup.Preempt);

        var result = Parse(Minimal.Replace("interface eth0", "interface eth0\n state MASTER\n priority 150\n nopreempt", StringComparison.Ordinal));
        Assert.True(result.Config!.Instances[0].Preempt);
        Assert.Contains(result.Warnings, w => w.Directive == "nopreempt" && w.Message.Contains("clearing", StringComparison.Ordinal));
    }

    [Fact]
    public void CommentsAndQuotes_FollowKeepalivedsLexicalRules()
    {
        var vi = Instance("""
            ! a comment
            # another
            vrrp_instance VI_1 {   # trailing comment
                interface eth0!comment glued to a word
                virtual_router_id 51
                authentication {
                    auth_type PASS
                    auth_pass ab\!cd#ef
                }
                notify_master "/bin/echo # not a comment"
                virtual_ipaddress {
                    198.18.0.10
                }
            }
            """);

        Assert.Equal("eth0", vi.Interface);
        Assert.Equal("ab!cd", vi.Authentication!.Password);
        Assert.Equal("/bin/echo # not a comment", vi.NotifyMaster!.Command);
    }

    [Fact]
    public void BlockBraces_OnTheSameLine_TheNextLine_OrAroundOneLine_AreAllAccepted()
    {
        var result = Parse("""
            vrrp_script chk { script "/bin/true" }
            vrrp_instance VI_1
            {
                interface eth0
                virtual_router_id 51
                track_script { chk weight 5 }
                virtual_ipaddress
                {
                    198.18.0.10/24 dev eth1
                }
            }
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Empty(result.Warnings);
        var vi = Assert.Single(result.Config!.Instances);
        Assert.Equal(5, Assert.Single(vi.TrackScripts).Weight);
        Assert.Equal("/bin/true", Assert.Single(result.Config.Scripts).Script);
        Assert.Equal(("eth1", 24), (vi.VirtualIpAddresses[0].Device, vi.VirtualIpAddresses[0].PrefixLength));
    }

    [Fact]
    public void OneLineLayout_SplitsStatementsAndEntries_AtKnownKeywords()
    {
        var result = Parse(
            "# flattened layout global_defs { router_id lb1 # the id notification_email { a@example.com b@example.com } } "
            + "vrrp_script chk { script \"/bin/true\" interval 3 # every 3 s weight -5 } "
            + "vrrp_instance VI_9 { state BACKUP interface eth0 virtual_router_id 9 priority 90 # ours nopreempt "
            + "virtual_ipaddress { 198.18.0.1/24 dev eth1 label eth1:a 198.18.0.2 } track_script { chk weight 7 } "
            + "unicast_peer { 198.18.0.3 198.18.0.4 min_ttl 1 } }");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var c = result.Config!;
        Assert.Equal("lb1", c.Global.RouterId);
        Assert.Equal(["a@example.com", "b@example.com"], c.Global.NotificationEmails);
        Assert.Equal((TimeSpan.FromSeconds(3), -5), (c.Scripts[0].Interval, c.Scripts[0].Weight));
        var vi = Assert.Single(c.Instances);
        Assert.Equal((9, 90, false), (vi.VirtualRouterId, vi.Priority, vi.Preempt));
        Assert.Equal(["198.18.0.1", "198.18.0.2"], vi.VirtualIpAddresses.Select(v => v.Address.ToString()));
        Assert.Equal(("eth1", "eth1:a"), (vi.VirtualIpAddresses[0].Device, vi.VirtualIpAddresses[0].Label));
        Assert.Equal(7, Assert.Single(vi.TrackScripts).Weight);
        Assert.Equal(2, vi.UnicastPeers.Count);
        Assert.Equal(1, vi.UnicastPeers[1].MinTtl);
    }

    // ------------------------------------------------------------------ include

    [Fact]
    public void Include_ExpandsGlobsRelativeToTheIncludingFile_AndKeepsTheirLines()
    {
        using var dir = new TempDir();
        dir.Write("conf.d/20-vi2.conf", "vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress {\n 198.18.0.2\n }\n}\n");
        dir.Write("conf.d/10-vi1.conf", "include ../scripts/chk.conf\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n track_script {\n chk\n }\n unknown_thing 1\n virtual_ipaddress {\n 198.18.0.1\n }\n}\n");
        dir.Write("conf.d/README", "not a config");
        dir.Write("scripts/chk.conf", "vrrp_script chk {\n script /bin/true\n}\n");
        var main = dir.Write("keepalived.conf", "global_defs {\n router_id x\n}\ninclude conf.d/*.conf\n");

        var result = KeepalivedConfigReader.Load(main);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var c = result.Config!;
        Assert.Equal(["VI_1", "VI_2"], c.Instances.Select(i => i.Name));
        Assert.Equal("chk", Assert.Single(c.Scripts).Name);
        Assert.Equal(
            ["keepalived.conf", "10-vi1.conf", "20-vi2.conf", "chk.conf"],
            c.Files.Select(Path.GetFileName));
        var warning = Assert.Single(result.Warnings);
        Assert.EndsWith("10-vi1.conf", warning.Location.File, StringComparison.Ordinal);
        Assert.Equal(8, warning.Location.Line);
        Assert.Equal(3, c.Instances[1].DirectiveLines["virtual_router_id"].Line);
        Assert.EndsWith("20-vi2.conf", c.Instances[1].DirectiveLines["virtual_router_id"].File, StringComparison.Ordinal);
    }

    [Fact]
    public void Include_OfAMissingFile_IsAnError_AnEmptyGlobAWarning()
    {
        using var dir = new TempDir();
        var main = dir.Write("keepalived.conf", "include nothere.conf\ninclude none/*.conf\n" + Minimal);

        var result = KeepalivedConfigReader.Load(main);

        var error = Assert.Single(result.Errors);
        Assert.Equal(("include", 1), (error.Directive, error.Location.Line));
        Assert.Contains(result.Warnings, w => w.Directive == "include" && w.Location.Line == 2);
    }

    [Fact]
    public void Include_Loop_IsStoppedWithAnError()
    {
        using var dir = new TempDir();
        var main = dir.Write("keepalived.conf", "include keepalived.conf\n");

        var result = KeepalivedConfigReader.Load(main);

        Assert.Contains(result.Errors, e => e.Directive == "include" && e.Location.Line == 1 && e.Message.Contains("include loop", StringComparison.Ordinal));
    }

    // ------------------------------------------------------------------ warnings

    [Fact]
    public void UnknownAndUnsupportedDirectives_Warn_WithFileAndLine_AndTheirBlocksAreSkipped()
    {
        var result = Parse("""
            frobnicate 1
            virtual_server 198.18.0.1 80 {
                real_server 198.18.0.2 80 {
                    weight 1
                }
            }
            vrrp_instance VI_1 {
                interface eth0
                use_vmac
                virtual_router_id 51
                bogus_option yes
                virtual_ipaddress {
                    198.18.0.10
                }
            }
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(
            [(1, "frobnicate", "unknown"), (2, "virtual_server", "does not support"), (9, "use_vmac", "does not support"), (11, "bogus_option", "unknown")],
            result.Warnings.Select(w => (w.Location.Line, w.Directive!, w.Message.Contains("unknown", StringComparison.Ordinal) ? "unknown" : "does not support")));
        Assert.Equal(51, result.Config!.Instances[0].VirtualRouterId);
    }

    [Fact]
    public void UnquotedNotifyArguments_WarnThatKeepalivedTakesThemAsTheUser()
    {
        var result = Parse(Minimal.Replace("interface eth0", "interface eth0\n notify_master /etc/keepalived/master.sh arg", StringComparison.Ordinal));

        var vi = result.Config!.Instances[0];
        Assert.Equal(("/etc/keepalived/master.sh", "arg"), (vi.NotifyMaster!.Command, vi.NotifyMaster.User));
        Assert.Contains(result.Warnings, w => w.Directive == "notify_master" && w.Location.Line == 3);
    }

    // ------------------------------------------------------------------ errors: one per class

    [Theory]
    [InlineData("priority high", "priority", "'priority' must be an integer between 1 and 255, got 'high'")]
    [InlineData("priority 0", "priority", "got '0'")]
    [InlineData("priority 256", "priority", "got '256'")]
    [InlineData("advert_int 0", "advert_int", "'advert_int' must be a number of seconds")]
    [InlineData("preempt_delay 2000", "preempt_delay", "'preempt_delay'")]
    [InlineData("state PRIMARY", "state", "'state' must be MASTER or BACKUP")]
    [InlineData("unicast_src_ip 10.0.0.300", "unicast_src_ip", "not a valid IP address")]
    [InlineData("version 4", "version", "'version'")]
    [InlineData("interface a-very-long-interface-name", "interface", "15-character")]
    public void InvalidValue_IsRefused_NamingTheDirectiveAndLine(string line, string directive, string message)
    {
        var error = SingleError(Minimal.Replace("interface eth0", "interface eth0\n" + line, StringComparison.Ordinal));

        Assert.Equal(directive, error.Directive);
        Assert.Equal(3, error.Location.Line);
        Assert.Equal("/nonexistent-hanet/keepalived.conf", error.Location.File);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("/nonexistent-hanet/keepalived.conf:3: error: ", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("256")]
    [InlineData("fifty")]
    public void VirtualRouterIdOutsideOneTo255_IsRefused(string vrid)
    {
        var error = SingleError(Minimal.Replace("virtual_router_id 51", "virtual_router_id " + vrid, StringComparison.Ordinal));

        Assert.Equal(("virtual_router_id", 3), (error.Directive, error.Location.Line));
    }

    [Theory]
    [InlineData("198.18.0.300", "not a valid IP address")]
    [InlineData("198.18.0.10/33", "prefix '/33'")]
    [InlineData("198.18.0.10 dev", "needs a value")]
    [InlineData("198.18.0.10 scope galaxy", "unknown scope")]
    [InlineData("198.18.0.10 colour blue", "unknown option 'colour'")]
    public void BadVirtualAddress_IsRefused(string entry, string message)
    {
        var error = SingleError(Minimal.Replace("198.18.0.10", entry, StringComparison.Ordinal));

        Assert.Equal(("virtual_ipaddress", 5), (error.Directive, error.Location.Line));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MixedAddressFamilies_AreRefused()
    {
        var error = SingleError(Minimal.Replace("198.18.0.10", "198.18.0.10\n 2001:db8::1", StringComparison.Ordinal));

        Assert.Equal("virtual_ipaddress", error.Directive);
        Assert.Contains("mixes IPv4 and IPv6", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownAuthType_IsRefused()
    {
        var error = SingleError(Minimal.Replace("interface eth0", "interface eth0\n authentication {\n auth_type SHA\n auth_pass x\n }", StringComparison.Ordinal));

        Assert.Equal(("auth_type", 4), (error.Directive, error.Location.Line));
        Assert.Contains("PASS or AH", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingInterfaceAndVrid_AreBothReported_AtTheInstance()
    {
        var result = Parse("vrrp_instance VI_1 {\n priority 100\n}\n");

        Assert.Equal(
            [("interface", 1), ("virtual_router_id", 1)],
            result.Errors.Select(e => (e.Directive!, e.Location.Line)));
    }

    [Fact]
    public void UnterminatedBlock_IsRefused_AtItsOpeningLine()
    {
        var result = Parse("global_defs {\n router_id x\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 5\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal(("vrrp_instance", 4), (error.Directive, error.Location.Line));
        Assert.Contains("not terminated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExtraClosingBrace_IsRefused()
    {
        var error = SingleError(Minimal + "\n}\n");

        Assert.Equal(8, error.Location.Line);
        Assert.Contains("extra '}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnterminatedQuote_IsRefused()
    {
        var error = SingleError("vrrp_script chk {\n script \"/bin/true\n}\n" + Minimal);

        Assert.Equal(2, error.Location.Line);
        Assert.Contains("unterminated quoted string", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownTrackScript_IsRefused()
    {
        var error = SingleError(Minimal.Replace("interface eth0", "interface eth0\n track_script {\n chk_missing weight 10\n }", StringComparison.Ordinal));

        Assert.Equal(("track_script", 4), (error.Directive, error.Location.Line));
        Assert.Contains("'chk_missing'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrackWeightOutOfRange_IsRefused()
    {
        var error = SingleError("vrrp_script chk {\n script /bin/true\n weight 300\n}\n" + Minimal);

        Assert.Equal(("weight", 3), (error.Directive, error.Location.Line));
    }

    [Fact]
    public void SameVridTwiceOnOneInterface_IsRefused()
    {
        var error = SingleError(Minimal + "\n" + Minimal.Replace("VI_1", "VI_2", StringComparison.Ordinal));

        Assert.Equal(("virtual_router_id", 10), (error.Directive, error.Location.Line));
        Assert.Contains("already used on interface eth0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SyncGroupWithAnUnknownMember_IsRefused()
    {
        var error = SingleError(Minimal + "\nvrrp_sync_group G {\n group {\n VI_1 VI_404\n }\n}\n");

        Assert.Equal(("group", 9), (error.Directive, error.Location.Line));
        Assert.Contains("VI_404", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AllErrors_AreCollectedTogether_AndTheExceptionListsThem()
    {
        var result = Parse("""
            vrrp_instance VI_1 {
                interface eth0
                virtual_router_id 300
                priority abc
                authentication {
                    auth_type NONE
                }
                virtual_ipaddress {
                    999.1.1.1
                }
            }
            """);

        Assert.Equal([3, 4, 6, 9], result.Errors.Select(e => e.Location.Line).Order());
        var ex = Assert.Throws<KeepalivedConfigException>(() => result.GetConfigOrThrow());
        Assert.Equal(4, ex.Errors.Count);
        Assert.Contains("keepalived.conf:4: error: 'priority'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFile_IsAnError_NotAnException()
    {
        var result = KeepalivedConfigReader.Load("/nonexistent-hanet/keepalived.conf");

        var error = Assert.Single(result.Errors);
        Assert.Equal(0, error.Location.Line);
    }
}
