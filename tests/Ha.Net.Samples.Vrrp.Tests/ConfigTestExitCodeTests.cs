using Ha.Net.Testing.Environment;
namespace Ha.Net.Samples.Vrrp.Tests;

/// <summary>
/// <c>hanet-vrrpd -t</c> exits as keepalived 2.2.7's <c>-t</c> (#15 item 5; core/main.c config_test_exit(),
/// lib/scheduler.h): 0 nothing reported, 4 (KEEPALIVED_CHK_EXIT_CONFIG) the configuration cannot be read, 5
/// (KEEPALIVED_CHK_EXIT_CONFIG_TEST) any configuration error keepalived reports, even those it runs with (unknown
/// keyword, invalid number, "Truncating auth_pass"...), 6 (KEEPALIVED_CHK_EXIT_CONFIG_TEST_SECURITY) scripts without
/// enable_script_security; keepalived keeps the numerically highest class, so 6 wins over 5 and 5 over 4.
/// </summary>
public sealed class ConfigTestExitCodeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hanet-vrrpd-exit-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Instance(string extra = "") =>
        $"vrrp_instance VI_1 {{\n  interface {HostInterface.Name}\n  virtual_router_id 51\n{extra}  virtual_ipaddress {{\n    198.18.0.100\n  }}\n}}\n";

    private const string SecureGlobals = "global_defs {\n  enable_script_security\n  script_user root\n}\n";

    public static TheoryData<string, string, int, bool> Cases => new()
    {
        // name, configuration, keepalived -t's exit code (each checked against keepalived 2.2.7 -t), accepted by hanet-vrrpd
        { "clean", Instance(), 0, true },
        { "a keyword keepalived knows and Ha.Net does not run", Instance("  use_vmac\n"), 0, true },
        { "an extra parameter keepalived ignores silently", Instance("  priority 101 extra\n"), 0, true },
        { "an unknown keyword", Instance("  frobnicate 1\n"), 5, true },
        { "a truncated auth_pass", Instance("  authentication {\n    auth_type PASS\n    auth_pass 123456789\n  }\n"), 5, true },
        { "a duplicate track_interface", Instance("  track_interface {\n    " + HostInterface.Name + "\n    " + HostInterface.Name + "\n  }\n"), 5, true },
        { "an invalid number", Instance("  priority high\n"), 5, false },
        { "a notify script without enable_script_security", Instance("  notify \"/bin/true x\"\n"), 6, true },
        { "an unused vrrp_script without enable_script_security", "vrrp_script chk {\n  script /bin/true\n}\n" + Instance(), 6, true },
        { "a notify script with enable_script_security", SecureGlobals + Instance("  notify \"/bin/true x\"\n"), 0, true },
        { "a script and an unknown keyword: 6 wins", Instance("  notify \"/bin/true x\"\n  frobnicate\n"), 6, true },
        { "a script and an invalid number: 6 wins", Instance("  notify \"/bin/true x\"\n  priority high\n"), 6, false },
        // keepalived drops a script whose user does not exist before its security check (its -t: 0); hanet-vrrpd refuses.
        { "a notify script whose user does not exist", Instance("  notify \"/bin/true x\" hanet-no-such-user\n"), 5, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Exit_code_is_keepalived_config_test_code(string name, string text, int expected, bool accepted)
    {
        var path = Path.Combine(_dir, "keepalived.conf");
        File.WriteAllText(path, text);

        var (code, stdout, stderr) = VrrpDaemon.Run("-t", "-f", path);

        Assert.True(code == expected, $"{name}: exit {code}, expected {expected}\n{stdout}\n{stderr}");
        Assert.Equal(accepted, stdout.Contains("is valid", StringComparison.Ordinal));
        Assert.Equal(!accepted, stderr.Contains("refused", StringComparison.Ordinal));
        if (expected == 6)
        {
            Assert.Contains("SECURITY VIOLATION - scripts are being executed but script_security not enabled.", stderr, StringComparison.Ordinal);
        }
    }

    /// <summary>Where hanet-vrrpd's <c>-t</c> differs from keepalived's on purpose, with keepalived's code: keepalived
    /// drops a notify script whose user does not exist without a word (the notification never runs);
    /// hanet-vrrpd refuses the file so the operator learns it before a failover.</summary>
    private static readonly Dictionary<string, int> DeliberateDifferences = new()
    {
        ["a notify script whose user does not exist"] = 0,
    };

    /// <summary>
    /// #15 fidelity by diff: the real keepalived's <c>-t</c> on the same file. Both exit with the same code, and
    /// when keepalived names a line for an error, hanet-vrrpd names the same one.
    /// </summary>
    [RequiresTheory("cmd:keepalived")]
    [MemberData(nameof(Cases))]
    public void Exit_code_matches_the_real_keepalived_on_the_same_file(string name, string text, int expected, bool accepted)
    {
        _ = accepted;
        var path = Path.Combine(_dir, "keepalived.conf");
        File.WriteAllText(path, text);

        var real = ProcessRunner.TryRun("keepalived", ["-t", "-f", path], TimeSpan.FromSeconds(30));
        var (code, stdout, stderr) = VrrpDaemon.Run("-t", "-f", path);

        if (DeliberateDifferences.TryGetValue(name, out var keepalivedCode))
        {
            Assert.Equal((keepalivedCode, expected), (real.Code, code)); // still as documented on both sides
            return;
        }

        Assert.True(real.Code == code, $"{name}: keepalived -t exited {real.Code}, hanet-vrrpd -t {code} (the table says {expected})\n" +
            $"keepalived:\n{real.Stdout}{real.Stderr}\nhanet-vrrpd:\n{stdout}{stderr}");
        foreach (System.Text.RegularExpressions.Match line in System.Text.RegularExpressions.Regex.Matches(real.Stdout + real.Stderr, @"\(" + System.Text.RegularExpressions.Regex.Escape(path) + @": Line (\d+)\)"))
        {
            if (code != 0)
            {
                Assert.Contains($"{path}:{line.Groups[1].Value}:", stdout + stderr, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Missing_configuration_file_exits_4()
    {
        var (code, _, stderr) = VrrpDaemon.Run("-t", "-f", Path.Combine(_dir, "nothere.conf"));

        Assert.Equal(4, code);
        Assert.Contains("nothere.conf: error: configuration file not found", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_file_that_is_not_a_regular_file_exits_4()
    {
        var (code, _, stderr) = VrrpDaemon.Run("-t", "-f", "/dev/zero");

        Assert.Equal(4, code);
        Assert.Contains("/dev/zero:0: error: Configuration file '/dev/zero' is not a regular non-executable file", stderr, StringComparison.Ordinal);
    }
}
