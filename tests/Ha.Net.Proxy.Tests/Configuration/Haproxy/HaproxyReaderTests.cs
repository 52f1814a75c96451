using Ha.Net.Proxy.Haproxy;

namespace Ha.Net.Proxy.Tests.Configuration.Haproxy;

public sealed class HaproxyReaderTests
{
    private const string Base = HaproxyTestData.MinimalConfig;

    private static HaproxyConfigResult Parse(string text) => HaproxyConfigReader.Parse(text, "test.cfg");

    private static HaproxyConfig Valid(string text)
    {
        var result = Parse(text);
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Config!;
    }

    private static HaproxyDiagnostic SingleError(string text)
    {
        var result = Parse(text);
        Assert.Null(result.Config);
        return Assert.Single(result.Errors);
    }

    // ------------------------------------------------------------------ values

    [Theory]
    [InlineData("10", 10 * TimeSpan.TicksPerMillisecond)]
    [InlineData("10ms", 10 * TimeSpan.TicksPerMillisecond)]
    [InlineData("250us", 250 * TimeSpan.TicksPerMicrosecond)]
    [InlineData("10s", 10 * TimeSpan.TicksPerSecond)]
    [InlineData("1m", TimeSpan.TicksPerMinute)]
    [InlineData("2h", 2 * TimeSpan.TicksPerHour)]
    [InlineData("1d", TimeSpan.TicksPerDay)]
    public void TimeUnits_AreHaproxys_WithMillisecondsByDefault(string text, long ticks)
    {
        var c = Valid(Base + $"    timeout check {text}\n");

        Assert.Equal(TimeSpan.FromTicks(ticks), c.Find("be")!.Timeouts.Check);
    }

    [Fact]
    public void Defaults_AreInheritedByTheSectionsThatFollow_AndResetByTheNextDefaults()
    {
        var c = Valid("""
            defaults
                mode tcp
                balance leastconn
                retries 5
                option redispatch 2
                option tcpka
                option splice-auto
                default-server inter 3s fall 5
                timeout connect 1s
            backend a
                timeout connect 2s
                server s1 127.0.0.1:1 check
                server s2 127.0.0.1:2 check fall 1 weight 50
            defaults
                timeout connect 9s
            backend b
                no option redispatch
                server s3 127.0.0.1:3
            """);

        var a = c.Find("a")!;
        Assert.Equal((HaproxyBalanceAlgorithm.LeastConn, 5, 2), (a.Balance.Algorithm, a.Retries, a.Redispatch!.Value));
        Assert.True(a.ClientTcpKeepAlive && a.ServerTcpKeepAlive && a.SpliceAuto);
        Assert.Equal(TimeSpan.FromSeconds(2), a.Timeouts.Connect);
        Assert.Equal((TimeSpan.FromSeconds(3), 5, 1), (a.Servers[0].Inter, a.Servers[0].Fall, a.Servers[0].Weight));
        Assert.Equal((TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3)), (a.Servers[0].FastInter, a.Servers[0].DownInter));
        Assert.Equal((1, 50), (a.Servers[1].Fall, a.Servers[1].Weight));
        Assert.Equal(11, a.DirectiveLines["timeout connect"].Line);
        Assert.Equal(3, a.DirectiveLines["balance"].Line);

        var b = c.Find("b")!;
        Assert.Equal((HaproxyBalanceAlgorithm.RoundRobin, 3), (b.Balance.Algorithm, b.Retries));
        Assert.Null(b.Redispatch);
        Assert.False(b.ClientTcpKeepAlive);
        Assert.Equal(TimeSpan.FromSeconds(9), b.Timeouts.Connect);
        Assert.Equal((TimeSpan.FromSeconds(2), 3), (b.Servers[0].Inter, b.Servers[0].Fall));
    }

    [Fact]
    public void ServerOptions_AreRead()
    {
        var c = Valid(Base.Replace("server s1 127.0.0.1:2526 check", """
            server s1 127.0.0.1:2526 check inter 500ms fastinter 100 downinter 5s rise 4 fall 6 weight 0 maxconn 10 maxqueue 20 send-proxy-v2 check-send-proxy on-marked-down shutdown-sessions on-marked-up shutdown-backup-sessions port 8080 addr 127.0.0.2 id 7
                server s2 [::1]:25 backup disabled send-proxy
                server s3 localhost
            """, StringComparison.Ordinal));

        var s = c.Find("be")!.Servers;
        Assert.Equal((TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5)), (s[0].Inter, s[0].FastInter, s[0].DownInter));
        Assert.Equal((4, 6, 0, 10, 20), (s[0].Rise, s[0].Fall, s[0].Weight, s[0].MaxConn, s[0].MaxQueue));
        Assert.Equal((HaproxySendProxy.V2, true, true, true), (s[0].SendProxy, s[0].CheckSendProxy, s[0].ShutdownSessionsOnMarkedDown, s[0].ShutdownBackupSessionsOnMarkedUp));
        Assert.Equal(((int?)8080, "127.0.0.2", (int?)7), (s[0].CheckPort, s[0].CheckAddress, s[0].Id));
        Assert.Equal(("::1", (int?)25, true, true, HaproxySendProxy.V1, (int?)8), (s[1].Address, s[1].Port, s[1].Backup, s[1].Disabled, s[1].SendProxy, s[1].Id));
        Assert.Equal(("localhost", (int?)null, false), (s[2].Address, s[2].Port, s[2].Check));
    }

    [Fact]
    public void ChecksBindsBalanceAndConditions_AreRead()
    {
        var c = Valid("""
            frontend fe
                mode tcp
                bind 127.0.0.1:2525,127.0.0.2:2525 accept-proxy maxconn 50
                bind [::1]:2525 v6only
                bind :2626 interface lo
                acl local src 127.0.0.0/8
                acl smtps dst_port 465
                use_backend be2 if local !smtps || TRUE
                use_backend be2 unless smtps
                default_backend be
                maxconn 500
            backend be
                balance random(3)
                option httpchk GET /health HTTP/1.1
                http-check expect status 200-299
                http-check expect ! rstring ^down
                server s1 127.0.0.1:80 check
            backend be2
                balance source
                option smtpchk EHLO example.org
                server s1 127.0.0.1:25 check
            listen both
                bind 127.0.0.1:3000
                option httpchk /ping
                server s 127.0.0.1:3001
            """);

        var fe = c.Find("fe")!;
        Assert.Equal(["127.0.0.1:2525", "127.0.0.2:2525"], fe.Binds[0].Endpoints.Select(e => e.ToString()));
        Assert.Equal((true, (int?)50), (fe.Binds[0].AcceptProxy, fe.Binds[0].MaxConn));
        Assert.Equal(("[::1]:2525", (bool?)true), (fe.Binds[1].Endpoints[0].ToString(), fe.Binds[1].V6Only));
        Assert.Equal(("", 2626, "lo", true), (fe.Binds[2].Endpoints[0].Address, fe.Binds[2].Endpoints[0].Port, fe.Binds[2].Interface, fe.Binds[2].Endpoints[0].IsAny));
        Assert.Equal(["local", "smtps"], fe.Acls.Select(a => a.Name));
        Assert.Equal(("src", "127.0.0.0/8"), (fe.Acls[0].Fetch, fe.Acls[0].Values[0]));
        Assert.Equal("if local !smtps || TRUE", fe.UseBackends[0].Condition!.ToString());
        Assert.True(fe.UseBackends[1].Condition!.Negated);
        Assert.Equal(500, fe.MaxConn);

        var be = c.Find("be")!;
        Assert.Equal(new HaproxyBalance(HaproxyBalanceAlgorithm.Random, 3), be.Balance);
        Assert.Equal(new HaproxyHttpCheck("GET", "/health", "HTTP/1.1"), be.HttpCheck);
        Assert.Equal(
            [(HaproxyHttpExpectKind.Status, "200-299", false), (HaproxyHttpExpectKind.BodyRegex, "^down", true)],
            be.HttpCheckExpects.Select(e => (e.Kind, e.Pattern, e.Negated)));
        Assert.Equal(new HaproxySmtpCheck("EHLO", "example.org"), c.Find("be2")!.SmtpCheck);
        Assert.Equal(HaproxyBalanceAlgorithm.Source, c.Find("be2")!.Balance.Algorithm);
        var both = c.Find("both")!;
        Assert.Equal(new HaproxyHttpCheck("OPTIONS", "/ping", "HTTP/1.0"), both.HttpCheck);
        Assert.Contains(both, c.Frontends);
        Assert.Contains(both, c.Backends);
    }

    [Fact]
    public void StatsListen_IsTheStatsPage_WithEveryStatsDirective()
    {
        var c = Valid(Base + """
            listen stats
                bind 127.0.0.1:9000
                mode http
                stats enable
                stats uri /admin?stats
                stats realm Ha\ Net\ "stats"
                stats auth admin:secret
                stats auth ops:"two words"
                stats admin if LOCALHOST
                stats hide-version
                stats refresh 5s
                stats show-legends
                stats show-node lb1
            """);

        var page = Assert.Single(c.StatsPages);
        Assert.DoesNotContain(page, c.Frontends);
        var s = page.Stats!;
        Assert.Equal(("/admin?stats", "Ha Net stats", true), (s.Uri, s.Realm, s.HideVersion));
        Assert.Equal([new KeyValuePair<string, string>("admin", "secret"), new KeyValuePair<string, string>("ops", "two words")], s.Users);
        Assert.Equal("if LOCALHOST", s.Admin!.ToString());
        Assert.Equal((TimeSpan.FromSeconds(5), true, "lb1"), (s.Refresh!.Value, s.ShowLegends, s.ShowNode));
        Assert.Equal(20, s.DirectiveLines["stats auth"].Line);
    }

    [Fact]
    public void StatsAuth_DuplicatedUser_KeepsTheFirstPassword_AndWarnsAtTheLine_AsHaproxy()
    {
        // HAProxy 2.6.12: "[WARNING] config : uri auth: ignoring duplicated user 'admin'." and only the first
        // password opens the page (a password left behind by a rotation must not keep working).
        var result = Parse(Base + """
            listen stats
                bind 127.0.0.1:9000
                mode http
                stats uri /
                stats auth admin:pw-old
                stats auth ops:pw-ops
                stats auth admin:pw-new
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var s = result.Config!.StatsPages.Single().Stats!;
        Assert.Equal([new KeyValuePair<string, string>("admin", "pw-old"), new KeyValuePair<string, string>("ops", "pw-ops")], s.Users);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal(("stats auth", 19), (warning.Directive, warning.Location.Line));
        Assert.Equal("listen 'stats': uri auth: ignoring duplicated user 'admin' (the first, at test.cfg:17, is kept, as HAProxy does)", warning.Message);
    }

    [Theory]
    [InlineData("listen stats\n    bind 127.0.0.1:9000\n    mode http\n    stats auth Pw-S3cr3t-42\n")]
    [InlineData("listen stats\n    bind 127.0.0.1:9000\n    mode http\n    stats auth :Pw-S3cr3t-42\n")]
    [InlineData("listen stats\n    bind 127.0.0.1:9000\n    mode http\n    stats auth\n    stats auth admin:Pw-S3cr3t-42\n    stats auth admin:Pw-S3cr3t-42\n")]
    [InlineData("listen stats\n    bind 127.0.0.1:9000\n    mode http\n    stats auth admin:Pw-S3cr3t-42 trailing words\n    stats auht admin:Pw-S3cr3t-42\n")]
    [InlineData("listen stats\n    bind 127.0.0.1:9000\n    mode http\n    stats auth admin:\"Pw-S3cr3t-42\n")]
    [InlineData("listen stats\n    bind 127.0.0.1:9000\n    mode tcp\n    stats auth admin:Pw-S3cr3t-42\n")]
    [InlineData("frontend fe2\n    bind 127.0.0.1:1\n    default_backend be\n    stats auth admin:Pw-S3cr3t-42\n")]
    [InlineData("backend be2\n    stats auth admin:Pw-S3cr3t-42\n    server s 127.0.0.1:1\n")]
    [InlineData("global\n    stats auth admin:Pw-S3cr3t-42\n")]
    [InlineData("userlist u\n    user admin insecure-password Pw-S3cr3t-42\n")]
    [InlineData("defaults\n    stats auth Pw-S3cr3t-42\nlisten stats\n    bind 127.0.0.1:9000\n    stats uri /\n")]
    [InlineData("# listen stats bind *:9000 mode http stats auth Pw-S3cr3t-42 stats auth admin:Pw-S3cr3t-42 frontend x bind *:1 default_backend be\n")]
    public void StatsAuth_NoDiagnostic_RepeatsThePassword(string snippet)
    {
        // A malformed or misplaced 'stats auth' is reported at its line, never with the password in the text
        // (diagnostics end up in journals, CI logs and tickets).
        const string Password = "Pw-S3cr3t-42";
        foreach (var text in new[] { Base + snippet, snippet, "stats auth admin:" + Password + "\n" + Base })
        {
            var result = Parse(text);
            var findings = result.Diagnostics.Select(d => d.ToString()).ToList();
            if (result.Config is { } config)
            {
                findings.AddRange(HaproxyConfigMapper.ToProxyOptions(config).Diagnostics.Select(d => d.ToString()));
            }
            else
            {
                findings.Add(Assert.Throws<HaproxyConfigException>(() => result.GetConfigOrThrow()).Message);
            }

            Assert.All(findings, f => Assert.DoesNotContain("S3cr3t", f, StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("stats auth Pw-S3cr3t-42", "listen 'stats': 'stats auth' needs user:password (the value is not repeated here: it may hold a password)")]
    [InlineData("stats auth :Pw-S3cr3t-42", "listen 'stats': 'stats auth' needs a user name before ':' (the value is not repeated here: it may hold a password)")]
    public void StatsAuth_Malformed_IsAnErrorAtItsLine_WithoutTheValue(string line, string message)
    {
        var error = SingleError(Base + "listen stats\n    bind 127.0.0.1:9000\n    mode http\n    stats uri /\n    " + line + "\n");

        Assert.Equal(("stats auth", 17, message), (error.Directive, error.Location.Line, error.Message));
    }

    [Fact]
    public void StatsAuth_InASection_ReplacesTheUsersOfDefaults_AsHaproxy()
    {
        // HAProxy 2.6.12: a section's own 'stats' lines detach it from the defaults' stats settings, so
        // defaults' admin:pw-old no longer opens the page and admin:pw-new does (no warning).
        var result = Parse(Base + """
            defaults
                mode http
                stats auth admin:pw-old
                stats auth ops:pw-ops
            listen stats
                bind 127.0.0.1:9000
                mode http
                stats uri /
                stats auth admin:pw-new
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal([new KeyValuePair<string, string>("admin", "pw-new")], result.Config!.StatsPages.Single().Stats!.Users);
        Assert.DoesNotContain(result.Warnings, w => w.Directive == "stats auth");
    }

    // ------------------------------------------------------------------ observe

    [Fact]
    public void Observe_ErrorLimit_OnError_AreReadFromServerAndDefaultServer()
    {
        var c = Valid(Base.Replace("    server s1 127.0.0.1:2526 check\n", "    default-server on-error sudden-death\n    server s1 127.0.0.1:2526 check observe layer4 error-limit 5\n    server s2 127.0.0.1:2527 check on-error mark-down\n", StringComparison.Ordinal));

        var servers = c.Find("be")!.Servers;
        Assert.True(servers[0].ObserveLayer4);
        Assert.Equal(5, servers[0].ErrorLimit);
        Assert.Equal(Ha.Net.HealthChecks.ObservedErrorAction.SuddenDeath, servers[0].OnError);
        Assert.False(servers[1].ObserveLayer4);
        Assert.Equal(10, servers[1].ErrorLimit);
        Assert.Equal(Ha.Net.HealthChecks.ObservedErrorAction.MarkDown, servers[1].OnError);
    }

    [Theory]
    [InlineData("observe layer7", "'observe layer7' needs HTTP processing")]
    [InlineData("observe layer5", "'observe' expects 'none', 'layer4' or 'layer7', got 'layer5'")]
    [InlineData("on-error reboot", "'on-error' expects 'fastinter', 'fail-check', 'sudden-death' or 'mark-down', got 'reboot'")]
    [InlineData("error-limit 0", "error-limit")]
    public void Observe_BadValues_AreErrorsAtTheServerLine(string option, string expected)
    {
        var error = SingleError(Base.Replace("server s1 127.0.0.1:2526 check", "server s1 127.0.0.1:2526 check " + option, StringComparison.Ordinal));

        Assert.Equal(12, error.Location.Line);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    // ------------------------------------------------------------------ rate-limit

    [Fact]
    public void RateLimitSessions_InDefaults_ReachesFrontendsNotBackends_AndInABackendWarns()
    {
        var result = Parse(Base.Replace("    mode tcp\n", "    mode tcp\n    rate-limit sessions 50\n", StringComparison.Ordinal) + "    rate-limit sessions 5\n");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(50, result.Config!.Find("fe")!.RateLimitSessions);
        Assert.Equal(0, result.Config.Find("be")!.RateLimitSessions);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal((14, "rate-limit"), (warning.Location.Line, warning.Directive!));
        Assert.Contains("no effect in a backend", warning.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rate-limit connections 5", "supports only 'sessions', got 'connections'")]
    [InlineData("rate-limit sessions", "needs 'sessions' and a rate")]
    [InlineData("rate-limit sessions -1", "rate-limit sessions")]
    public void RateLimit_Malformed_IsAnErrorAtItsLine(string line, string expected)
    {
        var error = SingleError(Base.Replace("    default_backend be\n", "    default_backend be\n    " + line + "\n", StringComparison.Ordinal));

        Assert.Equal(11, error.Location.Line);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    // ------------------------------------------------------------------ tcp-check

    [Fact]
    public void TcpCheck_RulesInDefaults_AreInherited_UntilASectionWritesItsOwn()
    {
        var text = Base.Replace("    mode tcp\n", "    mode tcp\n    option tcp-check\n    tcp-check send PING\\r\\n\n    tcp-check expect string +PONG\n", StringComparison.Ordinal)
            + "backend other\n    tcp-check send-binary 0a0b\n    tcp-check expect rstring ^OK\n    tcp-check expect binary 0d0a comment \"end\"\n    server s2 127.0.0.1:2527 check\n";

        var c = Valid(text);

        var be = c.Find("be")!;
        Assert.True(be.TcpCheck);
        Assert.Equal([(HaproxyTcpCheckKind.Send, "PING\r\n"), (HaproxyTcpCheckKind.ExpectString, "+PONG")], be.TcpCheckRules.Select(r => (r.Kind, r.Pattern)));
        Assert.Equal(
            [(HaproxyTcpCheckKind.SendBinary, "0a0b"), (HaproxyTcpCheckKind.ExpectRegex, "^OK"), (HaproxyTcpCheckKind.ExpectBinary, "0d0a")],
            c.Find("other")!.TcpCheckRules.Select(r => (r.Kind, r.Pattern)));
    }

    [Theory]
    [InlineData("tcp-check expect ! string +OK", "a negated match")]
    [InlineData("tcp-check expect rbinary 0a", "'tcp-check expect rbinary' is not supported")]
    [InlineData("tcp-check expect string +OK min-recv 3", "option 'min-recv' is not supported")]
    [InlineData("tcp-check send-binary 0g", "not an even number of hex digits")]
    [InlineData("tcp-check expect rstring (", "'tcp-check expect rstring (':")]
    [InlineData("tcp-check set-var(check.x) int(1)", "'tcp-check set-var(check.x)' is not supported")]
    public void TcpCheck_UnsupportedOrMalformedRules_AreErrorsAtTheirLine(string line, string expected)
    {
        var error = SingleError(Base + "    option tcp-check\n    " + line + "\n");

        Assert.Equal(14, error.Location.Line);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TcpCheck_ConnectAfterAnotherRule_IsAnError_AndRulesWithoutTheOptionWarn()
    {
        var error = SingleError(Base + "    option tcp-check\n    tcp-check send x\n    tcp-check connect port 2600\n");
        Assert.Equal(15, error.Location.Line);
        Assert.Contains("must be the first rule", error.Message, StringComparison.Ordinal);

        var result = Parse(Base + "    tcp-check send x\n");
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Contains(result.Warnings, w => w.Location.Line == 13 && w.Message.Contains("no effect without 'option tcp-check'", StringComparison.Ordinal));
    }

    // ------------------------------------------------------------------ hash-type

    [Fact]
    public void HashType_InDefaults_IsInheritedByBackends_ABackendOverridesIt()
    {
        var text = Base.Replace("    mode tcp\n", "    mode tcp\n    hash-type consistent\n", StringComparison.Ordinal)
            + "backend other\n    hash-type map-based\n    server s2 127.0.0.1:2527\n";

        var c = Valid(text);

        Assert.Equal(HaproxyHashType.Consistent, c.Find("be")!.HashType);
        Assert.Equal(HaproxyHashType.MapBased, c.Find("other")!.HashType);
    }

    [Fact]
    public void HashType_WithAFunctionAndAvalanche_WarnsThatNeitherIsApplied()
    {
        var result = Parse(Base + "    balance source\n    hash-type consistent sdbm avalanche\n");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(HaproxyHashType.Consistent, result.Config!.Find("be")!.HashType);
        Assert.Equal([(14, "hash-type"), (14, "hash-type")], result.Warnings.Select(w => (w.Location.Line, w.Directive!)));
        Assert.Contains("'sdbm' is not applied", result.Warnings[0].Message, StringComparison.Ordinal);
        Assert.Contains("'avalanche' is not applied", result.Warnings[1].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hash-type ring", "unknown hash-type method 'ring'")]
    [InlineData("hash-type", "hash-type")]
    [InlineData("hash-type consistent md5", "unexpected 'md5'")]
    public void HashType_Malformed_IsAnErrorAtItsLine(string line, string expected)
    {
        var error = SingleError(Base + "    " + line + "\n");

        Assert.Equal(13, error.Location.Line);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    // ------------------------------------------------------------------ splicing

    [Fact]
    public void SpliceOptions_NeverWritten_ReadAsHaNetsDefault_AutoOnly_AndNoPipeSettings()
    {
        var result = Parse(Base);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Empty(result.Warnings);
        Assert.All(result.Config!.Proxies, p => Assert.Equal((true, false, false), (p.SpliceAuto, p.SpliceRequest, p.SpliceResponse)));
        var g = result.Config.Global;
        Assert.Equal(((int?)null, (int?)null, false), (g.MaxPipes, g.PipeSize, g.NoSplice));
    }

    [Fact]
    public void SpliceOptions_AreReadInDefaultsFrontendBackendAndListen_Inherited_AndNoOptionClearsThem()
    {
        var c = Valid("""
            defaults
                mode tcp
                timeout connect 5s
                option splice-request
                no option splice-auto
            frontend fe
                bind 127.0.0.1:2525
                default_backend be
                option splice-response
                no option splice-request
            backend be
                option splice-auto
                server s1 127.0.0.1:2526
            listen both
                bind 127.0.0.1:2527
                option splice-response
                server s2 127.0.0.1:2528
            defaults
                mode tcp
                no option splice-response
            backend fresh
                server s3 127.0.0.1:2529
            """);

        var fe = c.Find("fe")!;
        Assert.Equal((false, false, true), (fe.SpliceAuto, fe.SpliceRequest, fe.SpliceResponse));
        Assert.Equal((5, 10), (fe.DirectiveLines["option splice-auto"].Line, fe.DirectiveLines["option splice-request"].Line));
        var be = c.Find("be")!;
        Assert.Equal((true, true, false), (be.SpliceAuto, be.SpliceRequest, be.SpliceResponse));
        Assert.Equal((12, 4), (be.DirectiveLines["option splice-auto"].Line, be.DirectiveLines["option splice-request"].Line));
        var both = c.Find("both")!;
        Assert.Equal((false, true, true), (both.SpliceAuto, both.SpliceRequest, both.SpliceResponse));

        // A new defaults section starts again from Ha.Net's default (auto on).
        var fresh = c.Find("fresh")!;
        Assert.Equal((true, false, false), (fresh.SpliceAuto, fresh.SpliceRequest, fresh.SpliceResponse));
    }

    [Theory]
    [InlineData("option splice-auto on", "'option splice-auto' cannot handle unexpected argument 'on'")]
    [InlineData("no option splice-response now", "'option splice-response' cannot handle unexpected argument 'now'")]
    public void SpliceOption_WithAnArgument_IsAnErrorAtItsLine_AsInHaproxy(string line, string expected)
    {
        var error = SingleError(Base + "    " + line + "\n");

        Assert.Equal(13, error.Location.Line);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxpipesPipesizeAndNosplice_AreReadFromGlobal_WithoutWarnings()
    {
        var result = Parse(Base.Replace("    maxconn 100\n", "    maxconn 100\n    maxpipes 250\n    tune.pipesize 262144\n    nosplice\n", StringComparison.Ordinal));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Empty(result.Warnings);
        var g = result.Config!.Global;
        Assert.Equal(((int?)250, (int?)262144, true), (g.MaxPipes, g.PipeSize, g.NoSplice));
        Assert.Equal((3, 4, 5), (g.DirectiveLines["maxpipes"].Line, g.DirectiveLines["tune.pipesize"].Line, g.DirectiveLines["nosplice"].Line));
    }

    [Theory]
    [InlineData("0", 0, null)]
    [InlineData("4096", 4096, null)]
    [InlineData("1048576", 1048576, null)]
    [InlineData("67108864", 67108864, null)]
    [InlineData("64k", 65536, "HAProxy 2.6 ignores the suffix and reads 64 bytes")]
    [InlineData("512K", 524288, "read as 524288 bytes")]
    [InlineData("1m", 1048576, "read as 1048576 bytes")]
    [InlineData("64M", 67108864, "read as 67108864 bytes")]
    [InlineData("1000", 4096, "the kernel rounds a pipe up to one page, so Ha.Net uses 4096 bytes")]
    public void TunePipesize_IsASize_WithHaproxysSuffixes(string text, int expected, string? warning)
    {
        var result = Parse(Base.Replace("    maxconn 100\n", $"    maxconn 100\n    tune.pipesize {text}\n", StringComparison.Ordinal));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(expected, result.Config!.Global.PipeSize);
        if (warning is null)
        {
            Assert.Empty(result.Warnings);
        }
        else
        {
            var w = Assert.Single(result.Warnings);
            Assert.Equal((3, "tune.pipesize"), (w.Location.Line, w.Directive!));
            Assert.Contains(warning, w.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("tune.pipesize", "'tune.pipesize' needs a size in bytes")]
    [InlineData("tune.pipesize 64kb", "must be a size in bytes (a number with an optional k, m or g suffix), got '64kb'")]
    [InlineData("tune.pipesize 1.5m", "got '1.5m'")]
    [InlineData("tune.pipesize -4096", "got '-4096'")]
    [InlineData("tune.pipesize k", "got 'k'")]
    [InlineData("tune.pipesize 64t", "got '64t'")]
    [InlineData("tune.pipesize 67108865", "must be at most 67108864 bytes (64m) in Ha.Net, got '67108865'")]
    [InlineData("tune.pipesize 1g", "must be at most 67108864 bytes (64m) in Ha.Net, got '1g'")]
    [InlineData("tune.pipesize 4096 8192", "'tune.pipesize' cannot handle unexpected argument '8192'")]
    [InlineData("maxpipes", "'maxpipes' needs a number")]
    [InlineData("maxpipes -1", "'maxpipes' must be an integer between 0 and 2147483647, got '-1'")]
    [InlineData("maxpipes 1k", "got '1k'")]
    [InlineData("maxpipes many", "got 'many'")]
    [InlineData("maxpipes 10 20", "'maxpipes' cannot handle unexpected argument '20'")]
    [InlineData("nosplice now", "'nosplice' cannot handle unexpected argument 'now'")]
    public void PipeSettings_Malformed_AreErrorsAtTheirLine(string line, string expected)
    {
        var error = SingleError(Base.Replace("    maxconn 100\n", $"    maxconn 100\n    {line}\n", StringComparison.Ordinal));

        Assert.Equal(("test.cfg", 3), (error.Location.File, error.Location.Line));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("test.cfg:3: error: ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Maxpipes_Twice_KeepsTheFirst_WithAWarning_AsHaproxyDoes()
    {
        var result = Parse(Base.Replace("    maxconn 100\n", "    maxconn 100\n    maxpipes 64\n    maxpipes 128\n", StringComparison.Ordinal));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(64, result.Config!.Global.MaxPipes);
        Assert.Equal(3, result.Config.Global.DirectiveLines["maxpipes"].Line);
        var w = Assert.Single(result.Warnings);
        Assert.Equal((4, "maxpipes"), (w.Location.Line, w.Directive!));
        Assert.Contains("already set at test.cfg:3", w.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PipeSettings_OnAOneLineLayout_AreSplitAtTheirKeywords()
    {
        var result = Parse("# cfg global nosplice maxpipes 32 tune.pipesize 128k maxconn 100 defaults mode tcp timeout connect 5s " +
            "frontend fe bind 127.0.0.1:2525 default_backend be backend be no option splice-auto server s1 127.0.0.1:2526\n");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var g = result.Config!.Global;
        Assert.Equal(((int?)32, (int?)131072, true, (int?)100), (g.MaxPipes, g.PipeSize, g.NoSplice, g.MaxConn));
        Assert.False(result.Config.Find("be")!.SpliceAuto);
        Assert.True(result.Config.Find("fe")!.SpliceAuto);
    }

    // ------------------------------------------------------------------ warnings

    [Fact]
    public void UnknownAndUnsupportedDirectives_Warn_WithLine()
    {
        var result = Parse(Base + "    fullconn 100\n    hash-balance-factor 150\nglobal\n    tune.bufsize 16384\n    wibble 1\npeers p\n    peer a 127.0.0.1:1\n");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(
            [(13, "fullconn"), (14, "hash-balance-factor"), (16, "tune.bufsize"), (17, "wibble"), (18, "peers")],
            result.Warnings.Select(w => (w.Location.Line, w.Directive!)));
        Assert.Contains("not supported", result.Warnings[1].Message, StringComparison.Ordinal);
        Assert.Contains("not supported", result.Warnings[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AKeywordHaproxyDoesNotKnow_InAProxySection_IsRefusedAtItsLine_InHaproxysWords()
    {
        // HAProxy 2.6: "parsing [haproxy.cfg:14] : unknown keyword 'frobnicate' in 'backend' section", fatal (-c exits 1).
        var result = Parse(Base + "    frobnicate yes\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal((13, "unknown keyword 'frobnicate' in 'backend' section"), (error.Location.Line, error.Message));
    }

    [Fact]
    public void Layer7OptionsInTcpMode_AreIgnoredWithAWarning_AsHaproxyDoes()
    {
        var result = Parse(Base + "    option forwardfor\n    http-request deny\n");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal([13, 14], result.Warnings.Select(w => w.Location.Line));
        Assert.All(result.Warnings, w => Assert.Contains("requires mode http", w.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void ModeHttp_InheritedByProxyingSections_IsRefusedAtItsLine_NamingModeTcp()
    {
        // Ha.Net has no HTTP mode: it used to run these sections as tcp (no X-Forwarded-For, no httplog) with a
        // warning, and -c exited 0.
        var result = Parse(Base.Replace("    mode tcp\n", "    mode http\n    option httplog\n", StringComparison.Ordinal));

        Assert.Null(result.Config);
        Assert.Equal([(4, "mode", "frontend 'fe'"), (4, "mode", "backend 'be'")], result.Errors.Select(e => (e.Location.Line, e.Directive!, e.Message[..e.Message.IndexOf(':', StringComparison.Ordinal)])));
        Assert.All(result.Errors, e => Assert.Contains("'mode http' (inherited from defaults) is not supported", e.Message, StringComparison.Ordinal));
        Assert.All(result.Errors, e => Assert.Contains("write 'mode tcp' in the section or in its defaults", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void ModeHttp_InASectionItself_IsRefusedAtThatLine_WhileAStatsOnlyListenStaysHttp()
    {
        var result = Parse(Base.Replace("\nbackend be\n", "\nbackend be\n    mode http\n", StringComparison.Ordinal) + """
            listen web
                bind 127.0.0.1:8080
                mode http
                server w 127.0.0.1:80
            listen stats
                bind 127.0.0.1:9000
                mode http
                stats uri /
            """);

        Assert.Equal([(12, "backend 'be'"), (16, "listen 'web'")], result.Errors.Select(e => (e.Location.Line, e.Message[..e.Message.IndexOf(':', StringComparison.Ordinal)])));
        Assert.All(result.Errors, e => Assert.Contains("'mode http' is not supported: Ha.Net has no HTTP mode", e.Message, StringComparison.Ordinal));
        Assert.All(result.Errors, e => Assert.Contains("write 'mode tcp' to forward them unchanged", e.Message, StringComparison.Ordinal));
        Assert.DoesNotContain(result.Diagnostics, d => d.Message.Contains("listen 'stats'", StringComparison.Ordinal));
    }

    // ------------------------------------------------------------------ errors: one per class

    [Fact]
    public void HttpSectionWithLayer7Features_IsRefused_NamingSectionFeatureAndLine()
    {
        var result = Parse(Base.Replace("    default_backend be\n", "    mode http\n    option forwardfor\n    http-request set-header X-A b\n    default_backend be\n", StringComparison.Ordinal));

        Assert.Equal((10, "mode"), (result.Errors[0].Location.Line, result.Errors[0].Directive));
        Assert.StartsWith("frontend 'fe': 'mode http' is not supported", result.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(
            [(11, "option", "'option forwardfor'"), (12, "http-request", "'http-request'")],
            result.Errors.Skip(1).Select(e => (e.Location.Line, e.Directive!, e.Message.Contains("'option forwardfor'", StringComparison.Ordinal) ? "'option forwardfor'" : "'http-request'")));
        Assert.All(result.Errors.Skip(1), e => Assert.StartsWith("frontend 'fe' (mode http at test.cfg:10)", e.Message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("    timeout queue 10x\n", "timeout queue", "not a valid time")]
    [InlineData("    timeout queue 3000000000\n", "timeout queue", "not a valid time")]
    [InlineData("    timeout sideways 1s\n", "timeout", "unknown timeout 'sideways'")]
    [InlineData("    balance nonsense\n", "balance", "unknown balance algorithm")]
    [InlineData("    balance hash src\n", "balance", "not supported")]
    [InlineData("    server s2 127.0.0.1:70000\n", "server", "between 1 and 65535")]
    [InlineData("    server s2\n", "server", "has no address")]
    [InlineData("    server s2 127.0.0.1:1 chekc\n", "server", "unknown server option 'chekc'")]
    [InlineData("    server s2 127.0.0.1:1 weight 300\n", "server s2 weight", "between 0 and 256")]
    [InlineData("    server s2 127.0.0.1:1 ssl verify none\n", "server", "TLS to servers")]
    [InlineData("    server s1 127.0.0.1:9\n", "server", "defined twice")]
    [InlineData("    server s2 256.1.1.1.1:1\n", "server", "neither an IP address nor a host name")]
    [InlineData("    option mysql-check\n", "option mysql-check", "not supported")]
    [InlineData("    bind 127.0.0.1:1\n", "bind", "not valid in backend 'be'")]
    [InlineData("    retries many\n", "retries", "must be an integer")]
    [InlineData("    http-check expect status abc\n", "http-check expect", "not a status code")]
    [InlineData("    stats socket /tmp/x\n", "stats socket", "only valid in the global section")]
    public void InvalidBackendLine_IsRefused_AtItsLine(string line, string directive, string message)
    {
        var error = SingleError(Base + line);

        Assert.Equal((directive, 13, "test.cfg"), (error.Directive, error.Location.Line, error.Location.File));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("test.cfg:13: error: ", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("    bind 127.0.0.1\n", "bind", "has no port")]
    [InlineData("    bind 127.0.0.1:1000-1010\n", "bind", "ranges or offsets")]
    [InlineData("    bind 127.0.0.1:443 ssl\n", "bind", "needs 'crt")]
    [InlineData("    bind /run/x.sock\n", "bind", "not supported")]
    [InlineData("    bind 127.0.0.1:1 transparent\n", "bind", "not supported")]
    [InlineData("    use_backend nowhere\n", "use_backend", "does not name a backend")]
    [InlineData("    use_backend be if unknown_acl\n", "use_backend", "unknown ACL 'unknown_acl'")]
    [InlineData("    use_backend be if { src 127.0.0.1 }\n", "use_backend", "anonymous ACLs")]
    [InlineData("    use_backend be when TRUE\n", "use_backend", "expected 'if' or 'unless'")]
    [InlineData("    acl api path_beg /api\n", "acl", "cannot be evaluated in tcp mode")]
    [InlineData("    server s9 127.0.0.1:1\n", "server", "not valid in frontend 'fe'")]
    [InlineData("    mode udp\n", "mode", "must be tcp or http")]
    public void InvalidFrontendLine_IsRefused_AtItsLine(string line, string directive, string message)
    {
        var text = Base.Replace("    default_backend be\n", "    default_backend be\n" + line, StringComparison.Ordinal);

        var error = SingleError(text);

        Assert.Equal((directive, 11), (error.Directive, error.Location.Line));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TlsTerminationOnAProxyingFrontend_IsRefused()
    {
        var error = SingleError(Base.Replace("bind 127.0.0.1:2525", "bind 127.0.0.1:2525 ssl crt /etc/ssl/x.pem", StringComparison.Ordinal));

        Assert.Equal(("bind", 9), (error.Directive, error.Location.Line));
        Assert.Contains("TLS termination", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DirectiveOutsideAnySection_IsRefused()
    {
        var error = SingleError("maxconn 10\n" + Base);

        Assert.Equal(("maxconn", 1), (error.Directive, error.Location.Line));
    }

    [Fact]
    public void FrontendWithoutBind_AndUnknownDefaultBackend_AreRefused()
    {
        var result = Parse(Base.Replace("    bind 127.0.0.1:2525\n    default_backend be\n", "    default_backend nope\n", StringComparison.Ordinal));

        Assert.Equal([("default_backend", 9), ("bind", 8)], result.Errors.Select(e => (e.Directive!, e.Location.Line)));
    }

    [Fact]
    public void UnterminatedQuote_IsRefused()
    {
        var error = SingleError(Base + "    description \"half\n");

        Assert.Equal(13, error.Location.Line);
        Assert.Contains("unterminated double quote", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateProxyNames_AreRefused()
    {
        var error = SingleError(Base + "frontend fe\n    bind 127.0.0.1:1\n    default_backend be\n");

        Assert.Equal(("frontend", 13), (error.Directive, error.Location.Line));
        Assert.Contains("same name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AllErrors_AreCollectedTogether_AndTheExceptionListsThem()
    {
        var result = Parse(Base + "    timeout server forever\n    balance wrr\n    server s2 127.0.0.1:0\n");

        Assert.Equal([13, 14, 15], result.Errors.Select(e => e.Location.Line));
        var ex = Assert.Throws<HaproxyConfigException>(() => result.GetConfigOrThrow());
        Assert.Equal(3, ex.Errors.Count);
        Assert.Contains("test.cfg:14: error:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DevZero_IsRefusedAtTheSizeBound_NamingTheFile()
    {
        // HAProxy 2.6.12 answers "parsing [/dev/zero:1]: Stray NUL character at position 1."; Ha.Net read it
        // whole (4.3 GB, then aborted). Now it stops at 16 MiB.
        var result = HaproxyConfigReader.Load("/dev/zero");

        var error = Assert.Single(result.Errors);
        Assert.Null(result.Config);
        Assert.Equal(new HaproxySourceLine("/dev/zero", 0), error.Location);
        Assert.Equal("cannot read configuration file: it holds more than 16 MiB (16777216 bytes), the most Ha.Net reads from a configuration file", error.Message);
    }

    [Fact]
    public void Load_AFileJustOverTheBound_IsRefused_AndOneAtTheBoundIsRead()
    {
        var path = Path.GetTempFileName();
        try
        {
            var text = Base + "#" + new string('x', 16 * 1024 * 1024 - Base.Length - 2) + "\n";
            File.WriteAllText(path, text);
            Assert.Equal(16 * 1024 * 1024, new FileInfo(path).Length);
            Assert.True(HaproxyConfigReader.Load(path).IsValid);

            File.AppendAllText(path, "\n");
            var error = Assert.Single(HaproxyConfigReader.Load(path).Errors);
            Assert.Equal((path, 0), (error.Location.File, error.Location.Line));
            Assert.Contains("more than 16 MiB", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void NulCharacter_IsAnErrorAtItsLine_AndNothingAfterItIsRead_AsHaproxy()
    {
        var result = Parse("global\n    maxconn 10\n\0\0\0ELF\x01\n    bogus line\nfrontend\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal(3, error.Location.Line);
        Assert.StartsWith("stray NUL character at position 1", error.Message, StringComparison.Ordinal);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void MissingFile_IsAnError_NotAnException()
    {
        var result = HaproxyConfigReader.Load("/nonexistent-hanet/haproxy.cfg");

        Assert.Single(result.Errors);
        Assert.Throws<HaproxyConfigException>(() => HaproxyConfigReader.LoadOrThrow("/nonexistent-hanet/haproxy.cfg"));
    }
}
