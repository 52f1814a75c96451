using System.Net;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Keepalived;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Vrrp.Tests.Configuration.Keepalived;

public sealed class KeepalivedMapperTests
{
    private static KeepalivedConfig Read(string text) => KeepalivedConfigReader.Parse(text, "/nonexistent-hanet/keepalived.conf").GetConfigOrThrow();

    [Fact]
    public void Seed000_MapsToEngineOptions_TheEngineAccepts()
    {
        var config = KeepalivedConfigReader.LoadOrThrow(KeepalivedTestData.PathOf("seed000-dc1.keepalived.conf"));

        var mapping = KeepalivedConfigMapper.ToVirtualRouterOptions(config);

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        var router = Assert.Single(mapping.Routers);
        var o = router.Options;
        Assert.DoesNotContain(o.Validate(), i => !i.IsWarning);
        Assert.Equal(("dc1server", "eth0", 50, 101), (o.InstanceName, o.InterfaceName, o.VirtualRouterId, o.Priority));
        Assert.Equal((VrrpVersion.V2, TimeSpan.FromSeconds(1), true), (o.Version, o.AdvertisementInterval, o.Preempt));
        Assert.Equal((VrrpAuthenticationType.SimplePassword, "SOMEPASS"), (o.AuthenticationType, o.AuthenticationPassword));
        Assert.Equal([new VirtualAddress(IPAddress.Parse("10.0.10.3"), 32, "eth0")], o.VirtualAddresses);
        Assert.Null(o.MulticastGroup);
        Assert.Empty(o.UnicastPeers);

        // track_script weight 20 overrides the script's 2; track_interface without weight means FAULT (0).
        Assert.Equal([new TrackedObject("chk_haproxy", 20), new TrackedObject("eth0", 0)], o.TrackedObjects);
        Assert.Equal("systemctl status haproxy", router.TrackedScripts["chk_haproxy"].Script);
        Assert.Equal((TimeSpan.FromSeconds(5), 5), (o.GarpMasterDelay, o.GarpMasterRepeat));
    }

    [Theory]
    [InlineData("seed002.keepalived.conf", "check_haproxy", 2)]
    [InlineData("seed003-host2.keepalived.conf", "chk_haproxy", 2)]
    [InlineData("seed004-backup-check.keepalived.conf", "check_haproxy", 0)]
    public void OtherSeeds_MapAndValidate(string file, string script, int weight)
    {
        // Seed 002's U+00A0 indentation is no white space to keepalived (KeepalivedSeedTests): map what its author meant.
        var path = KeepalivedTestData.PathOf(file);
        var config = KeepalivedConfigReader.Parse(File.ReadAllText(path).Replace('\u00A0', ' '), path).GetConfigOrThrow();

        var mapping = KeepalivedConfigMapper.ToVirtualRouterOptions(config);

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        Assert.Equal([new TrackedObject(script, weight)], mapping.Routers.Single().Options.TrackedObjects);
    }

    [Fact]
    public void UnicastGarpMulticastAndReverseTracking_AreCarriedOver()
    {
        var config = Read("""
            global_defs {
                vrrp_mcast_group4 224.0.0.19
                vrrp_garp_master_refresh 30
            }
            vrrp_script chk {
                script /bin/true
                weight -10 reverse
                init_fail
            }
            vrrp_instance VI_1 {
                interface eth0
                virtual_router_id 9
                priority 120
                advert_int 3
                preempt_delay 4
                unicast_src_ip 198.18.0.1
                unicast_peer {
                    198.18.0.2
                }
                track_script {
                    chk
                }
                track_interface {
                    eth1 weight -5 reverse
                }
                garp_master_repeat 2
                lower_prio_no_advert
                virtual_ipaddress {
                    198.18.0.10/24 dev eth2
                }
                virtual_ipaddress_excluded {
                    198.18.1.10
                }
            }
            """);

        var mapping = KeepalivedConfigMapper.ToVirtualRouterOptions(config);

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        var o = mapping.Routers.Single().Options;
        Assert.Equal(IPAddress.Parse("224.0.0.19"), o.MulticastGroup);
        Assert.Equal((IPAddress.Parse("198.18.0.1"), IPAddress.Parse("198.18.0.2")), (o.SourceAddress, Assert.Single(o.UnicastPeers)));
        Assert.Equal((TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(4), 120), (o.AdvertisementInterval, o.PreemptDelay, o.Priority));
        Assert.Equal((2, TimeSpan.FromSeconds(30), true), (o.GarpMasterRepeat, o.GarpMasterRefresh, o.LowerPriorityNoAdvert));
        Assert.Equal(
            [new TrackedObject("chk", -10) { Reverse = true, InitiallyUp = false }, new TrackedObject("eth1", -5) { Reverse = true }],
            o.TrackedObjects);
        Assert.Equal("eth2", o.VirtualAddresses[0].InterfaceName);
        Assert.Equal(new VirtualAddress(IPAddress.Parse("198.18.1.10"), 32, "eth0"), Assert.Single(o.ExcludedVirtualAddresses));
    }

    [Fact]
    public void SyncGroupMembers_TrackWithWeightZero_AsKeepalivedForcesIt()
    {
        var config = Read("""
            vrrp_script chk {
                script /bin/true
                weight 50
            }
            vrrp_instance A {
                interface eth0
                virtual_router_id 1
                track_script {
                    chk
                }
                virtual_ipaddress {
                    198.18.0.1
                }
            }
            vrrp_instance B {
                interface eth0
                virtual_router_id 2
                virtual_ipaddress {
                    198.18.0.2
                }
            }
            vrrp_sync_group G {
                group {
                    A B
                }
            }
            """);

        var mapping = KeepalivedConfigMapper.ToVirtualRouterOptions(config);

        Assert.Equal(new TrackedObject("chk", 0), Assert.Single(mapping.Routers[0].Options.TrackedObjects));
    }

    [Fact]
    public void WhatTheEngineRefuses_IsReportedAtTheDirectiveLine()
    {
        var config = Read("""
            vrrp_instance VI_1 {
                interface eth0
                virtual_router_id 51
                authentication {
                    auth_type AH
                }
                virtual_ipaddress {
                    198.18.0.10
                }
            }
            """);

        var mapping = KeepalivedConfigMapper.ToVirtualRouterOptions(config);

        Assert.False(mapping.IsValid);
        var error = Assert.Single(mapping.Errors);
        Assert.Equal(("auth_type", 5), (error.Directive, error.Location.Line));
        Assert.StartsWith("vrrp_instance 'VI_1': ", error.Message, StringComparison.Ordinal);
    }
}
