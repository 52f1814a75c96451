using Ha.Net.Testing.Environment;

namespace Ha.Net.Samples.Vrrp.Tests;

/// <summary><c>hanet-vrrpd -t</c>: the seeds' configurations are accepted, broken ones refused with file:line, before anything starts.</summary>
public sealed class ConfigTestTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hanet-vrrpd-t-").FullName;

    /// <summary>The seeds keepalived reads as their authors meant (seed 002's no-break spaces are tested on their own).</summary>
    public static TheoryData<string> Seeds => [.. SeedConfigs.All.Keys.Where(k => k != "Seed002")];

    /// <summary>
    /// keepalived 2.2.7's -t exit code for a seed as hanet-vrrpd reads it (each checked with keepalived -t in a
    /// namespace that has eth0): 6 when its script is found (scripts without enable_script_security), 5 when it is
    /// not ("Disabling track script ... since not found"), or when eth0 is missing; seed 000 is 5 anyway ("Missing
    /// '{'", "Truncating auth_pass"). keepalived itself reads nothing of seed 000's one line (it is all a comment:
    /// exit 0); hanet-vrrpd reads the configuration it holds.
    /// </summary>
    private static int ExpectedExitCode(string seed)
    {
        var (program, others) = seed switch
        {
            "Seed000Dc1" or "Seed000Dc2" => ("systemctl", 5),
            "Seed003Host1" or "Seed003Host2" => ("pkill", 0),
            _ => ((string?)null, 0),
        };
        if (program is not null)
        {
            return (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':').Any(d => File.Exists(Path.Combine(d, program))) ? 6 : 5;
        }

        return Directory.Exists("/sys/class/net/eth0") ? others : 5;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Seed_configuration_is_valid(string seed)
    {
        var path = Write(seed + ".conf", SeedConfigs.All[seed]);

        var (code, stdout, stderr) = VrrpDaemon.Run("-t", "-f", path);

        Assert.True(code == ExpectedExitCode(seed), $"exit {code}, expected {ExpectedExitCode(seed)}\n{stderr}");
        Assert.Contains("is valid (1 vrrp_instance(s)", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(": error:", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Seed_002_no_break_spaces_are_refused_at_their_lines_like_keepalived()
    {
        // Each indented line of seed 002 starts with U+00A0 (C2 A0), which keepalived 2.2.7 does not take for white
        // space: "Unknown keyword '\xc2\xa0'" on each, then the vrrp_script has no script and VI_1 no interface or
        // virtual_router_id ("(VI_1) the virtual router id must be set"); its -t exits 5.
        var path = Write("seed002.conf", SeedConfigs.Seed002);

        var (code, stdout, stderr) = VrrpDaemon.Run("-t", "-f", path);

        Assert.Equal(5, code);
        Assert.Contains($"{path}:2: warning: unknown directive '<U+00A0>' in global_defs; ignored", stderr, StringComparison.Ordinal);
        Assert.Contains($"{path}:17: warning: unknown directive '<U+00A0>' in vrrp_instance 'VI_1'; ignored", stderr, StringComparison.Ordinal);
        Assert.Contains($"{path}:10: error: vrrp_script 'check_haproxy' has no 'script' command", stderr, StringComparison.Ordinal);
        Assert.Contains($"{path}:16: error: vrrp_instance 'VI_1': 'interface' is required", stderr, StringComparison.Ordinal);
        Assert.Contains("refused", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("is valid", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Seed_000_warnings_name_the_file_and_line()
    {
        var path = Write("dc1.conf", SeedConfigs.Seed000Dc1);

        var (code, _, stderr) = VrrpDaemon.Run("--config-test", "--use-file=" + path);

        Assert.Equal(ExpectedExitCode("Seed000Dc1"), code);
        Assert.Contains($"{path}:1: warning: Truncating auth_pass to 8 characters", stderr, StringComparison.Ordinal);
    }

    public static TheoryData<string, int, string> BadConfigs => new()
    {
        { "vrrp_instance VI_1 {\n  interface vd0\n  virtual_router_id 51\n  priority high\n  virtual_ipaddress {\n    198.18.0.100\n  }\n}\n", 4, "'priority' must be an integer between 1 and 255, got 'high'" },
        { "vrrp_instance VI_1 {\n  interface vd0\n  virtual_router_id 300\n  virtual_ipaddress {\n    198.18.0.100\n  }\n}\n", 3, "'virtual_router_id' must be an integer between 1 and 255, got '300'" },
        { "vrrp_instance VI_1 {\n  interface vd0\n  virtual_router_id 51\n  virtual_ipaddress {\n    198.18.0.300\n  }\n}\n", 5, "'198.18.0.300' is not a valid IP address" },
        { "vrrp_instance VI_1 {\n  interface vd0\n  virtual_router_id 51\n  virtual_ipaddress {\n    198.18.0.100\n  }\n  track_script {\n    chk_missing\n  }\n}\n", 8, "track_script 'chk_missing' does not name a vrrp_script" },
        { "vrrp_instance VI_1 {\n  interface vd0\n  virtual_router_id 51\n  virtual_ipaddress {\n    198.18.0.100\n  }\n", 1, "is not terminated" },
        { "vrrp_instance VI_1 {\n  interface vd0\n  virtual_router_id 51\n  authentication {\n    auth_type SHA\n    auth_pass x\n  }\n  virtual_ipaddress {\n    198.18.0.100\n  }\n}\n", 5, "'auth_type' must be PASS or AH, got 'SHA'" },
        { "global_defs {\n  script_user hanet-no-such-user\n}\nvrrp_instance VI_1 {\n  interface vd0\n  virtual_router_id 51\n  virtual_ipaddress {\n    198.18.0.100\n  }\n}\n", 2, "script_user 'hanet-no-such-user' is not a user of this system" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void Bad_configuration_is_refused_with_file_and_line(string text, int line, string message)
    {
        var path = Write("bad.conf", text);

        var (code, stdout, stderr) = VrrpDaemon.Run("-t", "-f", path);

        Assert.Equal(5, code); // keepalived's KEEPALIVED_CHK_EXIT_CONFIG_TEST
        Assert.Contains($"{path}:{line}: error: ", stderr, StringComparison.Ordinal);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Contains("refused", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("is valid", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_is_refused()
    {
        var (code, _, stderr) = VrrpDaemon.Run("-t", "-f", Path.Combine(_dir, "nothere.conf"));

        Assert.Equal(4, code); // keepalived's KEEPALIVED_CHK_EXIT_CONFIG
        Assert.Contains("nothere.conf: error: configuration file not found", stderr, StringComparison.Ordinal);
    }

    [RequiresFact("root")]
    public void Unsafe_script_with_enable_script_security_is_refused_with_its_line()
    {
        var script = Write("world-writable.sh", "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(script, (UnixFileMode)0b111_111_111);
        var path = Write("unsafe.conf", $"global_defs {{\n  enable_script_security\n  script_user root\n}}\nvrrp_instance VI_1 {{\n  interface vd0\n  virtual_router_id 51\n  virtual_ipaddress {{\n    198.18.0.100\n  }}\n  notify \"{script} x\"\n}}\n");

        var (code, _, stderr) = VrrpDaemon.Run("-t", "-f", path);

        // keepalived only disables such a script (logged, -t exits 0); hanet-vrrpd refuses the file.
        Assert.Equal(5, code);
        Assert.Contains($"{path}:11: error: vrrp_instance 'VI_1': notify '{script} x': unsafe permissions found for script", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_option_is_a_usage_error()
    {
        var (code, _, stderr) = VrrpDaemon.Run("--frobnicate");

        Assert.Equal(2, code);
        Assert.Contains("unknown option '--frobnicate'", stderr, StringComparison.Ordinal);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
