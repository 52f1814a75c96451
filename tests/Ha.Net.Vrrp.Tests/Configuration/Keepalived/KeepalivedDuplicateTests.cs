using Ha.Net.Testing.Files;
using Ha.Net.Vrrp.Keepalived;

namespace Ha.Net.Vrrp.Tests.Configuration.Keepalived;

/// <summary>
/// Names defined twice and include loops (#15 item 1): findings at the line of the second definition, in keepalived
/// 2.2.7's words, never an exception out of the model's finishing step.
/// </summary>
public sealed class KeepalivedDuplicateTests
{
    private static string Instance(string name, int vrid, string body = "") =>
        $"vrrp_instance {name} {{\n interface eth0\n virtual_router_id {vrid}\n{body} virtual_ipaddress {{\n  198.18.0.{vrid}\n }}\n}}\n";

    private static KeepalivedConfigResult Parse(string text) => KeepalivedConfigReader.Parse(text, "/nonexistent-hanet/keepalived.conf");

    [Fact]
    public void InstanceDefinedTwice_IsAnErrorAtTheSecondDefinition_InKeepalivedsWords()
    {
        // keepalived 2.2.7 vrrp_parser.c vrrp_handler: "vrrp instance %s already defined", then skip_block(true).
        var text = Instance("VI_1", 51) + Instance("VI_1", 52) + Instance("VI_2", 53);

        var result = Parse(text);

        var error = Assert.Single(result.Errors);
        Assert.Equal(("vrrp_instance", 8), (error.Directive, error.Location.Line));
        Assert.StartsWith("vrrp instance VI_1 already defined", error.Message, StringComparison.Ordinal);
        Assert.Contains("keepalived.conf:1", error.Message, StringComparison.Ordinal);
        Assert.Null(result.Config);
    }

    [Fact]
    public void SyncGroupDefinedTwice_IsAnErrorAtTheSecondDefinition()
    {
        var text = Instance("VI_1", 51) + Instance("VI_2", 52)
            + "vrrp_sync_group G {\n group {\n  VI_1\n  VI_2\n }\n}\n"
            + "vrrp_sync_group G {\n group {\n  VI_1\n }\n}\n";

        var result = Parse(text);

        var error = Assert.Single(result.Errors);
        Assert.Equal(("vrrp_sync_group", 21), (error.Directive, error.Location.Line));
        Assert.StartsWith("vrrp sync group G already defined", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScriptDefinedTwice_WarnsAtTheSecond_AndTheFirstIsUsed_AsKeepalivedDoes()
    {
        // keepalived 2.2.7 adds both; find_script_by_name() returns the first, and it says nothing.
        var text = "vrrp_script chk {\n script /bin/true\n}\nvrrp_script chk {\n script /bin/false\n weight 7\n}\n"
            + Instance("VI_1", 51, " track_script {\n  chk\n }\n");

        var result = Parse(text);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var warning = Assert.Single(result.Warnings);
        Assert.Equal(("vrrp_script", 4), (warning.Directive, warning.Location.Line));
        var script = Assert.Single(result.Config!.Scripts);
        Assert.Equal(("/bin/true", 0), (script.Script, script.Weight));
        var mapping = KeepalivedConfigMapper.ToVirtualRouterOptions(result.Config);
        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        Assert.Same(script, mapping.Routers[0].TrackedScripts["chk"]);
    }

    [Fact]
    public void TrackScriptOrInterfaceListedTwice_IsIgnoredWithKeepalivedsWarning_AtItsLine()
    {
        // keepalived 2.2.7 vrrp_track.c: "(%s) duplicate track_script %s - ignoring", "(%s) duplicate track_interface %s - ignoring".
        var text = "vrrp_script chk {\n script /bin/true\n}\n"
            + Instance("VI_1", 51, " track_script {\n  chk\n  chk weight 5\n }\n track_interface {\n  eth1\n  eth1 weight 3\n }\n");

        var result = Parse(text);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(
            [(9, "track_script", "(VI_1) duplicate track_script chk - ignoring"), (13, "track_interface", "(VI_1) duplicate track_interface eth1 - ignoring")],
            result.Warnings.Select(w => (w.Location.Line, w.Directive!, w.Message)));
        var vi = Assert.Single(result.Config!.Instances);
        Assert.Null(Assert.Single(vi.TrackScripts).Weight);
        Assert.Null(Assert.Single(vi.TrackInterfaces).Weight);
        var mapping = KeepalivedConfigMapper.ToVirtualRouterOptions(result.Config);
        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        Assert.Equal(["chk", "eth1"], mapping.Routers[0].Options.TrackedObjects.Select(t => t.Name));
    }

    [Fact]
    public void SelfInclude_StopsAtOnce_WithOneErrorAtTheIncludeLine()
    {
        using var dir = new TempDir();
        var main = dir.Write("keepalived.conf", "include keepalived.conf\n" + Instance("VI_1", 51));

        var result = KeepalivedConfigReader.Load(main);

        var error = Assert.Single(result.Errors);
        Assert.Equal(("include", 1), (error.Directive, error.Location.Line));
        Assert.Equal(main, error.Location.File);
        Assert.Contains("include loop", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Diagnostics, d => d.Message.Contains("already defined", StringComparison.Ordinal));
    }

    [Fact]
    public void MutualIncludes_StopAtTheIncludeThatClosesTheLoop()
    {
        using var dir = new TempDir();
        var b = dir.Write("conf.d/b.conf", "\ninclude ../keepalived.conf\n" + Instance("VI_2", 52));
        var main = dir.Write("keepalived.conf", "include conf.d/b.conf\n" + Instance("VI_1", 51));

        var result = KeepalivedConfigReader.Load(main);

        var error = Assert.Single(result.Errors);
        Assert.Equal((b, 2), (error.Location.File, error.Location.Line));
        Assert.Contains("include loop", error.Message, StringComparison.Ordinal);
        Assert.Contains("keepalived.conf -> ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSameFileIncludedTwiceOneAfterTheOther_IsNoLoop()
    {
        using var dir = new TempDir();
        dir.Write("globals.conf", "global_defs {\n router_id x\n}\n");
        var main = dir.Write("keepalived.conf", "include globals.conf\ninclude globals.conf\n" + Instance("VI_1", 51));

        var result = KeepalivedConfigReader.Load(main);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal("x", result.Config!.Global.RouterId);
    }
}
