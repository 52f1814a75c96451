using System.Net;
using System.Net.Sockets;
using System.Text;
using Ha.Net.HealthChecks;
using Ha.Net.HealthChecks.Probes;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Haproxy;
using Ha.Net.Testing.Proxy;

namespace Ha.Net.Proxy.Tests.Configuration.Haproxy;

public sealed class HaproxyMapperTests
{
    private static HaproxyConfig Read(string text)
    {
        var result = HaproxyConfigReader.Parse(text, "map.cfg");
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Config!;
    }

    [Fact]
    public void Seed000_MapsToProxyOptions_TheRuntimeAccepts()
    {
        var config = HaproxyConfigReader.Load(HaproxyTestData.PathOf("seed000-dc1.haproxy.cfg")).GetConfigOrThrow();

        var mapping = HaproxyConfigMapper.ToProxyOptions(config);

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        Assert.Empty(mapping.Warnings);
        var o = mapping.Options!;
        Assert.Empty(ProxyOptionsValidator.Validate(o));
        Assert.Equal(4000, o.MaxConnections);

        // The stats page is the daemon's; only smtpdc1 -> emailservice is proxied.
        var fe = Assert.Single(o.Frontends);
        Assert.Equal(("smtpdc1", new IPEndPoint(IPAddress.Parse("10.0.10.3"), 25), "emailservice", 3000), (fe.Name, fe.Bind, fe.Backend, fe.MaxConnections));
        Assert.Equal(TimeSpan.FromMinutes(1), fe.ClientTimeout);
        Assert.True(fe.DontLogNull); // defaults' option dontlognull

        var be = Assert.Single(o.Backends);
        Assert.Equal(("emailservice", BalanceAlgorithm.RoundRobin, 3, true), (be.Name, be.Balance, be.Retries, be.Redispatch));
        Assert.Equal((TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)), (be.ConnectTimeout, be.QueueTimeout!.Value, be.ServerTimeout!.Value));
        Assert.Equal(["dc1server01", "dc1server02"], be.Servers.Select(s => s.Name));
        var s1 = be.Servers[0];
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.0.10.1"), 25), s1.Address);
        Assert.Equal((1, ServerAdminState.Ready, ProxyProtocolVersion.None), (s1.Weight, s1.InitialState, s1.SendProxy));
        var check = s1.Check!;
        Assert.Equal((TimeSpan.FromSeconds(2), 2, 3), (check.Interval, check.Rise, check.Fall));

        // min(timeout connect 10s, inter 2s) to connect, then timeout check 10s to read.
        Assert.Equal(TimeSpan.FromSeconds(12), check.Timeout);
        Assert.NotNull(mapping.CreateProbeFactory()("emailservice", s1));
    }

    [Fact]
    public async Task MappedOptions_RunInTheProxy_EndToEnd_OnLoopback()
    {
        using var echo = new TcpListener(IPAddress.Loopback, 0);
        echo.Start();
        var echoPort = ((IPEndPoint)echo.LocalEndpoint).Port;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var echoTask = Task.Run(async () =>
        {
            using var peer = await echo.AcceptTcpClientAsync(cts.Token);
            var stream = peer.GetStream();
            var buffer = new byte[64];
            var n = await stream.ReadAsync(buffer, cts.Token);
            await stream.WriteAsync(buffer.AsMemory(0, n), cts.Token);
        });

        var frontPort = ProxyTestClient.FreePort();
        var config = Read($"""
            global
                maxconn 100
            defaults
                mode tcp
                timeout connect 5s
                timeout client 30s
                timeout server 30s
            frontend fe
                bind 127.0.0.1:{frontPort}
                default_backend be
            backend be
                server s1 127.0.0.1:{echoPort}
            """);
        var mapping = HaproxyConfigMapper.ToProxyOptions(config);
        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));

        await using var proxy = TcpProxyFactory.Create(mapping.Options!, probeFactory: mapping.CreateProbeFactory());
        await proxy.StartAsync(cts.Token);
        var reply = new byte[5];
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, frontPort, cts.Token);
            var s = client.GetStream();
            await s.WriteAsync("hello"u8.ToArray(), cts.Token);
            await s.ReadExactlyAsync(reply, cts.Token);
            client.Client.Shutdown(SocketShutdown.Send);
            Assert.Equal(0, await s.ReadAsync(new byte[1], cts.Token));
        }

        Assert.Equal("hello", Encoding.ASCII.GetString(reply));
        await echoTask;
        await proxy.StopAsync(cts.Token);
    }

    [Fact]
    public async Task SmtpchkServers_GetAnSmtpProbe_ThatSpeaksHeloWithTheConfiguredDomain()
    {
        using var smtp = new TcpListener(IPAddress.Loopback, 0);
        smtp.Start();
        var port = ((IPEndPoint)smtp.LocalEndpoint).Port;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var heard = new List<string>();
        var server = Task.Run(async () =>
        {
            using var peer = await smtp.AcceptTcpClientAsync(cts.Token);
            var stream = peer.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await stream.WriteAsync("220 mx ESMTP\r\n"u8.ToArray(), cts.Token);
            heard.Add(await reader.ReadLineAsync(cts.Token) ?? "");
            await stream.WriteAsync("250 mx\r\n"u8.ToArray(), cts.Token);
            heard.Add(await reader.ReadLineAsync(cts.Token) ?? "");
            await stream.WriteAsync("221 bye\r\n"u8.ToArray(), cts.Token);
        });

        var config = Read($"""
            defaults
                mode tcp
                timeout connect 5s
            backend mail
                option smtpchk HELO haproxy
                server m1 127.0.0.1:{port} check
            """);
        var mapping = HaproxyConfigMapper.ToProxyOptions(config);
        var m1 = mapping.Options!.Backends[0].Servers[0];

        var result = await mapping.CreateProbeFactory()("mail", m1).ProbeAsync(cts.Token);

        await server;
        Assert.True(result.Passed, result.ToString());
        Assert.Equal(CheckStatus.L7Ok, result.Status);
        Assert.Equal(["HELO haproxy", "QUIT"], heard);
    }

    [Fact]
    public void HttpchkAndExpect_AndServerOptions_AreCarriedOver()
    {
        var config = Read("""
            defaults
                mode tcp
                timeout connect 1s
                timeout check 3s
            backend web
                balance leastconn
                option httpchk GET /health HTTP/1.1\r\nHost:\ app.example
                http-check expect status 200,204
                server w1 127.0.0.1:8080 check inter 5s fastinter 1s rise 1 fall 2 port 8081 weight 7 maxconn 9 maxqueue 4 slowstart 30s send-proxy-v2 backup disabled on-marked-down shutdown-sessions
            """);

        var mapping = HaproxyConfigMapper.ToProxyOptions(config);

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        var be = Assert.Single(mapping.Options!.Backends);
        Assert.Equal(BalanceAlgorithm.LeastConnections, be.Balance);
        var w1 = Assert.Single(be.Servers);
        Assert.Equal((7, 9, 4, true, ServerAdminState.Maintenance, ProxyProtocolVersion.V2, true), (w1.Weight, w1.MaxConnections, w1.MaxQueue, w1.Backup, w1.InitialState, w1.SendProxy, w1.ShutdownSessionsOnMarkedDown));
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), (TimeSpan?)null, 1, 2, (int?)8081), (w1.Check!.Interval, w1.Check.FastInterval!.Value, w1.Check.DownInterval, w1.Check.Rise, w1.Check.Fall, w1.Check.Port));
        Assert.Equal(TimeSpan.FromSeconds(4), w1.Check.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(30), w1.SlowStart);
        Assert.DoesNotContain(mapping.Warnings, w => w.ToString().Contains("slowstart", StringComparison.Ordinal));
        Assert.NotNull(mapping.CreateProbeFactory()("web", w1));
    }

    [Fact]
    public void AcceptProxy_OnABind_MapsToItsFrontend()
    {
        var config = Read(Base.Replace("    default_backend be\n", "    default_backend be\n    bind 127.0.0.1:26 accept-proxy\n", StringComparison.Ordinal));

        var mapping = HaproxyConfigMapper.ToProxyOptions(config);

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        var frontends = mapping.Options!.Frontends;
        Assert.Equal([false, true], frontends.Select(f => f.AcceptProxy));
        Assert.Equal(26, frontends[1].Bind.Port);
    }

    [Theory]
    [InlineData("    use_backend be if local\n    acl local src 127.0.0.1\n", 11, "use_backend", "conditions are not implemented")]
    [InlineData("    bind localhost:27\n", 11, "bind", "must be an IP address")]
    public void FrontendFeaturesTheRuntimeLacks_AreErrorsAtTheirLine(string extra, int line, string directive, string message)
    {
        var config = Read(Base.Replace("    default_backend be\n", "    default_backend be\n" + extra, StringComparison.Ordinal));

        var mapping = HaproxyConfigMapper.ToProxyOptions(config);

        Assert.Null(mapping.Options);
        var error = Assert.Single(mapping.Errors);
        Assert.Equal((directive, line), (error.Directive, error.Location.Line));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("    server s2 mail.example:25\n", "server", "must be an IP address")]
    [InlineData("    server s2 127.0.0.1\n", "server", "has no port")]
    [InlineData("    server s2 127.0.0.1:25 check addr 127.0.0.3\n", "server", "another address")]
    public void BackendFeaturesTheRuntimeLacks_AreErrorsAtTheirLine(string extra, string directive, string message)
    {
        var config = Read(Base + extra);

        var mapping = HaproxyConfigMapper.ToProxyOptions(config);

        var error = Assert.Single(mapping.Errors);
        Assert.Equal((directive, 13), (error.Directive, error.Location.Line));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ZeroTimeouts_MeanNoTimeout_AsInHaproxy()
    {
        var config = Read(Base.Replace("timeout client 30s", "timeout client 0", StringComparison.Ordinal).Replace("timeout connect 5s", "timeout connect 0", StringComparison.Ordinal));

        var mapping = HaproxyConfigMapper.ToProxyOptions(config);

        Assert.Null(mapping.Options!.Frontends[0].ClientTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), mapping.Options.Backends[0].ConnectTimeout);
        Assert.Null(mapping.Options.Backends[0].QueueTimeout);
        Assert.Contains(mapping.Warnings, w => w.Directive == "timeout connect" && w.Location.Line == 5);
    }

    [Fact]
    public void ListenSection_BecomesAFrontendAndABackend_AndMultipleAddressesGetNumberedFrontends()
    {
        var config = Read("""
            defaults
                timeout connect 2s
            listen both
                bind 127.0.0.1:3000,127.0.0.2:3000
                server s 127.0.0.1:3001
            """);

        var mapping = HaproxyConfigMapper.ToProxyOptions(config);

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        Assert.Equal([("both", "both"), ("both#2", "both")], mapping.Options!.Frontends.Select(f => (f.Name, f.Backend)));
        Assert.Equal("both", Assert.Single(mapping.Options.Backends).Name);
        Assert.Contains(mapping.Warnings, w => w.Directive == "bind");
    }

    [Fact]
    public void BalanceSource_MapsToTheSourceHash()
    {
        var mapping = HaproxyConfigMapper.ToProxyOptions(Read(Base + "    balance source\n"));

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        Assert.Equal(BalanceAlgorithm.Source, Assert.Single(mapping.Options!.Backends).Balance);
    }

    [Theory]
    [InlineData("", HashType.MapBased)]
    [InlineData("    hash-type map-based\n", HashType.MapBased)]
    [InlineData("    hash-type consistent\n", HashType.Consistent)]
    public void HashType_MapsToTheBackendsHashType(string line, HashType expected)
    {
        var mapping = HaproxyConfigMapper.ToProxyOptions(Read(Base + "    balance source\n" + line));

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        Assert.Equal(expected, Assert.Single(mapping.Options!.Backends).HashType);
    }

    [Fact]
    public void Observe_MapsIntoTheCheckOptions_AndWithoutCheckWarns()
    {
        var text = Base.Replace("    server s1 127.0.0.1:2526 check\n", "    server s1 127.0.0.1:2526 check observe layer4 error-limit 4 on-error fail-check\n    server s2 127.0.0.1:2527 observe layer4\n", StringComparison.Ordinal);

        var mapping = HaproxyConfigMapper.ToProxyOptions(Read(text));

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        var servers = Assert.Single(mapping.Options!.Backends).Servers;
        Assert.Equal((true, 4, Ha.Net.HealthChecks.ObservedErrorAction.FailCheck), (servers[0].Check!.ObserveLayer4, servers[0].Check!.ErrorLimit, servers[0].Check!.OnError));
        Assert.Null(servers[1].Check);
        Assert.Contains(mapping.Warnings, w => w.Message.Contains("'observe layer4' needs 'check'", StringComparison.Ordinal) && w.Location.Line == 13);
    }

    [Fact]
    public void RateLimitSessions_MapsToEachFrontend_AndOnSeveralAddressesWarnsThatItIsPerAddress()
    {
        var text = Base.Replace("    bind 127.0.0.1:2525\n", "    bind 127.0.0.1:2525,127.0.0.1:2527\n    rate-limit sessions 20\n", StringComparison.Ordinal);

        var mapping = HaproxyConfigMapper.ToProxyOptions(Read(text));

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        Assert.Equal([20, 20], mapping.Options!.Frontends.Select(f => f.RateLimitSessions));
        Assert.Contains(mapping.Warnings, w => w.Directive == "rate-limit" && w.Location.Line == 10 && w.Message.Contains("each of its 2 addresses", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TcpCheck_RulesBecomeTheProbesSteps_WithConfigEscapes_AndConnectPort()
    {
        await using var redis = new Ha.Net.Testing.HealthChecks.ScriptedServer(async c =>
        {
            if (await c.ReadLineAsync() == "PING")
            {
                await c.SendAsync("+PONG\r\n");
            }

            await c.WaitForClientCloseAsync(TimeSpan.FromSeconds(10));
        });
        var config = Read($"""
            defaults
                mode tcp
                timeout connect 5s
            backend redis
                option tcp-check
                tcp-check connect port {redis.EndPoint.Port}
                tcp-check send PING\r\n
                tcp-check expect string +PONG
                server r1 127.0.0.1:1 check
            """);
        var mapping = HaproxyConfigMapper.ToProxyOptions(config);
        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        var r1 = mapping.Options!.Backends[0].Servers[0];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var result = await mapping.CreateProbeFactory()("redis", r1).ProbeAsync(cts.Token);

        Assert.Equal((CheckStatus.L7Ok, "(tcp-check)"), (result.Status, result.Description));
        Assert.Equal("PING\r\n", (await redis.WaitForConnectionsAsync()).Single().Received);
    }

    // ------------------------------------------------------------------ splicing

    [Fact]
    public void NoSpliceSettings_KeepHaNetsDefaults_AutoAndAutomaticPipes()
    {
        var mapping = HaproxyConfigMapper.ToProxyOptions(Read(Base));

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        Assert.Empty(mapping.Warnings);
        var o = mapping.Options!;
        Assert.Equal((0, new ProxyOptions().PipeSize), (o.MaxPipes, o.PipeSize));
        Assert.Equal(SpliceModes.Auto, Assert.Single(o.Frontends).Splice);
        Assert.Equal(SpliceModes.Auto, Assert.Single(o.Backends).Splice);
    }

    [Fact]
    public void SpliceOptions_MapToEachSidesSpliceModes()
    {
        var text = Base.Replace("    default_backend be\n", "    default_backend be\n    option splice-request\n", StringComparison.Ordinal)
            + "    option splice-response\n";

        var mapping = HaproxyConfigMapper.ToProxyOptions(Read(text));

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        Assert.Empty(mapping.Warnings);
        Assert.Equal(SpliceModes.Auto | SpliceModes.Request, Assert.Single(mapping.Options!.Frontends).Splice);
        Assert.Equal(SpliceModes.Auto | SpliceModes.Response, Assert.Single(mapping.Options.Backends).Splice);
    }

    [Fact]
    public void SpliceOptionsInDefaults_AreInherited_AndNoOptionInASectionCancelsThem()
    {
        var text = Base.Replace("    mode tcp\n", "    mode tcp\n    option splice-request\n    option splice-response\n    no option splice-auto\n", StringComparison.Ordinal)
            .Replace("    default_backend be\n", "    default_backend be\n    no option splice-request\n", StringComparison.Ordinal)
            + "    option splice-auto\n    no option splice-response\n";

        var mapping = HaproxyConfigMapper.ToProxyOptions(Read(text));

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        Assert.Equal(SpliceModes.Response, Assert.Single(mapping.Options!.Frontends).Splice);
        Assert.Equal(SpliceModes.Auto | SpliceModes.Request, Assert.Single(mapping.Options.Backends).Splice);

        // The frontend's own 'no option splice-auto' came from defaults, and the backend sets auto itself: nothing to warn.
        Assert.Empty(mapping.Warnings);
    }

    [Fact]
    public void NoOptionSpliceAuto_InDefaults_TurnsAutoOffOnBothSides()
    {
        var text = Base.Replace("    mode tcp\n", "    mode tcp\n    no option splice-auto\n", StringComparison.Ordinal);

        var mapping = HaproxyConfigMapper.ToProxyOptions(Read(text));

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        Assert.Empty(mapping.Warnings);
        Assert.Equal(SpliceModes.None, Assert.Single(mapping.Options!.Frontends).Splice);
        Assert.Equal(SpliceModes.None, Assert.Single(mapping.Options.Backends).Splice);
    }

    [Theory]
    [InlineData("", "    no option splice-auto\n", 13, "backend 'be': 'no option splice-auto' does not stop splice-auto between backend 'be' and frontend 'fe'")]
    [InlineData("    no option splice-auto\n", "", 11, "frontend 'fe': 'no option splice-auto' does not stop splice-auto between frontend 'fe' and backend 'be'")]
    public void NoOptionSpliceAuto_OnOneSideOnly_WarnsThatTheOtherSideKeepsHaNetsDefault(string frontendLine, string backendLine, int line, string expected)
    {
        var text = Base.Replace("    default_backend be\n", "    default_backend be\n" + frontendLine, StringComparison.Ordinal) + backendLine;

        var mapping = HaproxyConfigMapper.ToProxyOptions(Read(text));

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        var warning = Assert.Single(mapping.Warnings);
        Assert.Equal(("option splice-auto", line), (warning.Directive, warning.Location.Line));
        Assert.Contains(expected, warning.Message, StringComparison.Ordinal);
        Assert.Contains("keeps Ha.Net's default", warning.Message, StringComparison.Ordinal);

        // Mapped as written: the cleared side has no mode, the other keeps auto, so their connections still splice-auto.
        var (fe, be) = (Assert.Single(mapping.Options!.Frontends).Splice, Assert.Single(mapping.Options.Backends).Splice);
        Assert.Equal(frontendLine.Length > 0 ? (SpliceModes.None, SpliceModes.Auto) : (SpliceModes.Auto, SpliceModes.None), (fe, be));
    }

    [Fact]
    public void NoOptionSpliceAuto_OnOneSide_WhileTheOtherSetsItExplicitly_DoesNotWarn()
    {
        var text = Base.Replace("    default_backend be\n", "    default_backend be\n    option splice-auto\n", StringComparison.Ordinal) + "    no option splice-auto\n";

        var mapping = HaproxyConfigMapper.ToProxyOptions(Read(text));

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        Assert.Empty(mapping.Warnings);
        Assert.Equal(SpliceModes.Auto, Assert.Single(mapping.Options!.Frontends).Splice);
        Assert.Equal(SpliceModes.None, Assert.Single(mapping.Options.Backends).Splice);
    }

    [Fact]
    public void ListenSection_SetsTheSpliceOfItsFrontendsAndOfItsBackend()
    {
        var config = Read("""
            defaults
                timeout connect 2s
                option splice-request
            listen both
                bind 127.0.0.1:3000,127.0.0.2:3000
                no option splice-auto
                option splice-response
                server s 127.0.0.1:3001
            """);

        var mapping = HaproxyConfigMapper.ToProxyOptions(config);

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        const SpliceModes expected = SpliceModes.Request | SpliceModes.Response;
        Assert.Equal([expected, expected], mapping.Options!.Frontends.Select(f => f.Splice));
        Assert.Equal(expected, Assert.Single(mapping.Options.Backends).Splice);
        Assert.DoesNotContain(mapping.Warnings, w => w.Directive == "option splice-auto");
    }

    [Fact]
    public void Nosplice_TurnsSplicingOffForEveryFrontendAndBackend()
    {
        var text = Base.Replace("    maxconn 100\n", "    maxconn 100\n    nosplice\n", StringComparison.Ordinal)
            .Replace("    mode tcp\n", "    mode tcp\n    option splice-request\n", StringComparison.Ordinal)
            .Replace("    default_backend be\n", "    default_backend be\n    no option splice-auto\n", StringComparison.Ordinal)
            + "    option splice-response\n"
            + "listen both\n    bind 127.0.0.1:3000\n    option splice-auto\n    server s 127.0.0.1:3001\n";

        var mapping = HaproxyConfigMapper.ToProxyOptions(Read(text));

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        Assert.Equal(2, mapping.Options!.Frontends.Count);
        Assert.Equal(2, mapping.Options.Backends.Count);
        Assert.All(mapping.Options.Frontends, f => Assert.Equal(SpliceModes.None, f.Splice));
        Assert.All(mapping.Options.Backends, b => Assert.Equal(SpliceModes.None, b.Splice));
        Assert.DoesNotContain(mapping.Warnings, w => w.Directive == "option splice-auto");
    }

    [Fact]
    public void MaxpipesAndPipesize_MapToProxyOptions_TheRuntimeAccepts()
    {
        var text = Base.Replace("    maxconn 100\n", "    maxconn 100\n    maxpipes 40\n    tune.pipesize 256k\n", StringComparison.Ordinal);

        var mapping = HaproxyConfigMapper.ToProxyOptions(Read(text));

        Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
        Assert.Equal((40, 262144), (mapping.Options!.MaxPipes, mapping.Options.PipeSize));
        Assert.Empty(ProxyOptionsValidator.Validate(mapping.Options));
    }

    [Fact]
    public void SmallestAndLargestPipesize_AreValidRuntimeOptions()
    {
        foreach (var (text, bytes) in new[] { ("1", 4096), ("64m", 64 * 1024 * 1024), ("0", 0) })
        {
            var mapping = HaproxyConfigMapper.ToProxyOptions(Read(Base.Replace("    maxconn 100\n", $"    maxconn 100\n    tune.pipesize {text}\n    maxpipes 0\n", StringComparison.Ordinal)));

            Assert.True(mapping.IsValid, string.Join("\n", mapping.Errors));
            Assert.Equal((bytes, 0), (mapping.Options!.PipeSize, mapping.Options.MaxPipes));
            Assert.Empty(ProxyOptionsValidator.Validate(mapping.Options));
        }
    }

    private const string Base = HaproxyTestData.MinimalConfig;
}
