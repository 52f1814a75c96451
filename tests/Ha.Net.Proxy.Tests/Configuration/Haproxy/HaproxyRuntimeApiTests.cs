using Ha.Net.Proxy.Haproxy;
using Microsoft.Extensions.Time.Testing;

namespace Ha.Net.Proxy.Tests.Configuration.Haproxy;

/// <summary>The runtime API's command set as a library user hosts it: over a proxy built from a haproxy.cfg, no daemon.</summary>
public class HaproxyRuntimeApiTests
{
    private const string Config = """
        defaults
            mode tcp
            timeout connect 5s
            timeout client 1m
            timeout server 1m
        frontend fe
            bind 127.0.0.1:1
            default_backend app
        backend app
            server s1 127.0.0.1:1 weight 10
            server s2 127.0.0.1:2 weight 3
        """;

    private static (ITcpProxy Proxy, HaproxyRuntimeApi Api, FakeTimeProvider Time) Create()
    {
        var config = HaproxyConfigReader.Parse(Config).GetConfigOrThrow();
        var mapping = HaproxyConfigMapper.ToProxyOptions(config);
        var options = mapping.Options ?? throw new InvalidOperationException(string.Join("\n", mapping.Errors));
        var proxy = TcpProxyFactory.Create(options);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        return (proxy, new HaproxyRuntimeApi(proxy, () => config, () => options, timeProvider: time) { Version = "9.9-test" }, time);
    }

    [Fact]
    public async Task Changes_NeedTheAdminLevel_AndAnswerAsHaproxy()
    {
        var (proxy, api, _) = Create();
        await using var owned = proxy;
        Assert.Equal("Permission denied\n\n", api.Execute("set server app/s1 state drain", admin: false));
        Assert.Equal("No such server.\n\n", api.Execute("set server app/nope weight 5", admin: true));
        Assert.Equal("No such backend.\n\n", api.Execute("set server nope/s1 weight 5", admin: true));
        Assert.Equal("Require 'backend/server'.\n\n", api.Execute("disable server s1", admin: true));
        Assert.Equal("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n", api.Execute("set server app/s1 state up", admin: true));

        Assert.Equal("\n", api.Execute("set server app/s1 state drain", admin: true));
        Assert.Equal("\n", api.Execute("set server app/s2 weight 50%", admin: true)); // 3 * 50 / 100, truncated
        var state = api.Execute("show servers state app", admin: false).Split('\n');
        string[] Server(string name) => state.Select(l => l.Split(' ')).Single(f => f.Length > 8 && f[1] == "app" && f[3] == name);
        var s1 = Server("s1");
        var s2 = Server("s2");
        Assert.Equal("8", s1[6]);                 // srv_admin_state: SRV_ADMF_FDRAIN
        Assert.Equal(("1", "3"), (s2[7], s2[8])); // srv_uweight, srv_iweight
        Assert.Equal("Can't find backend.\n\n", api.Execute("show servers state nope", admin: false));
    }

    [Fact]
    public async Task ShowStatAndShowInfo_AreHaproxysFormats_OnTheGivenClockAndVersion()
    {
        var (proxy, api, time) = Create();
        await using var owned = proxy;
        var stat = api.Execute("show stat", admin: false);
        Assert.StartsWith("# pxname,svname,", stat);
        Assert.Contains("\napp,s1,", stat);

        time.Advance(TimeSpan.FromSeconds(90));
        var info = api.Execute("show info; help", admin: false);
        Assert.Contains("Version: 9.9-test\n", info);
        Assert.Contains("Uptime_sec: 90\n", info);
        Assert.Contains("show servers state [<backend>]", info); // the second command of the line
    }
}
