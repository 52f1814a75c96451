using Ha.Net.Proxy.Haproxy;

namespace Ha.Net.Proxy.Tests.Configuration.Haproxy;

/// <summary>
/// The <c>log</c> keyword as HAProxy 2.6 reads it (src/log.c parse_logger):
/// <c>log &lt;address&gt; [len N] [format F] [sample R:S] &lt;facility&gt; [max level [min level]]</c>, and <c>log global</c>.
/// </summary>
public sealed class HaproxyLogTests
{
    private static string WithLog(string globalLog, string frontendLog = "    log global\n") => $"""
        global
            {globalLog}
        defaults
            mode tcp
            timeout connect 5s
            timeout client 30s
            timeout server 30s
        frontend fe
            bind 127.0.0.1:2525
        {frontendLog}    default_backend be
        backend be
            server s1 127.0.0.1:2526

        """;

    [Fact]
    public void SeedTargets_AreRead_WithTheirFacilityLevelsLengthAndFormat()
    {
        var result = HaproxyConfigReader.Parse(
            WithLog("log 172.31.0.254 local2", "    log 127.0.0.1:5514 len 2048 format rfc5424 local3 info notice\n"), "log.cfg");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var global = Assert.Single(result.Config!.Global.Logs);
        Assert.Equal(("172.31.0.254", "local2", (string?)null, (int?)null, (string?)null), (global.Address, global.Facility, global.Level, global.Length, global.Format));
        var fe = result.Config.Find("fe", HaproxySectionKind.Frontend)!;
        Assert.False(fe.LogGlobal);
        var own = Assert.Single(fe.Logs);
        Assert.Equal(("127.0.0.1:5514", "local3", "info", "notice", 2048, "rfc5424"), (own.Address, own.Facility, own.Level, own.MinLevel, own.Length, own.Format));
        Assert.Equal(10, own.Location.Line);
    }

    [Fact]
    public void LogGlobal_InDefaults_IsInheritedByTheFrontend()
    {
        var text = WithLog("log /dev/log local0", "").Replace("    mode tcp\n", "    mode tcp\n    log global\n", StringComparison.Ordinal);
        var result = HaproxyConfigReader.Parse(text, "log.cfg");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.True(result.Config!.Find("fe", HaproxySectionKind.Frontend)!.LogGlobal);
    }

    [Theory]
    [InlineData("log 127.0.0.1 local9", "unknown log facility 'local9'")]
    [InlineData("log 127.0.0.1 local2 loud", "unknown optional log level 'loud'")]
    [InlineData("log 127.0.0.1 local2 info quiet", "unknown optional minimum log level 'quiet'")]
    [InlineData("log 127.0.0.1 local2 info notice extra", "'log' cannot handle unexpected argument 'extra'")]
    [InlineData("log 127.0.0.1 len 40 local2", "len must be between 80 and 65535, got '40'")]
    [InlineData("log 127.0.0.1 format json local2", "unknown log format 'json'")]
    [InlineData("log 127.0.0.1 sample 1:2 local2", "'sample' (log sampling) is not supported by Ha.Net")]
    [InlineData("log 127.0.0.1", "needs a syslog facility")]
    [InlineData("log global", "'log global' is only valid in defaults, frontend, backend and listen sections")]
    public void BadLogLines_AreRefusedAtTheirLine(string line, string message)
    {
        var result = HaproxyConfigReader.Parse(WithLog(line), "log.cfg");

        Assert.Null(result.Config);
        var error = Assert.Single(result.Errors);
        Assert.Equal(2, error.Location.Line);
        Assert.Equal("log", error.Directive);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
