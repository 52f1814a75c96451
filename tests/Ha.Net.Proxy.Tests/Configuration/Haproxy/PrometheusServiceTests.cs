using Ha.Net.Proxy.Haproxy;

namespace Ha.Net.Proxy.Tests.Configuration.Haproxy;

/// <summary>
/// <c>http-request use-service prometheus-exporter</c>: a mode http frontend that serves only HAProxy's exporter (and
/// optionally the stats page) is accepted as HAProxy users write it; any other layer-7 rule there is refused at its line.
/// </summary>
public sealed class PrometheusServiceTests
{
    private const string Base = HaproxyTestData.MinimalConfig;

    private static HaproxyConfigResult Parse(string text) => HaproxyConfigReader.Parse(text, "test.cfg");

    [Fact]
    public void ExporterFrontend_AsHaproxyDocumentsIt_IsAServicePage()
    {
        var result = Parse(Base + """
            frontend prometheus
                mode http
                bind 127.0.0.1:8405
                http-request use-service prometheus-exporter if { path /metrics }
                stats enable
                stats uri /stats
                stats refresh 10s
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var page = Assert.Single(result.Config!.StatsPages);
        Assert.Equal("prometheus", page.Name);
        var rule = Assert.Single(page.PrometheusExporter);
        Assert.Equal(("/metrics", false, false), (rule.Path, rule.Prefix, rule.Negated));
        Assert.True(rule.Matches("/metrics"));
        Assert.False(rule.Matches("/metrics/x"));
        Assert.False(rule.Matches("/stats"));
        Assert.DoesNotContain(result.Config.Frontends, f => f.Name == "prometheus");
    }

    [Theory]
    [InlineData("http-request use-service prometheus-exporter", null, false, false)]
    [InlineData("http-request use-service prometheus-exporter if { path_beg /metrics }", "/metrics", true, false)]
    [InlineData("http-request use-service prometheus-exporter if { path -m beg /prom }", "/prom", true, false)]
    [InlineData("http-request use-service prometheus-exporter if { path -m str /m }", "/m", false, false)]
    [InlineData("http-request use-service prometheus-exporter unless { path /stats }", "/stats", false, true)]
    public void ExporterConditions_ThatUsersWrite_AreRead(string line, string? path, bool prefix, bool negated)
    {
        var result = Parse(Base + $"frontend prom\n    mode http\n    bind :8405\n    {line}\n");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var rule = Assert.Single(Assert.Single(result.Config!.StatsPages).PrometheusExporter);
        Assert.Equal((path, prefix, negated), (rule.Path, rule.Prefix, rule.Negated));
    }

    [Fact]
    public void UnlessCondition_ServesEverythingElse()
    {
        var rule = new HaproxyPrometheusRule("/stats", false, true, default);

        Assert.True(rule.Matches("/metrics"));
        Assert.False(rule.Matches("/stats"));
    }

    [Fact]
    public void ExporterFrontend_WithAnotherHttpRule_IsRefusedAtThatLine()
    {
        var result = Parse(Base + "frontend prom\n    mode http\n    bind :8405\n    http-request use-service prometheus-exporter if { path /metrics }\n    http-request set-header X-A b\n    option forwardfor\n");

        var lines = Base.Split('\n').Length - 1;
        Assert.Equal([(lines + 5, "http-request"), (lines + 6, "option")], result.Errors.Select(e => (e.Location.Line, e.Directive!)));
        Assert.All(result.Errors, e => Assert.StartsWith("frontend 'prom' serves the Prometheus exporter", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void ExporterCondition_HaNetCannotEvaluate_IsRefusedAtItsLine()
    {
        var result = Parse(Base + "frontend prom\n    mode http\n    bind :8405\n    http-request use-service prometheus-exporter if { hdr(host) -m str metrics }\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal((Base.Split('\n').Length + 3, "http-request"), (error.Location.Line, error.Directive!));
        Assert.Contains("{ path <p> }", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExporterOnAProxyingFrontend_IsRefused_ModeLineAndRuleLine()
    {
        var result = Parse(Base.Replace("    default_backend be\n", "    mode http\n    http-request use-service prometheus-exporter if { path /metrics }\n    default_backend be\n", StringComparison.Ordinal));

        Assert.Equal([(10, "mode"), (11, "http-request")], result.Errors.Select(e => (e.Location.Line, e.Directive!)));
        Assert.Contains("proxies traffic too", result.Errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExporterInTcpMode_IsIgnoredWithHaproxysWarning()
    {
        var result = Parse(Base + "frontend prom\n    mode tcp\n    bind :8405\n    http-request use-service prometheus-exporter\n    default_backend be\n");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Contains(result.Warnings, w => w.Directive == "http-request" && w.Message.Contains("requires mode http and is ignored in tcp mode", StringComparison.Ordinal));
        Assert.Empty(result.Config!.Find("prom")!.PrometheusExporter);
    }
}
