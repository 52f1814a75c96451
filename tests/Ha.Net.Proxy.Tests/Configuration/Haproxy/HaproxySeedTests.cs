using Ha.Net.Proxy.Haproxy;

namespace Ha.Net.Proxy.Tests.Configuration.Haproxy;

/// <summary>Every haproxy.cfg of shared/seeds, copied under Data/, read and its values (or refusal) asserted.</summary>
public sealed class HaproxySeedTests
{
    private static HaproxyConfigResult Load(string name) => HaproxyConfigReader.Load(HaproxyTestData.PathOf(name));

    [Theory]
    [InlineData("seed000-dc1.haproxy.cfg", "10.0.10.3", "dc1server0", "10.0.10.")]
    [InlineData("seed000-dc2.haproxy.cfg", "10.0.20.3", "dc2server0", "10.0.20.")]
    public void Seed000_OneLineLayout_RunsInTcpTerms_WithTheStatsPage(string file, string vip, string serverPrefix, string serverNet)
    {
        var result = Load(file);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var flattened = Assert.Single(result.Warnings);
        Assert.Equal(3, flattened.Location.Line);
        Assert.Contains("flattened", flattened.Message, StringComparison.Ordinal);
        var c = result.Config!;

        var g = c.Global;
        Assert.Equal("/var/lib/haproxy", g.Chroot);
        Assert.Equal("/var/run/haproxy.pid", g.PidFile);
        Assert.Equal(4000, g.MaxConn);
        Assert.Equal(("haproxy", "haproxy"), (g.User, g.Group));
        Assert.True(g.Daemon);
        var socket = Assert.Single(g.StatsSockets);
        Assert.Equal("/var/lib/haproxy/stats", socket.Path);
        Assert.Null(socket.Level);
        var log = Assert.Single(g.Logs);
        Assert.Equal(("172.31.0.254", "local2"), (log.Address, log.Facility));
        Assert.Equal("kEECDH+aRSA+AES:kRSA+AES:+AES256:RC4-SHA:!kEDH:!LOW:!EXP:!MD5:!aNULL:!eNULL", g.SslDefaultBindCiphers);

        Assert.Equal(["stats", "smtpdc1", "emailservice"], c.Proxies.Select(p => p.Name));

        // listen stats: the drain page of seed 000.
        var stats = Assert.Single(c.StatsPages);
        Assert.Equal(HaproxySectionKind.Listen, stats.Kind);
        Assert.Equal(HaproxyMode.Http, stats.Mode);
        var bind = Assert.Single(stats.Binds);
        Assert.Equal(new HaproxyEndpoint("*", 9000), Assert.Single(bind.Endpoints));
        Assert.True(bind.Endpoints[0].IsAny);
        Assert.True(bind.Ssl);
        Assert.Equal(["/etc/pki/tls/private/"], bind.Certificates);
        var page = stats.Stats!;
        Assert.True(page.Enabled);
        Assert.True(page.HideVersion);
        Assert.Equal("/", page.Uri);
        Assert.Equal("HAProxy Statistics", page.Realm);
        Assert.Equal([new KeyValuePair<string, string>("admin", "p@ssw0rd")], page.Users);
        Assert.Equal("if TRUE", page.Admin!.ToString());

        // frontend smtpdc1 inherits the tcp defaults.
        var fe = Assert.Single(c.Frontends);
        Assert.Equal(("smtpdc1", HaproxyMode.Tcp, false), (fe.Name, fe.Mode, fe.HttpMappedToTcp));
        Assert.Equal(new HaproxyEndpoint(vip, 25), fe.Binds.Single().Endpoints.Single());
        var rule = Assert.Single(fe.UseBackends);
        Assert.Equal("emailservice", rule.Backend);
        Assert.Null(rule.Condition);
        Assert.Null(fe.DefaultBackend);
        AssertSeed000Defaults(fe);

        var be = Assert.Single(c.Backends);
        Assert.Equal(("emailservice", "Emailservice"), (be.Name, be.Description));
        Assert.Equal(HaproxyBalanceAlgorithm.RoundRobin, be.Balance.Algorithm);
        Assert.Equal(new HaproxySmtpCheck("HELO", "haproxy"), be.SmtpCheck);
        Assert.Null(be.HttpCheck);
        AssertSeed000Defaults(be);
        Assert.Equal(2, be.Servers.Count);
        for (var i = 0; i < 2; i++)
        {
            var s = be.Servers[i];
            Assert.Equal(($"{serverPrefix}{i + 1}", $"{serverNet}{i + 1}", (int?)25, true), (s.Name, s.Address, s.Port, s.Check));
            Assert.Equal((TimeSpan.FromSeconds(2), 2, 3, 1, false, 0, 0), (s.Inter, s.Rise, s.Fall, s.Weight, s.Backup, s.MaxConn, s.MaxQueue));
            Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)), (s.FastInter, s.DownInter));
            Assert.Equal((HaproxySendProxy.None, false, i + 1), (s.SendProxy, s.Disabled, s.Id!.Value));
        }

        // Values keep their file:line, inherited ones their defaults line.
        Assert.Equal(3, be.DirectiveLines["option smtpchk"].Line);
        Assert.Equal(3, be.DirectiveLines["timeout connect"].Line);
        Assert.EndsWith(file, be.DirectiveLines["timeout connect"].File, StringComparison.Ordinal);
    }

    private static void AssertSeed000Defaults(HaproxyProxy p)
    {
        Assert.True(p.LogGlobal);
        Assert.True(p.TcpLog);
        Assert.True(p.DontLogNull);
        Assert.Equal(-1, p.Redispatch);
        Assert.Equal(3, p.Retries);
        Assert.Equal(3000, p.MaxConn);
        Assert.Equal(
            new HaproxyTimeouts
            {
                Queue = TimeSpan.FromMinutes(1),
                Connect = TimeSpan.FromSeconds(10),
                Client = TimeSpan.FromMinutes(1),
                Server = TimeSpan.FromMinutes(1),
                Check = TimeSpan.FromSeconds(10),
            },
            p.Timeouts);
    }

    [Fact]
    public void Seed001_ForumMangledConfig_IsRefused_AtTheLinesThatLostTheirSectionsAndAddresses()
    {
        // The forum dropped the "global" and "defaults" lines and turned addresses into "###.###.###.###" (a comment).
        var result = Load("seed001.haproxy.cfg");

        Assert.Null(result.Config);
        Assert.Contains(result.Errors, e => e.Location.Line == 4 && e.Directive == "log" && e.Message.Contains("before any section", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Location.Line == 17 && e.Directive == "mode");
        Assert.Equal([51, 52, 53], result.Errors.Where(e => e.Directive == "server").Select(e => e.Location.Line));
        Assert.Contains("server 'web1' has no address", result.Errors.First(e => e.Directive == "server").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Seed001_WithItsSectionLinesAndAddressesRestored_IsRefusedAtItsModeHttpLine_AndRunsWithModeTcp()
    {
        var lines = File.ReadAllLines(HaproxyTestData.PathOf("seed001.haproxy.cfg")).ToList();
        var n = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            while (lines[i].Contains("###.###.###.###", StringComparison.Ordinal))
            {
                var at = lines[i].IndexOf("###.###.###.###", StringComparison.Ordinal);
                lines[i] = string.Concat(lines[i].AsSpan(0, at), $"198.18.0.{++n}", lines[i].AsSpan(at + 15));
            }
        }

        lines[15] = "defaults";  // was "# use if not designated in their block" before "mode http"
        lines[1] = "global";     // was "# Global settings"
        var result = HaproxyConfigReader.Parse(string.Join('\n', lines), "seed001-restored.cfg");

        // Ha.Net has no HTTP mode: both sections are refused at the defaults' 'mode http' line, which names 'mode tcp'.
        Assert.Null(result.Config);
        Assert.Equal([(17, "frontend 'http'"), (17, "backend 'web'")], result.Errors.Select(e => (e.Location.Line, e.Message[..e.Message.IndexOf(':', StringComparison.Ordinal)])));
        Assert.All(result.Errors, e => Assert.Contains("write 'mode tcp'", e.Message, StringComparison.Ordinal));

        // With 'mode tcp' it runs, each inherited layer-7 option named with its defaults line and ignored.
        lines[16] = "        mode                    tcp";
        result = HaproxyConfigReader.Parse(string.Join('\n', lines), "seed001-restored.cfg");
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var c = result.Config!;
        var fe = Assert.Single(c.Frontends);
        Assert.Equal(("http", HaproxyMode.Tcp, "web"), (fe.Name, fe.Mode, fe.DefaultBackend));
        Assert.Equal(new HaproxyEndpoint("*", 80), fe.Binds[0].Endpoints[0]);
        var be = Assert.Single(c.Backends);
        Assert.Equal(HaproxyBalanceAlgorithm.LeastConn, be.Balance.Algorithm);
        Assert.Equal(["198.18.0.2:80", "198.18.0.3:80", "198.18.0.4:80"], be.Servers.Select(s => $"{s.Address}:{s.Port}"));
        Assert.Contains(result.Warnings, w => w.Directive == "option" && w.Location.Line == 22 && w.Message.Contains("option forwardfor' (inherited from defaults)", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Directive == "timeout" && w.Location.Line == 25 && w.Message.Contains("timeout http-request", StringComparison.Ordinal));
    }

    [Fact]
    public void Seed003_Main_IsRefused_AtItsModeHttpLine_AndForItsLayer7Acls()
    {
        var result = Load("seed003-main.haproxy.cfg");

        Assert.Null(result.Config);

        // defaults' 'mode http' (line 15) for each of the three sections, and frontend main's two layer-7 ACLs.
        Assert.Equal(
            [(15, "mode", "frontend 'main'"), (33, "acl", "frontend 'main'"), (34, "acl", "frontend 'main'"), (15, "mode", "backend 'static'"), (15, "mode", "backend 'app'")],
            result.Errors.Select(e => (e.Location.Line, e.Directive!, e.Message[..(e.Message.IndexOf('\'', e.Message.IndexOf('\'', StringComparison.Ordinal) + 1) + 1)])));
        Assert.All(result.Errors.Where(e => e.Directive == "mode"), e => Assert.Contains("'mode http' (inherited from defaults) is not supported", e.Message, StringComparison.Ordinal));
        Assert.All(result.Errors.Where(e => e.Directive == "acl"), e => Assert.Contains("frontend 'main' (mode http at ", e.Message, StringComparison.Ordinal));
        Assert.Contains("path_beg", result.Errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Seed003_OpenStack_IsRefused_NamingEachLayer7Feature_ButItsStatsListenIsFine()
    {
        var result = Load("seed003-openstack.haproxy.cfg");

        Assert.Null(result.Config);

        // horizon: TLS termination (41), mode http (42), httpclose (43), forwardfor (44), reqadd (45); its backend:
        // mode http (49), cookie (51, 52, 53).
        var horizon = result.Errors.Where(e => e.Message.Contains("horizon_", StringComparison.Ordinal)).ToList();
        Assert.Equal([41, 42, 43, 44, 45, 49, 51, 52, 53], horizon.Select(e => e.Location.Line));
        Assert.Contains("TLS termination", horizon[0].Message, StringComparison.Ordinal);
        Assert.Equal(["bind", "mode", "option", "option", "reqadd", "mode", "cookie", "server", "server"], horizon.Select(e => e.Directive));

        // 11 frontend/backend pairs, 9 errors each; nothing against 'listen stats' (a stats-only listen stays mode http).
        Assert.Equal(99, result.Errors.Count);
        Assert.DoesNotContain(result.Errors, e => e.Message.Contains("listen 'stats'", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Directive == "contimeout" && w.Location.Line == 22);
        Assert.Contains(result.Warnings, w => w.Directive == "balance" && w.Location.Line == 29);
    }
}
