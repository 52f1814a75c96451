using Ha.Net.Samples.ProxyDaemon;

namespace Ha.Net.Vrrp.RouteInjection.Tests.Daemon;

/// <summary>hanet-proxyd's --route-injection file: what it accepts and how it names what it refuses.</summary>
public class RouteInjectionFileTests
{
    [Fact]
    public void FullFile_IsRead()
    {
        var errors = new List<string>();
        var file = RouteInjectionFile.Parse("rhi.conf",
        [
            "# node 1",
            "prefix 198.18.100.1/32",
            "speaker frr as 65100 pathspace node1 vtysh /usr/bin/vtysh",
            "frontend fe_app",
            "backend be_app min-servers 2   # two of three",
            "interval 200ms", "rise 2", "fall 1", "withdraw-grace 3s", "reassert 1m",
            "drain-file /run/hanet/drain",
        ], errors);
        Assert.Empty(errors);
        Assert.NotNull(file);
        Assert.Equal("198.18.100.1/32", Assert.Single(file.Injector.Prefixes).ToString());
        Assert.Equal(65100u, file.Frr.AutonomousSystem);
        Assert.Equal("node1", file.Frr.PathSpace);
        Assert.Equal(["fe_app"], file.Frontends);
        Assert.Equal([("be_app", 2)], file.Backends);
        Assert.Equal(TimeSpan.FromMilliseconds(200), file.Injector.Interval);
        Assert.Equal((2, 1), (file.Injector.Rise, file.Injector.Fall));
        Assert.Equal(TimeSpan.FromSeconds(3), file.Injector.WithdrawGrace);
        Assert.Equal(TimeSpan.FromMinutes(1), file.Injector.ReassertInterval);
        Assert.Equal("/run/hanet/drain", file.Injector.DrainFile);
    }

    [Fact]
    public void Errors_AreAllCollected_EachWithFileAndLine()
    {
        var errors = new List<string>();
        var file = RouteInjectionFile.Parse("rhi.conf",
        [
            "prefix 198.18.100.1",
            "speaker bird as 65100",
            "rise zero",
            "interval soon",
            "announce-all yes",
            "backend be_app min-servers 0",
        ], errors);
        Assert.Null(file);
        Assert.Contains(errors, e => e.StartsWith("rhi.conf:1: 'prefix'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("rhi.conf:2: 'speaker'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("rhi.conf:3: 'rise'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("rhi.conf:4: 'interval'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("rhi.conf:5: unknown keyword 'announce-all'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("rhi.conf:6: 'min-servers'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e == "rhi.conf: no 'prefix' line: nothing to announce.");
    }

    [Fact]
    public void NamesMissingFromHaproxyCfg_AreRefused()
    {
        var errors = new List<string>();
        var file = RouteInjectionFile.Parse("rhi.conf", ["prefix 198.18.100.1/32", "speaker frr as 65100", "frontend fe_nope", "backend be_nope"], errors)!;
        Assert.Empty(errors);
        var proxy = new Ha.Net.Proxy.Configuration.ProxyOptions();
        Assert.Equal(
            ["rhi.conf: frontend 'fe_nope' is not in the haproxy configuration.", "rhi.conf: backend 'be_nope' is not in the haproxy configuration."],
            file.Unknown("rhi.conf", proxy));
    }

    [Theory]
    [InlineData("250", 250)]
    [InlineData("250ms", 250)]
    [InlineData("2s", 2000)]
    [InlineData("1m", 60000)]
    public void Times_UseHaproxyUnits(string text, int ms)
    {
        Assert.True(RouteInjectionFile.TryParseTime(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(ms), value);
    }
}
