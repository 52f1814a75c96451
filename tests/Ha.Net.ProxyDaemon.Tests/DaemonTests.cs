using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Ha.Net.ProxyDaemon.Tests;

public sealed class CheckModeTests
{
    [Fact]
    public async Task Check_Seed000LikeConfig_IsValid()
    {
        var dir = Directory.CreateTempSubdirectory("hanet-proxyd-c-");
        try
        {
            var cfg = Path.Combine(dir.FullName, "haproxy.cfg");
            await File.WriteAllTextAsync(cfg, Seed000Setup.Config(Path.Combine(dir.FullName, "s"), 9000, 2525, 2526, 2527));
            var (code, stdout, stderr) = await ProxyDaemon.RunToEndAsync("-c", "-f", cfg);
            Assert.True(code == 0, stderr);
            Assert.Contains("Configuration file is valid", stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("[ALERT]", stderr, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Check_Seed000AsWritten_OneLineLayout_IsValidAsideFromItsCertificateDirectory()
    {
        // Seed 000's DC1 haproxy.cfg exactly as the post prints it (one line); its 'ssl crt /etc/pki/tls/private/'
        // does not exist here, so the only error is that one, located at the line.
        var seed = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Seeds", "000-dc1-haproxy.cfg"));
        var dir = Directory.CreateTempSubdirectory("hanet-proxyd-c-");
        try
        {
            var cfg = Path.Combine(dir.FullName, "haproxy.cfg");
            await File.WriteAllTextAsync(cfg, seed + "\n");
            var (code, _, stderr) = await ProxyDaemon.RunToEndAsync("-c", "-f", cfg);
            Assert.Equal(1, code);
            var alerts = stderr.Split('\n').Where(l => l.Contains(": error: ", StringComparison.Ordinal)).ToList();
            var alert = Assert.Single(alerts);
            Assert.Contains($"{cfg}:1: error: stats page 'stats': 'bind ... ssl crt /etc/pki/tls/private/'", alert, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Check_SeveralFiles_ErrorsNameTheirOwnFileAndLine()
    {
        var dir = Directory.CreateTempSubdirectory("hanet-proxyd-c-");
        try
        {
            var first = Path.Combine(dir.FullName, "10-global.cfg");
            var second = Path.Combine(dir.FullName, "20-proxies.cfg");
            await File.WriteAllTextAsync(first, "global\n    maxconn 100\ndefaults\n    mode tcp\n    timeout connect 1s\n");
            await File.WriteAllTextAsync(second,
                "frontend fe\n    bind 127.0.0.1:2525\n    default_backend be\nbackend be\n    balance nonsense\n    server s1 127.0.0.1:70000\n");
            var (code, stdout, stderr) = await ProxyDaemon.RunToEndAsync("-c", "-f", first, "-f", second);
            Assert.Equal(1, code);
            Assert.DoesNotContain("valid", stdout, StringComparison.Ordinal);
            Assert.Contains($"{second}:5: error: backend 'be': unknown balance algorithm 'nonsense'", stderr, StringComparison.Ordinal);
            Assert.Contains($"{second}:6: error:", stderr, StringComparison.Ordinal);
            Assert.Contains("70000", stderr, StringComparison.Ordinal);

            // A directory is read as its *.cfg files in order, as HAProxy does.
            var (dirCode, _, dirErr) = await ProxyDaemon.RunToEndAsync("-c", "-f", dir.FullName);
            Assert.Equal(1, dirCode);
            Assert.Contains($"{second}:5:", dirErr, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Check_StatsSslWithoutUsablePem_IsRefusedAtTheBindLine()
    {
        var dir = Directory.CreateTempSubdirectory("hanet-proxyd-c-");
        try
        {
            var cfg = Path.Combine(dir.FullName, "haproxy.cfg");
            var pem = Path.Combine(dir.FullName, "nokey.pem");
            await File.WriteAllTextAsync(pem, "not a certificate\n");
            await File.WriteAllTextAsync(cfg, $"listen stats\n    bind 127.0.0.1:9000 ssl crt {pem}\n    mode http\n    stats enable\n");
            var (code, _, stderr) = await ProxyDaemon.RunToEndAsync("-c", "-f", cfg);
            Assert.Equal(1, code);
            Assert.Contains($"{cfg}:2: error: stats page 'stats'", stderr, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Check_AcceptProxy_IsTakenOnAProxyingFrontend_ButRefusedOnTheStatsPage()
    {
        var dir = Directory.CreateTempSubdirectory("hanet-proxyd-c-");
        try
        {
            var cfg = Path.Combine(dir.FullName, "haproxy.cfg");
            await File.WriteAllTextAsync(cfg,
                "defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n" +
                "frontend smtp\n    bind 127.0.0.1:2525 accept-proxy\n    default_backend mx\n" +
                "backend mx\n    server mx1 127.0.0.1:2526\n");
            var (good, _, goodErr) = await ProxyDaemon.RunToEndAsync("-c", "-f", cfg);
            Assert.True(good == 0, goodErr);

            await File.AppendAllTextAsync(cfg, "listen stats\n    bind 127.0.0.1:9000 accept-proxy\n    mode http\n    stats enable\n");
            var (code, _, stderr) = await ProxyDaemon.RunToEndAsync("-c", "-f", cfg);
            Assert.Equal(1, code);
            Assert.Contains($"{cfg}:12: error: stats page 'stats': 'accept-proxy' is not implemented on the stats page", stderr, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Check_SpliceKeywords_AreReadWithoutWarnings_AndABadPipesizeIsRefusedAtItsLine()
    {
        var dir = Directory.CreateTempSubdirectory("hanet-proxyd-c-");
        try
        {
            var cfg = Path.Combine(dir.FullName, "haproxy.cfg");
            const string Rest =
                "defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n    no option splice-auto\n" +
                "frontend smtp\n    bind 127.0.0.1:2525\n    option splice-request\n    default_backend mx\n" +
                "backend mx\n    option splice-response\n    server mx1 127.0.0.1:2526\n";
            await File.WriteAllTextAsync(cfg, "global\n    maxpipes 64\n    tune.pipesize 131072\n    nosplice\n" + Rest);
            var (good, goodOut, goodErr) = await ProxyDaemon.RunToEndAsync("-c", "-f", cfg);
            Assert.True(good == 0, goodErr);
            Assert.Contains("Configuration file is valid", goodOut, StringComparison.Ordinal);
            Assert.DoesNotContain("WARNING", goodErr, StringComparison.Ordinal);

            await File.WriteAllTextAsync(cfg, "global\n    maxpipes 64\n    tune.pipesize 64kb\n" + Rest);
            var (code, _, stderr) = await ProxyDaemon.RunToEndAsync("-c", "-f", cfg);
            Assert.Equal(1, code);
            Assert.Contains($"{cfg}:3: error: 'tune.pipesize' must be a size in bytes", stderr, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Check_MalformedStatsAuth_IsRefusedAtItsLine_AndNoOutputRepeatsThePassword()
    {
        var dir = Directory.CreateTempSubdirectory("hanet-proxyd-c-");
        try
        {
            var cfg = Path.Combine(dir.FullName, "haproxy.cfg");
            await File.WriteAllTextAsync(cfg,
                "listen stats\n    bind 127.0.0.1:9000\n    mode http\n    stats uri /\n" +
                "    stats auth :Pw-S3cr3t-42\n    stats auth Pw-S3cr3t-42\n    stats auth admin:Pw-S3cr3t-42\n    stats auth admin:Pw-S3cr3t-43\n");
            var (code, stdout, stderr) = await ProxyDaemon.RunToEndAsync("-c", "-f", cfg);
            Assert.Equal(1, code);
            Assert.Contains($"{cfg}:5: error: listen 'stats': 'stats auth' needs a user name before ':'", stderr, StringComparison.Ordinal);
            Assert.Contains($"{cfg}:6: error: listen 'stats': 'stats auth' needs user:password", stderr, StringComparison.Ordinal);
            Assert.Contains($"{cfg}:8: warning: listen 'stats': uri auth: ignoring duplicated user 'admin'", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("S3cr3t", stdout + stderr, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Check_DevZero_IsRefusedAtTheSizeBound_NamingTheFile()
    {
        // It used to read /dev/zero whole: 4.3 GB, then the runtime aborted.
        var (code, _, stderr) = await ProxyDaemon.RunToEndAsync("-c", "-f", "/dev/zero");
        Assert.Equal(1, code);
        Assert.Contains("/dev/zero:0: error: cannot read configuration file: it holds more than 16 MiB", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_ReadsAPipe_AsHaproxyReadsDevStdin()
    {
        var dir = Directory.CreateTempSubdirectory("hanet-proxyd-c-");
        try
        {
            var fifo = Path.Combine(dir.FullName, "haproxy.cfg");
            Assert.Equal(0, Ha.Net.Testing.Environment.ProcessRunner.TryRun("mkfifo", [fifo], TimeSpan.FromSeconds(10)).Code);
            var check = ProxyDaemon.RunToEndAsync("-c", "-f", fifo);
            await File.WriteAllTextAsync(fifo, Seed000Setup.Config(Path.Combine(dir.FullName, "s"), 9000, 2525, 2526, 2527));
            var (code, stdout, stderr) = await check;
            Assert.True(code == 0, stderr);
            Assert.Contains("Configuration file is valid", stdout, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task NoConfig_IsAnError()
    {
        var (code, _, stderr) = await ProxyDaemon.RunToEndAsync();
        Assert.Equal(1, code);
        Assert.Contains("No configuration file", stderr, StringComparison.Ordinal);
    }
}

public sealed class DaemonTests
{
    private static HttpClient Client(bool auth, bool acceptAnyCertificate = false)
    {
        var handler = new HttpClientHandler { AllowAutoRedirect = false };
        if (acceptAnyCertificate)
        {
            handler.ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator;
        }

        var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };
        if (auth)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Seed000Setup.User}:{Seed000Setup.Password}")));
        }

        return client;
    }

    [Fact]
    public async Task Seed000_RoundRobinsMailAcrossBothBackends()
    {
        await using var setup = await Seed000Setup.StartAsync();
        var names = await FakeSmtp.BannersAsync(setup.SmtpPort, 6);
        Assert.Equal(3, names.Count(n => n == "dc1server01"));
        Assert.Equal(3, names.Count(n => n == "dc1server02"));
        Assert.Contains("smtpdc1 emailservice/dc1server0", setup.Daemon.Output, StringComparison.Ordinal); // tcplog line
        Assert.Equal(setup.Daemon.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            (await File.ReadAllTextAsync(Path.Combine(setup.Directory, "haproxy.pid"))).Trim());
        Assert.Contains("global 'user' is ignored", setup.Daemon.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatsPage_AsksForCredentials_ThenServesHtmlAndCsv()
    {
        await using var setup = await Seed000Setup.StartAsync();
        using var anonymous = Client(auth: false);
        using var unauthorized = await anonymous.GetAsync(new Uri(setup.StatsUrl()));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        var challenge = Assert.Single(unauthorized.Headers.WwwAuthenticate);
        Assert.Equal("Basic", challenge.Scheme);
        Assert.Equal("realm=\"HAProxy Statistics\"", challenge.Parameter);

        using var wrong = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("admin:nope"u8.ToArray()));
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync(new Uri(setup.StatsUrl()))).StatusCode);

        using var client = Client(auth: true);
        var html = await client.GetStringAsync(new Uri(setup.StatsUrl()));
        Assert.Contains("Statistics Report", html, StringComparison.Ordinal);
        Assert.Contains(">emailservice<", html, StringComparison.Ordinal);
        Assert.Contains(">dc1server01<", html, StringComparison.Ordinal);
        Assert.Contains("<select name=action", html, StringComparison.Ordinal); // stats admin if TRUE
        Assert.Contains("value=\"drain\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("version", html, StringComparison.Ordinal);       // stats hide-version

        var csv = await client.GetStringAsync(new Uri(setup.StatsUrl() + ";csv"));
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("smtpdc1,FRONTEND,", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("emailservice,dc1server02,", StringComparison.Ordinal) && l.Split(',')[17] == "UP");
    }

    [Fact]
    public async Task StatsPage_AdminPost_DrainsTheServer()
    {
        await using var setup = await Seed000Setup.StartAsync();
        using var client = Client(auth: true);
        var html = await client.GetStringAsync(new Uri(setup.StatsUrl()));
        var backendId = html.Split("name=\"b\" value=\"")[1].Split('"')[0];
        using var post = await client.PostAsync(new Uri(setup.StatsUrl()), new FormUrlEncodedContent(
            [new("s", "dc1server01"), new("action", "maint"), new("b", backendId)]));
        Assert.Equal(HttpStatusCode.SeeOther, post.StatusCode);
        Assert.Equal("/;st=DONE", post.Headers.Location!.OriginalString);
        Assert.Equal("MAINT", await setup.StatusAsync("dc1server01"));
        Assert.All(await FakeSmtp.BannersAsync(setup.SmtpPort, 4), n => Assert.Equal("dc1server02", n));

        // Without credentials the form is refused like the page.
        using var anonymous = Client(auth: false);
        using var denied = await anonymous.PostAsync(new Uri(setup.StatsUrl()), new FormUrlEncodedContent(
            [new("s", "dc1server01"), new("action", "ready"), new("b", backendId)]));
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        Assert.Equal("MAINT", await setup.StatusAsync("dc1server01"));
    }

    [Fact]
    public async Task RuntimeSocket_StateAndWeight_ChangeWhereNewConnectionsGo()
    {
        await using var setup = await Seed000Setup.StartAsync();
        Assert.Equal("\n", await setup.SocketCommandAsync("set server emailservice/dc1server01 state drain"));
        Assert.Equal("DRAIN", await setup.StatusAsync("dc1server01"));
        Assert.All(await FakeSmtp.BannersAsync(setup.SmtpPort, 4), n => Assert.Equal("dc1server02", n));

        var state = await setup.SocketCommandAsync("show servers state emailservice");
        var s1 = state.Split('\n').Select(l => l.Split(' ')).First(f => f.Length > 8 && f[3] == "dc1server01");
        Assert.Equal("8", s1[6]); // srv_admin_state: SRV_ADMF_DRAIN

        // Several commands on one line; disable = maint, enable = ready; weight 0 takes no new connection.
        await setup.SocketCommandAsync("set server emailservice/dc1server01 state ready; set server emailservice/dc1server02 weight 0");
        Assert.All(await FakeSmtp.BannersAsync(setup.SmtpPort, 4), n => Assert.Equal("dc1server01", n));
        await setup.SocketCommandAsync("set server emailservice/dc1server02 weight 1;disable server emailservice/dc1server01");
        Assert.Equal("MAINT", await setup.StatusAsync("dc1server01"));
        Assert.All(await FakeSmtp.BannersAsync(setup.SmtpPort, 4), n => Assert.Equal("dc1server02", n));
        await setup.SocketCommandAsync("enable server emailservice/dc1server01");
        var names = await FakeSmtp.BannersAsync(setup.SmtpPort, 4);
        Assert.Equal(2, names.Count(n => n == "dc1server01"));

        Assert.Equal("No such server.\n\n", await setup.SocketCommandAsync("set server emailservice/nope state drain"));
        Assert.Equal("No such backend.\n\n", await setup.SocketCommandAsync("disable server nope/dc1server01"));
        var info = await setup.SocketCommandAsync("show info");
        Assert.Contains("Pid: " + setup.Daemon.Id, info, StringComparison.Ordinal);

        // HAProxy's place for the pipe lines: after CumConns. Seed 000's maxconn 4000 and no maxpipes: a quarter, as HAProxy sizes it.
        Assert.Matches(@"\nCurrConns: \d+\nCumConns: \d+\nMaxpipes: 1000\nPipesUsed: \d+\nPipesFree: \d+\nNbthread: \d+\n\n$", info);
        Assert.Contains("set server <bk>/<srv> state", await setup.SocketCommandAsync("help"), StringComparison.Ordinal);

        // The TCP socket without 'level' is operator, as HAProxy: reads yes, changes no.
        Assert.StartsWith("# pxname,svname,", await setup.SocketCommandAsync("show stat", operatorSocket: true), StringComparison.Ordinal);
        Assert.Equal("Permission denied\n\n", await setup.SocketCommandAsync("disable server emailservice/dc1server02", operatorSocket: true));
        Assert.Equal("UP", await setup.StatusAsync("dc1server02"));
    }

    [Fact]
    public async Task RuntimeSocket_ShowServersStateAndWeights_AnswerAsHaproxy26()
    {
        // Every expected value below is what HAProxy 2.6.12 answers for the same configuration and commands.
        await using var setup = await Seed000Setup.StartAsync(editConfig: c => c.TrimEnd('\n') + "\n    server spare 127.0.0.1:9 rise 5 disabled\n    server plain 127.0.0.1:9 rise 5 weight 0\n");
        async Task<string[]> State(string server) =>
            (await setup.SocketCommandAsync("show servers state emailservice")).Split('\n').Select(l => l.Split(' ')).First(f => f.Length > 8 && f[3] == server);
        string Fields(string[] f, params int[] at) => string.Join(' ', at.Select(i => f[i]));
        static async Task<bool> Delay()
        {
            await Task.Delay(100);
            return true;
        }

        int[] columns = [5, 6, 7, 8, 10, 11, 12, 13]; // op_state admin_state uweight iweight check_status check_result check_health check_state

        // smtpchk passed: L7OK is HCHK_STATUS_L7OKD = 15, CHK_RES_PASSED = 3, health rise+fall-1 = 3 (rise 1, fall 3), configured|enabled.
        // (Until its first check ends a server is UP with status INI, 1, as in HAProxy: wait for that check.)
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((await State("dc1server01"))[10] == "1" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal("2 0 1 1 15 3 3 6", Fields(await State("dc1server01"), columns));

        // 'disabled' = FMAINT|CMAINT (5), stopped, checks paused; no check: status INI (1), result unknown.
        Assert.Equal("0 5 1 1 1 0 0 8", Fields(await State("spare"), columns));

        // No check, weight 0: running, not drain (a weight of 0 is not the drain flag), health = rise.
        Assert.Equal("2 0 0 0 1 0 5 0", Fields(await State("plain"), columns));

        // Drain, then 50% of weight 1: the weight is truncated to 0 and the server stays in drain (0x08).
        Assert.Equal("\n", await setup.SocketCommandAsync("set server emailservice/dc1server01 state drain"));
        Assert.Equal("\n", await setup.SocketCommandAsync("set server emailservice/dc1server01 weight 50%"));
        Assert.Equal("2 8 0 1", Fields(await State("dc1server01"), 5, 6, 7, 8));
        Assert.Equal("DRAIN", await setup.StatusAsync("dc1server01"));

        // 150% of 1 is 1 (truncated, not rounded to 2).
        Assert.Equal("\n", await setup.SocketCommandAsync("set server emailservice/dc1server01 weight 150%"));
        Assert.Equal("1", (await State("dc1server01"))[7]);

        // Maintenance: stopped (0), FMAINT (1), health 0, checks paused (0x0E).
        Assert.Equal("\n", await setup.SocketCommandAsync("set server emailservice/dc1server01 state maint"));
        Assert.Equal("0 1 0 14", Fields(await State("dc1server01"), 5, 6, 12, 13));

        // HAProxy's answers to bad weights.
        Assert.Equal("Absolute weight can only be between 0 and 256 inclusive.\n\n", await setup.SocketCommandAsync("set server emailservice/dc1server02 weight 300"));
        Assert.Equal("Empty weight string empty or preceded by garbage\n", await setup.SocketCommandAsync("set server emailservice/dc1server02 weight x"));
        Assert.Equal("Trailing garbage in weight string\n", await setup.SocketCommandAsync("set server emailservice/dc1server02 weight 5x"));
        Assert.Equal("Relative weight must be positive.\n\n", await setup.SocketCommandAsync("set server emailservice/dc1server02 weight -5%"));
        Assert.Equal("Require <weight> or <weight%>.\n\n", await setup.SocketCommandAsync("set server emailservice/dc1server02 weight"));
        Assert.Equal("\n", await setup.SocketCommandAsync("set server emailservice/dc1server02 weight 30000%"));
        Assert.Equal("256", (await State("dc1server02"))[7]);

        // show stat: counters HAProxy prints as 0 in tcp mode are 0. (dc1server02's first check, drawn within
        // one interval, may not have ended yet: wait for it, as for dc1server01's above.)
        string[] csv;
        string[] header;
        string[] s2;
        do
        {
            csv = (await setup.SocketCommandAsync("show stat")).Split('\n');
            header = csv[0][2..].Split(',');
            s2 = csv.Select(l => l.Split(',')).First(f => f.Length > 40 && f[0] == "emailservice" && f[1] == "dc1server02");
        }
        while (s2[Array.IndexOf(header, "check_status")] == "INI" && DateTime.UtcNow < deadline + TimeSpan.FromSeconds(20) && await Delay());
        Assert.Equal(("0", "0"), (s2[Array.IndexOf(header, "dresp")], s2[Array.IndexOf(header, "eresp")]));

        // The smtpchk's check_code is QUIT's 221: HAProxy reports the last reply it checked.
        Assert.Equal(("L7OK", "221"), (s2[Array.IndexOf(header, "check_status")], s2[Array.IndexOf(header, "check_code")]));
    }

    [Fact]
    public async Task HealthTransitions_AreLoggedOnce_WithHaproxysReason()
    {
        // HAProxy 2.6.12 logs one line per transition, e.g. "Server be/h1 is DOWN, reason: Layer7 wrong status,
        // code: 503, info: "X", check duration: 0ms. 0 active and 0 backup servers left. ..."; Ha.Net logged
        // two (the health monitor's event 4001 "Health check ... is DOWN" and the proxy's 3020).
        await using var setup = await Seed000Setup.StartAsync();
        setup.Server1.Kill();
        await setup.WaitForStatusAsync("dc1server01", "DOWN");
        setup.Server1.Restart();
        await setup.WaitForStatusAsync("dc1server01", "UP");
        await setup.Daemon.ExpectOutputAsync("dc1server01 is UP", TimeSpan.FromSeconds(10));
        await Task.Delay(300); // nothing else may follow

        var transitions = setup.Daemon.Output.Split('\n')
            .Where(l => l.Contains("dc1server01", StringComparison.Ordinal) && (l.Contains(" is DOWN", StringComparison.Ordinal) || l.Contains(" is UP", StringComparison.Ordinal)))
            .ToList();
        Assert.Equal(2, transitions.Count);
        // The reason depends on where the kill caught the check (refused at connect, or reset mid-dialogue).
        Assert.Matches(@"Server emailservice/dc1server01 is DOWN, reason: [A-Z][^,]+, (code: \d+, )?info: ""[^""]*"", check duration: \d+ms\.", transitions[0]);
        Assert.Contains("Server emailservice/dc1server01 is UP, reason: Layer7 check passed, code: 2", transitions[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShowInfo_ReportsTheConfiguredMaxpipes()
    {
        await using var setup = await Seed000Setup.StartAsync(editConfig: c => c.Replace("    maxconn 4000\n", "    maxconn 4000\n    maxpipes 64\n    tune.pipesize 128k\n", StringComparison.Ordinal));

        var info = await setup.SocketCommandAsync("show info");

        Assert.Matches(@"\nCumConns: \d+\nMaxpipes: 64\nPipesUsed: \d+\nPipesFree: \d+\n", info);
        Assert.DoesNotContain("maxpipes", setup.Daemon.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RuntimeSocket_PromptMode_AnswersSeveralLines()
    {
        await using var setup = await Seed000Setup.StartAsync();
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(setup.SocketPath), cts.Token);
        await socket.SendAsync("prompt\nshow info\nset server emailservice/dc1server02 state maint\nquit\n"u8.ToArray(), System.Net.Sockets.SocketFlags.None, cts.Token);
        var answer = new StringBuilder();
        var buffer = new byte[4096];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, cts.Token)) > 0)
        {
            answer.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }

        Assert.StartsWith("> Name: Ha.Net\n", answer.ToString(), StringComparison.Ordinal);
        Assert.EndsWith("\n> \n> ", answer.ToString(), StringComparison.Ordinal);
        Assert.Equal("MAINT", await setup.StatusAsync("dc1server02"));
    }

    [Fact]
    public async Task Sighup_ReloadsKeepingServerStateAndCounters_SigtermStops()
    {
        await using var setup = await Seed000Setup.StartAsync();
        await FakeSmtp.BannersAsync(setup.SmtpPort, 2);
        await setup.SocketCommandAsync("set server emailservice/dc1server01 state drain");

        // A bad edit is refused and the running configuration stays.
        var good = await File.ReadAllTextAsync(setup.ConfigPath);
        await File.WriteAllTextAsync(setup.ConfigPath, good.Replace("balance roundrobin", "balance nonsense", StringComparison.Ordinal));
        setup.Daemon.Signal("HUP");
        await setup.Daemon.ExpectOutputAsync("Reload refused", TimeSpan.FromSeconds(30));
        Assert.Contains($"{setup.ConfigPath}:", setup.Daemon.Output, StringComparison.Ordinal);

        // A good edit (a third server) is applied; drain state and counters survive.
        var third = FakeSmtp.Start("dc1server03");
        await using (third)
        {
            await File.WriteAllTextAsync(setup.ConfigPath, good + $"    server dc1server03 127.0.0.1:{third.EndPoint.Port} check inter 300 rise 1\n");
            setup.Daemon.Signal("HUP");
            await setup.Daemon.ExpectOutputAsync("Reload complete", TimeSpan.FromSeconds(30));
            await setup.WaitForStatusAsync("dc1server03", "UP");
            Assert.Equal("DRAIN", await setup.StatusAsync("dc1server01"));
            var csv = await setup.SocketCommandAsync("show stat");
            var fe = csv.Split('\n').First(l => l.StartsWith("smtpdc1,FRONTEND,", StringComparison.Ordinal)).Split(',');
            Assert.Equal("2", fe[7]); // stot kept across the reload
            var names = await FakeSmtp.BannersAsync(setup.SmtpPort, 4);
            Assert.DoesNotContain("dc1server01", names);
            Assert.Contains("dc1server03", names);

            setup.Daemon.Signal("TERM");
            Assert.True(await setup.Daemon.WaitForExitAsync(TimeSpan.FromSeconds(60)), setup.Daemon.Output);
            Assert.Equal(0, setup.Daemon.ExitCode);
            Assert.Contains("SIGTERM received", setup.Daemon.Output, StringComparison.Ordinal);
            Assert.False(File.Exists(setup.SocketPath));
        }
    }

    [Fact]
    public async Task Sigusr1_SoftStop_LetsALiveSessionFinish()
    {
        await using var setup = await Seed000Setup.StartAsync();
        using var client = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, setup.SmtpPort), cts.Token);
        var buffer = new byte[256];
        Assert.True(await client.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, cts.Token) > 0); // 220 banner

        setup.Daemon.Signal("USR1");
        await setup.Daemon.ExpectOutputAsync("soft-stop", TimeSpan.FromSeconds(30));

        // New connections are refused once the listener is closed; the live session still talks.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, setup.SmtpPort), cts.Token);
            }
            catch (System.Net.Sockets.SocketException)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the frontend kept accepting after SIGUSR1");
            await Task.Delay(100, cts.Token);
        }

        await client.SendAsync("NOOP\r\n"u8.ToArray(), System.Net.Sockets.SocketFlags.None, cts.Token);
        var n = await client.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, cts.Token);
        Assert.StartsWith("250 ", Encoding.ASCII.GetString(buffer, 0, n), StringComparison.Ordinal);
        await client.SendAsync("QUIT\r\n"u8.ToArray(), System.Net.Sockets.SocketFlags.None, cts.Token);
        while (await client.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, cts.Token) > 0)
        {
        }

        client.Close(); // the session ends normally, so the soft stop completes without the hard stop
        Assert.True(await setup.Daemon.WaitForExitAsync(TimeSpan.FromSeconds(60)), setup.Daemon.Output);
        Assert.Equal(0, setup.Daemon.ExitCode);
        Assert.DoesNotContain("Hard stop", setup.Daemon.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatsPage_OverTls_FromAPemFile()
    {
        // HAProxy's crt: one PEM holding the certificate and its key; a directory of them works too.
        await using var setup = await Seed000Setup.StartAsync(" ssl crt {dir}/tls/", prepare: dir =>
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            Directory.CreateDirectory(Path.Combine(dir, "tls"));
            File.WriteAllText(Path.Combine(dir, "tls", "stats.pem"), cert.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n");
        });
        using var client = Client(auth: true, acceptAnyCertificate: true);
        var csv = await client.GetStringAsync(new Uri(setup.StatsUrl("https") + ";csv"));
        Assert.Contains("emailservice,dc1server01,", csv, StringComparison.Ordinal);
        Assert.Contains("(https, uri /)", setup.Daemon.Output, StringComparison.Ordinal);
    }
}
