using System.Net;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Vrrp.Tests.Options;

public class VirtualRouterOptionsTests
{
    private static VirtualRouterOptions Valid() => new()
    {
        InstanceName = "VI_1",
        InterfaceName = "eth0",
        VirtualRouterId = 51,
        VirtualAddresses = [new VirtualAddress(IPAddress.Parse("198.18.0.100"), 32, "eth0")],
    };

    [Fact]
    public void Validate_Defaults_AreKeepalivedsAndClean()
    {
        var o = Valid();
        Assert.Empty(o.Validate());
        Assert.Equal(100, o.Priority);
        Assert.Equal(TimeSpan.FromSeconds(1), o.AdvertisementInterval);
        Assert.Equal(VrrpVersion.V2, o.Version);
        Assert.True(o.Preempt);
        Assert.Equal(5, o.GarpMasterRepeat);
        Assert.Equal(TimeSpan.FromSeconds(5), o.GarpMasterDelay);
    }

    [Fact]
    public void Validate_CollectsEveryError_EachNamingItsKey()
    {
        var o = new VirtualRouterOptions
        {
            VirtualRouterId = 0,
            Priority = 256,
            AdvertisementInterval = TimeSpan.Zero,
            AuthenticationType = VrrpAuthenticationType.SimplePassword,
            PreemptDelay = TimeSpan.FromSeconds(2000),
            UnicastPeers = [IPAddress.Parse("fe80::1")],
            VirtualAddresses = [new VirtualAddress(IPAddress.Parse("198.18.0.100"), 32, "eth0")],
            TrackedObjects = [new TrackedObject("chk", 300), new TrackedObject("chk")],
            DownTimerAdverts = 0,
        };
        var keys = o.Validate().Where(i => !i.IsWarning).Select(i => i.Key).ToList();
        Assert.Equal(
            ["vrrp_instance", "interface", "virtual_router_id", "priority", "advert_int", "auth_pass", "preempt_delay", "unicast_peer[0]", "track[chk].weight", "track[chk]", "down_timer_adverts"],
            keys);
        Assert.Contains("vrrp_instance (unnamed): priority: Priority must be 1-255, was 256.", o.Validate().Select(i => i.ToString()));
    }

    [Fact]
    public void Validate_LongPassword_IsTruncatedWithKeepalivedsWarning()
    {
        var o = Valid();
        o.AuthenticationType = VrrpAuthenticationType.SimplePassword;
        o.AuthenticationPassword = "secretpassword";
        var issue = Assert.Single(o.Validate());
        Assert.True(issue.IsWarning);
        Assert.Equal("auth_pass", issue.Key);
        Assert.Contains("Truncating auth_pass to 8 characters", issue.Message);
        var settings = VirtualRouterSettings.Create(o, out _)!;
        Assert.Equal("secretpa"u8.ToArray(), settings.Password);
    }

    [Fact]
    public void Validate_FractionalV2Interval_IsRoundedWithAWarning()
    {
        var o = Valid();
        o.AdvertisementInterval = TimeSpan.FromSeconds(0.5);
        var issue = Assert.Single(o.Validate());
        Assert.Contains("must be an integer. rounding", issue.Message);
        Assert.Equal(1, VirtualRouterSettings.Create(o, out _)!.RawInterval);
    }

    [Fact]
    public void Validate_V3Interval_IsCentiseconds()
    {
        var o = Valid();
        o.Version = VrrpVersion.V3;
        o.AdvertisementInterval = TimeSpan.FromMilliseconds(50);
        Assert.Empty(o.Validate());
        Assert.Equal(5, VirtualRouterSettings.Create(o, out _)!.RawInterval);
    }

    [Fact]
    public void Validate_IPv6WithV2_AndNopreemptOwner_AreErrors()
    {
        var o = Valid();
        o.VirtualAddresses = [new VirtualAddress(IPAddress.Parse("fe80::54"), 64, "eth0")];
        o.Priority = 255;
        o.Preempt = false;
        var keys = o.Validate().Where(i => !i.IsWarning).Select(i => i.Key).ToList();
        Assert.Equal(["version", "nopreempt"], keys);
    }

    [Fact]
    public void CreateOrThrow_ListsEveryError()
    {
        var o = Valid();
        o.VirtualRouterId = 300;
        o.Priority = 0;
        var ex = Assert.Throws<VrrpConfigurationException>(() => VirtualRouterSettings.CreateOrThrow(o, out _));
        Assert.Equal(2, ex.Errors.Count);
        Assert.Contains("virtual_router_id", ex.Message);
        Assert.Contains("priority", ex.Message);
    }
}
