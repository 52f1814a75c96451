using System.Net;
using Ha.Net.HealthChecks.Probes;
using Ha.Net.Testing.Environment;
using Ha.Net.Testing.HealthChecks;

namespace Ha.Net.HealthChecks.Tests.Probes;

/// <summary>The HTTP check against scripted servers (edges) and a real nginx.</summary>
public class HttpProbeTests
{
    private static async Task<CheckResult> Probe(HttpProbeOptions options, int timeoutMs = 10_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        return await HealthProbes.Http(options).ProbeAsync(cts.Token);
    }

    private static Func<ScriptedConnection, Task> Respond(string response, bool hang = false) => async c =>
    {
        await c.ReadHttpRequestHeadAsync();
        await c.SendAsync(response);
        if (hang)
        {
            await c.HangAsync();
        }
    };

    [Fact]
    public async Task Request_IsHttp11_WithMethodPathHostAndClose()
    {
        IReadOnlyList<string>? head = null;
        await using var server = new ScriptedServer(async c =>
        {
            head = await c.ReadHttpRequestHeadAsync();
            await c.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        });
        var result = await Probe(new HttpProbeOptions
        {
            EndPoint = server.EndPoint, Method = "HEAD", Path = "/healthz?full=1", Host = "api.example",
            Headers = [new("X-Check", "ha-net")],
        });
        Assert.Equal(CheckStatus.L7Ok, result.Status);
        Assert.Equal(200, result.Code);
        Assert.Equal("HTTP status 200 OK", result.Description);
        Assert.NotNull(head);
        Assert.Equal("HEAD /healthz?full=1 HTTP/1.1", head[0]);
        Assert.Contains("Host: api.example", head);
        Assert.Contains("Connection: close", head);
        Assert.Contains("X-Check: ha-net", head);
    }

    [Fact]
    public async Task DefaultHost_IsTheEndpointWithItsPort()
    {
        IReadOnlyList<string>? head = null;
        await using var server = new ScriptedServer(async c =>
        {
            head = await c.ReadHttpRequestHeadAsync();
            await c.SendAsync("HTTP/1.1 204 No Content\r\n\r\n");
        });
        var result = await Probe(new HttpProbeOptions { EndPoint = server.EndPoint });
        Assert.Equal(CheckStatus.L7Ok, result.Status);
        Assert.Contains($"Host: 127.0.0.1:{server.EndPoint.Port}", head!);
        Assert.Equal("GET / HTTP/1.1", head![0]);
    }

    [Fact]
    public async Task UnexpectedStatus_IsL7Sts_WithCodeReasonAndTheExpectation()
    {
        await using var server = new ScriptedServer(Respond("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"));
        var result = await Probe(new HttpProbeOptions { EndPoint = server.EndPoint });
        Assert.Equal(CheckStatus.L7Status, result.Status);
        Assert.Equal(503, result.Code);
        Assert.Equal("HTTP status 503 Service Unavailable (expected 200-399)", result.Description);
    }

    [Fact]
    public async Task StatusRanges_AreHonoured()
    {
        await using var server = new ScriptedServer(Respond("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
        var ok = await Probe(new HttpProbeOptions { EndPoint = server.EndPoint, ExpectedStatus = HttpStatusRange.ParseList("200-299,404") });
        Assert.Equal(CheckStatus.L7Ok, ok.Status);
        var bad = await Probe(new HttpProbeOptions { EndPoint = server.EndPoint, ExpectedStatus = HttpStatusRange.ParseList("200") });
        Assert.Equal(CheckStatus.L7Status, bad.Status);
        Assert.Equal("HTTP status 404 Not Found (expected 200)", bad.Description);
    }

    [Theory]
    [InlineData("200-299,302", "200-299,302")]
    [InlineData(" 204 ", "204")]
    public void StatusList_Parses(string text, string formatted) =>
        Assert.Equal(formatted, string.Join(",", HttpStatusRange.ParseList(text)));

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("299-200")]
    [InlineData("700")]
    public void StatusList_RejectsNonsense(string text) =>
        Assert.Throws<FormatException>(() => HttpStatusRange.ParseList(text));

    [Fact]
    public async Task BodyMatch_ContentLength_ChunkedAndUntilClose()
    {
        await using var cl = new ScriptedServer(Respond("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nstatus: ready", hang: true));
        Assert.Equal(CheckStatus.L7Ok, (await Probe(new HttpProbeOptions { EndPoint = cl.EndPoint, BodyContains = "ready" })).Status);

        await using var chunked = new ScriptedServer(Respond("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nstatus:\r\n6\r\n rea\r\n\r\n2\r\ndy\r\n0\r\n\r\n", hang: true));
        var r = await Probe(new HttpProbeOptions { EndPoint = chunked.EndPoint, BodyContains = "status: rea\r\ndy" });
        Assert.Equal(CheckStatus.L7Ok, r.Status);

        await using var close = new ScriptedServer(Respond("HTTP/1.0 200 OK\r\n\r\nall ready here"));
        Assert.Equal(CheckStatus.L7Ok, (await Probe(new HttpProbeOptions { EndPoint = close.EndPoint, BodyContains = "ready" })).Status);
    }

    [Fact]
    public async Task BodyMismatch_IsL7Rsp()
    {
        await using var server = new ScriptedServer(Respond("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nstarting"));
        var result = await Probe(new HttpProbeOptions { EndPoint = server.EndPoint, BodyContains = "ready" });
        Assert.Equal(CheckStatus.L7Response, result.Status);
        Assert.Equal(200, result.Code);
        Assert.Equal("HTTP content check did not match 'ready' (HTTP status 200 OK)", result.Description);
    }

    [Fact]
    public async Task ServerThatNeverCloses_PassesOnceTheResponseIsComplete()
    {
        await using var server = new ScriptedServer(Respond("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nready", hang: true));
        var result = await Probe(new HttpProbeOptions { EndPoint = server.EndPoint, BodyContains = "ready" }, timeoutMs: 10_000);
        Assert.Equal(CheckStatus.L7Ok, result.Status);
    }

    [Fact]
    public async Task BodyShorterThanPromised_ThenSilence_IsL7Timeout()
    {
        await using var server = new ScriptedServer(Respond("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nready?", hang: true));
        var result = await Probe(new HttpProbeOptions { EndPoint = server.EndPoint, BodyContains = "never", ReadTimeout = TimeSpan.FromMilliseconds(300) });
        Assert.Equal(CheckStatus.L7Timeout, result.Status);
        Assert.Equal("Timeout waiting for HTTP response", result.Description);
    }

    [Fact]
    public async Task NoResponse_IsL7Timeout()
    {
        await using var server = new ScriptedServer(c => c.HangAsync());
        var result = await Probe(new HttpProbeOptions { EndPoint = server.EndPoint }, timeoutMs: 3000);
        Assert.Equal(CheckStatus.L7Timeout, result.Status);
        Assert.Equal("Timeout waiting for HTTP response", result.Description);
    }

    [Theory]
    [InlineData("220 mx.example ESMTP\r\n", "Invalid HTTP response: '220 mx.example ESMTP..'")]
    [InlineData("HTTP/1.1 abc nope\r\n\r\n", "Invalid HTTP status line: 'HTTP/1.1 abc nope'")]
    [InlineData("HTTP/2.0 200 OK\r\n\r\n", "Invalid HTTP status line: 'HTTP/2.0 200 OK'")]
    public async Task Garbage_IsL7Rsp(string response, string text)
    {
        await using var server = new ScriptedServer(Respond(response, hang: true));
        var result = await Probe(new HttpProbeOptions { EndPoint = server.EndPoint });
        Assert.Equal(CheckStatus.L7Response, result.Status);
        Assert.Equal(text, result.Description);
    }

    [Fact]
    public async Task ClosedWithoutResponse_IsL7Rsp()
    {
        await using var server = new ScriptedServer(async c => await c.ReadHttpRequestHeadAsync());
        var result = await Probe(new HttpProbeOptions { EndPoint = server.EndPoint });
        Assert.Equal(CheckStatus.L7Response, result.Status);
        Assert.Equal("Connection closed by the server without an HTTP response", result.Description);
    }

    [Fact]
    public async Task ResetMidResponse_IsL7Rsp()
    {
        await using var server = new ScriptedServer(async c =>
        {
            await c.ReadHttpRequestHeadAsync();
            await c.SendAsync("HTTP/1.1 200 OK\r\nContent-Le");
            await Task.Delay(50);
            c.Reset();
        });
        var result = await Probe(new HttpProbeOptions { EndPoint = server.EndPoint });
        Assert.Equal(CheckStatus.L7Response, result.Status);
        Assert.Equal("Connection reset by peer while waiting for HTTP response", result.Description);
    }

    [Fact]
    public async Task HeadersLongerThanTheBuffer_AreL7Rsp()
    {
        await using var server = new ScriptedServer(Respond("HTTP/1.1 200 OK\r\nX-Big: " + new string('a', 20_000) + "\r\n\r\n", hang: true));
        var result = await Probe(new HttpProbeOptions { EndPoint = server.EndPoint });
        Assert.Equal(CheckStatus.L7Response, result.Status);
        Assert.Equal("HTTP response headers longer than 16384 bytes", result.Description);
    }

    [Fact]
    public async Task Refused_IsL4Con()
    {
        using var held = SparePort.Refusing(out var ep);
        var result = await Probe(new HttpProbeOptions { EndPoint = ep });
        Assert.Equal(CheckStatus.L4ConnectionError, result.Status);
        Assert.Equal("Connection refused", result.Description);
    }

    [Fact]
    public async Task TlsToAPlainServer_IsL6Rsp()
    {
        // What a plain HTTP server does with a ClientHello: answer 400 in clear text and close.
        await using var server = new ScriptedServer(c => c.SendAsync("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"));
        var result = await Probe(new HttpProbeOptions { EndPoint = server.EndPoint, UseTls = true, TlsServerName = "x" });
        Assert.Equal(CheckStatus.L6Response, result.Status);
        Assert.StartsWith("TLS handshake failed: ", result.Description);
    }

    [Fact]
    public async Task TlsHandshakeThatNeverAnswers_IsL6Timeout()
    {
        await using var server = new ScriptedServer(c => c.HangAsync());
        var result = await Probe(new HttpProbeOptions { EndPoint = server.EndPoint, UseTls = true }, timeoutMs: 3000);
        Assert.Equal(CheckStatus.L6Timeout, result.Status);
        Assert.Equal("Timeout during TLS handshake", result.Description);
    }

    [Fact]
    public void Options_AreValidated_AllErrorsNamed()
    {
        var ex = Assert.Throws<ArgumentException>(() => HealthProbes.Http(new HttpProbeOptions
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 80), Method = "get", Path = "no-slash", ExpectedStatus = [], MaxResponseBytes = 1,
        }));
        foreach (var key in new[] { "Method", "Path", "ExpectedStatus", "MaxResponseBytes" })
        {
            Assert.Contains(key, ex.Message);
        }
    }
}

/// <summary>One private nginx for the class.</summary>
public sealed class NginxFixture : IAsyncLifetime
{
    private NginxInstance? _instance;

    public NginxInstance Instance => _instance ?? throw new InvalidOperationException("nginx did not start");

    public async Task InitializeAsync()
    {
        if (Prerequisites.IsCi || Prerequisites.Unmet("cmd:nginx") is null)
        {
            _instance = await NginxInstance.StartAsync();
        }
    }

    public Task DisposeAsync()
    {
        _instance?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The HTTP check against a real nginx.</summary>
public class NginxTests(NginxFixture fixture) : IClassFixture<NginxFixture>
{
    private static async Task<CheckResult> Probe(HttpProbeOptions options)
    {
        using var cts = new CancellationTokenSource(20_000);
        return await HealthProbes.Http(options).ProbeAsync(cts.Token);
    }

    [RequiresFact("cmd:nginx")]
    public async Task Health_200_WithBodyMatch_AndNginxLogsTheRequest()
    {
        var ng = fixture.Instance;
        var result = await Probe(new HttpProbeOptions { EndPoint = ng.Http, Path = "/health", Host = "hanet-test.local", BodyContains = "OK healthy" });
        Assert.Equal(CheckStatus.L7Ok, result.Status);
        Assert.Equal(200, result.Code);
        Assert.Equal("HTTP status 200 OK", result.Description);
        for (var i = 0; i < 500 && !ng.AccessLog.Contains("\"GET /health HTTP/1.1\" 200", StringComparison.Ordinal); i++)
        {
            await Task.Delay(20);
        }

        Assert.Contains("\"GET /health HTTP/1.1\" 200", ng.AccessLog);
    }

    [RequiresFact("cmd:nginx")]
    public async Task Down_503_IsL7Sts()
    {
        var result = await Probe(new HttpProbeOptions { EndPoint = fixture.Instance.Http, Path = "/down" });
        Assert.Equal(CheckStatus.L7Status, result.Status);
        Assert.Equal(503, result.Code);
        Assert.Equal("HTTP status 503 Service Temporarily Unavailable (expected 200-399)", result.Description);
    }

    [RequiresFact("cmd:nginx")]
    public async Task Redirect_302_PassesByDefault_FailsWhen2xxIsRequired()
    {
        Assert.Equal(CheckStatus.L7Ok, (await Probe(new HttpProbeOptions { EndPoint = fixture.Instance.Http, Path = "/redirect" })).Status);
        var strict = await Probe(new HttpProbeOptions { EndPoint = fixture.Instance.Http, Path = "/redirect", ExpectedStatus = HttpStatusRange.ParseList("200-299") });
        Assert.Equal(CheckStatus.L7Status, strict.Status);
        Assert.Equal(302, strict.Code);
    }

    [RequiresFact("cmd:nginx")]
    public async Task BigBody_IsOnlyReadUpToTheLimit()
    {
        var result = await Probe(new HttpProbeOptions { EndPoint = fixture.Instance.Http, Path = "/big", BodyContains = "TAIL" });
        Assert.Equal(CheckStatus.L7Response, result.Status);
        Assert.Equal("HTTP content check did not match 'TAIL' in the first 16384 bytes (HTTP status 200 OK)", result.Description);
        var bigger = await Probe(new HttpProbeOptions { EndPoint = fixture.Instance.Http, Path = "/big", BodyContains = "TAIL", MaxResponseBytes = 128 * 1024 });
        Assert.Equal(CheckStatus.L7Ok, bigger.Status);
    }

    [RequiresFact("cmd:nginx")]
    public async Task Tls_UntrustedCertificate_IsL6Rsp_PinnedCertificate_Passes()
    {
        var ng = fixture.Instance;
        var untrusted = await Probe(new HttpProbeOptions { EndPoint = ng.Https, UseTls = true, Host = NginxInstance.TlsName, Path = "/health" });
        Assert.Equal(CheckStatus.L6Response, untrusted.Status);
        Assert.StartsWith("TLS handshake failed: ", untrusted.Description);

        var thumbprint = ng.Certificate.Thumbprint;
        var pinned = await Probe(new HttpProbeOptions
        {
            EndPoint = ng.Https, UseTls = true, Host = NginxInstance.TlsName, Path = "/health", BodyContains = "OK tls",
            TlsCertificateValidation = (_, cert, _, _) => cert is not null && string.Equals(cert.GetCertHashString(), thumbprint, StringComparison.OrdinalIgnoreCase),
        });
        Assert.Equal(CheckStatus.L7Ok, pinned.Status);
    }

    [RequiresFact("cmd:nginx")]
    public async Task TcpCheck_AgainstNginx_IsL4Ok()
    {
        using var cts = new CancellationTokenSource(20_000);
        var result = await HealthProbes.Tcp(new TcpProbeOptions { EndPoint = fixture.Instance.Http }).ProbeAsync(cts.Token);
        Assert.Equal(CheckStatus.L4Ok, result.Status);
    }
}
