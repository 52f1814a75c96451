using Ha.Net.Vrrp.Keepalived;

namespace Ha.Net.Vrrp.Tests.Configuration.Keepalived;

/// <summary>
/// Each finding carries what keepalived 2.2.7's <c>-t</c> makes of it (#15 item 5), and the result the exit code
/// keepalived would give: the highest class met (0, 4 cannot be read, 5 configuration error, 6 script security).
/// Every expectation was checked with keepalived 2.2.7 -t in a network namespace that has eth0.
/// </summary>
public sealed class KeepalivedCheckClassTests
{
    private static string Instance(string extra = "") =>
        $"vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n{extra} virtual_ipaddress {{\n  198.18.0.10\n }}\n}}\n";

    [Theory]
    [InlineData("", 0)] // nothing to say
    [InlineData(" use_vmac\n", 0)] // a keyword keepalived knows (Ha.Net does not run it): no finding for keepalived
    [InlineData(" priority 101 extra\n", 0)] // extra parameters: keepalived ignores them silently
    [InlineData(" state MASTER\n", 0)] // priority 255 derived: silent in keepalived
    [InlineData(" preempt\n", 0)]
    [InlineData(" frobnicate 1\n", 5)] // Unknown keyword 'frobnicate'
    [InlineData(" \u00A0 priority 101\n", 5)] // Unknown keyword '\xc2\xa0'
    [InlineData(" authentication {\n  auth_type PASS\n  auth_pass 123456789\n }\n", 5)] // Truncating auth_pass to 8 characters
    [InlineData(" advert_int 1.5\n", 5)] // VRRPv2 advertisement interval 1.500000s must be an integer. rounding
    [InlineData(" version 3\n advert_int 0.015\n", 5)] // ... must be in units of 10ms - rounding
    [InlineData(" version 3\n authentication {\n  auth_type PASS\n  auth_pass abc\n }\n", 5)] // VRRP version 3 does not support authentication
    [InlineData(" state MASTER\n priority 100\n nopreempt\n", 5)] // nopreempt will not work with initial state MASTER - clearing
    [InlineData(" track_interface {\n  eth1\n  eth1\n }\n", 5)] // duplicate track_interface eth1 - ignoring
    [InlineData(" priority high\n", 5)] // invalid number 'high' (an error to Ha.Net)
    public void Instance_finding_has_keepalived_config_test_class(string extra, int expected)
    {
        var result = KeepalivedConfigReader.Parse(Instance(extra), "/nonexistent-hanet/keepalived.conf");

        Assert.Equal(expected, result.KeepalivedCheckExitCode);
    }

    [Fact]
    public void Configuration_level_findings_have_keepalived_classes()
    {
        static int Code(string text) => KeepalivedConfigReader.Parse(text, "/nonexistent-hanet/keepalived.conf").KeepalivedCheckExitCode;

        Assert.Equal(5, Code("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n}\n")); // No VIP specified; at least one is sensible
        Assert.Equal(5, Code(Instance() + "vrrp_sync_group G {\n group {\n  VI_1\n }\n}\n")); // Sync group G has only 1 virtual router(s)
        Assert.Equal(5, Code(Instance() + Instance().Replace("51", "52", StringComparison.Ordinal))); // vrrp instance VI_1 already defined
        Assert.Equal(0, Code("vrrp_script chk {\n script /bin/true\n}\nvrrp_script chk {\n script /bin/false\n}\n" + Instance(" track_script {\n  chk\n }\n"))); // silent
        Assert.Equal(0, Code("global_defs {\n vrrp_strict\n}\n" + Instance()));
        Assert.Equal(0, Code("include /dev/zero\n" + Instance())); // skipped: logged at CONFIG_OK for a plain include
    }

    [Fact]
    public void A_file_that_cannot_be_read_is_class_4()
    {
        Assert.Equal(4, KeepalivedConfigReader.Load("/dev/zero").KeepalivedCheckExitCode);
        Assert.Equal(4, KeepalivedConfigReader.Load("/nonexistent-hanet/keepalived.conf").KeepalivedCheckExitCode);
    }
}
