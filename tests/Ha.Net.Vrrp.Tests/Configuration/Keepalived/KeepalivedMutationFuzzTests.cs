using Ha.Net.Testing.Files;
using Ha.Net.Vrrp.Keepalived;
using Xunit.Abstractions;

namespace Ha.Net.Vrrp.Tests.Configuration.Keepalived;

/// <summary>
/// #15 "never crash on input": mutants of every keepalived.conf the seeds and the tests hold go
/// through the reader (with includes resolved beside the file, one of them including itself) and
/// the mapper with the engine's validation, as a reload does. Any exception, or an input slower
/// than the bound, fails the run and prints the input and the seed to replay it
/// (<c>HANET_FUZZ_SEED</c>).
/// </summary>
public sealed class KeepalivedMutationFuzzTests(ITestOutputHelper output)
{
    /// <summary>Mutants per CI run through this reader (the haproxy.cfg reader runs as many).</summary>
    private const int Mutants = 60_000;

    private static readonly string[] Keywords =
    [
        "global_defs", "vrrp_instance", "vrrp_script", "vrrp_sync_group", "virtual_server", "track_file", "include",
        "include part.conf", "include keepalived.conf", "include *.conf", "include /dev/zero", "include missing.conf",
        "state", "MASTER", "BACKUP", "FAULT", "interface", "eth0", "lo", "virtual_router_id", "priority", "advert_int",
        "0.01", "0.1", "1", "255", "256", "nopreempt", "preempt_delay", "garp_master_delay", "garp_master_repeat",
        "garp_master_refresh", "authentication", "auth_type", "PASS", "AH", "auth_pass", "virtual_ipaddress",
        "virtual_ipaddress_excluded", "virtual_routes", "198.18.0.100/24", "198.18.0.100", "dev", "label", "brd",
        "scope", "global", "track_script", "track_interface", "weight", "-20", "+10", "reverse", "script", "interval",
        "timeout", "fall", "rise", "user", "init_fail", "notify", "notify_master", "notify_backup", "notify_fault",
        "notify_stop", "smtp_alert", "unicast_src_ip", "unicast_peer", "unicast_ttl", "vrrp_version", "2", "3",
        "native_ipv6", "use_vmac", "vmac_xmit_base", "dont_track_primary", "router_id", "notification_email",
        "notification_email_from", "smtp_server", "smtp_connect_timeout", "enable_script_security", "script_user",
        "vrrp_garp_master_delay", "vrrp_strict", "vrrp_skip_check_adv_addr", "max_auto_priority", "lvs_sync_daemon",
        "{", "}", "!", "#", "\"", "/usr/bin/killall -0 haproxy", "\"killall -0 haproxy\"", "group", "VI_1", "VG_1",
        "chk_haproxy", "fe80::1", "2001:db8::1/64",
    ];

    [Fact]
    public void Mutants_OfEveryKnownConfig_NeverThrow_AndLoadInBoundedTime()
    {
        using var dir = new TempDir();
        var fileName = Path.Combine(dir.Path, "keepalived.conf");
        File.WriteAllText(fileName, "include keepalived.conf\n"); // a self-include for the mutants' include lines
        File.WriteAllText(Path.Combine(dir.Path, "part.conf"), "vrrp_script chk { script \"/bin/true\"\n interval 2 }\n");
        var corpus = Directory.GetFiles(KeepalivedTestData.Directory, "*.conf").Select(File.ReadAllText).ToList();
        var mutator = new ConfigMutator(corpus, Keywords, ConfigMutator.SeedFromEnvironment());
        var accepted = 0;

        var report = mutator.Run(Mutants, TimeSpan.FromSeconds(2), input =>
        {
            var result = KeepalivedConfigReader.Parse(input, fileName);
            Assert.All(result.Diagnostics, d => Assert.True(d.Location.File.Length > 0 && d.Message.Length > 0, d.ToString()));
            Assert.Equal(result.Config is null, result.Errors.Count > 0);
            if (result.Config is { } config)
            {
                var mapping = KeepalivedConfigMapper.ToVirtualRouterOptions(config);
                Assert.All(mapping.Diagnostics, d => Assert.True(d.Message.Length > 0, d.ToString()));
                accepted++;
            }
        });

        output.WriteLine(report.Summary("keepalived.conf reader+mapper") + $", {accepted} mutants accepted");
        Assert.True(report.Failures == 0, report.ToString());
        Assert.InRange(accepted, 1, Mutants - 1);
    }
}
