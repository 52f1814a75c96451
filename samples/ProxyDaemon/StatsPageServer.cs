using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Ha.Net.Proxy.Haproxy;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.ProxyDaemon;

/// <summary>
/// The statistics page of a <c>listen stats</c> section: a small HTTP/1.1 server on raw sockets (optionally
/// TLS through <see cref="SslStream"/>) serving HAProxy's HTML report, its <c>;csv</c> export and the admin
/// form's POST (<c>s=&lt;server&gt;&amp;action=ready|drain|maint&amp;b=#&lt;backend id&gt;</c>). One request per
/// connection (<c>Connection: close</c>).
/// </summary>
internal sealed partial class StatsPageServer : IAsyncDisposable
{
    private const int MaxHead = 16 * 1024;
    private const int MaxBody = 64 * 1024;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);
    private readonly StatsPageConfig _page;
    private readonly HaproxyRuntimeApi _commands;
    private readonly ILogger _logger;
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _pauseLock = new();
    private TaskCompletionSource? _resumed; // set while paused (SIGTTOU)

    public StatsPageServer(StatsPageConfig page, HaproxyRuntimeApi commands, ILogger logger)
    {
        _page = page;
        _commands = commands;
        _logger = logger;
        try
        {
            foreach (var ep in page.Binds)
            {
                var listener = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                _listeners.Add(listener);
                listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                if (ep.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    listener.DualMode = true;
                }

                listener.Bind(ep);
                listener.Listen(128);
            }
        }
        catch
        {
            foreach (var l in _listeners)
            {
                l.Dispose();
            }

            throw;
        }
    }

    public IReadOnlyList<EndPoint> EndPoints => [.. _listeners.Select(l => l.LocalEndPoint!)];

    public void Start()
    {
        foreach (var listener in _listeners)
        {
            _loops.Add(AcceptLoopAsync(listener));
        }
    }

    /// <summary>Stops listening for now and keeps the ports (SIGTTOU, as HAProxy pauses every listener); see <see cref="Resume"/>.</summary>
    /// <exception cref="SocketException">A listener kept listening.</exception>
    public void Pause()
    {
        lock (_pauseLock)
        {
            if (_resumed is not null)
            {
                return;
            }

            _resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            foreach (var listener in _listeners)
            {
                ListenerControl.Pause(listener);
            }
        }
    }

    /// <summary>Listens again after <see cref="Pause"/> (SIGTTIN).</summary>
    /// <exception cref="SocketException">Another process listens on a port; the page stays paused.</exception>
    public void Resume()
    {
        lock (_pauseLock)
        {
            if (_resumed is not { } resumed)
            {
                return;
            }

            foreach (var listener in _listeners)
            {
                ListenerControl.Resume(listener, 128);
            }

            _resumed = null;
            resumed.TrySetResult();
        }
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                if (Volatile.Read(ref _resumed) is { } resumed)
                {
                    // Paused: accept fails until the listener listens again.
                    try
                    {
                        await resumed.Task.WaitAsync(_stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    continue;
                }

                LogAcceptFailed(_logger, _page.Name, ex.Message);
                continue;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(RequestTimeout);
        var remote = (IPEndPoint)client.RemoteEndPoint!;
        Stream stream = new NetworkStream(client, ownsSocket: true);
        try
        {
            if (_page.Certificate is { } certificate)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, timeout.Token);
            }

            var request = await HttpRequest.ReadAsync(stream, MaxHead, MaxBody, timeout.Token);
            var response = request is null ? Response(400, "Bad Request", "text/html", ErrorBody(400, "Bad request", "Your browser sent an invalid request."))
                                           : Handle(request, remote);
            await stream.WriteAsync(response, timeout.Token);
            await stream.FlushAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or System.Security.Authentication.AuthenticationException)
        {
            // Client gone, too slow, or a failed TLS handshake.
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }

    private byte[] Handle(HttpRequest request, IPEndPoint remote)
    {
        var stats = _page.Stats;
        var path = PrometheusExporter.PathOf(request.Target);
        if (_page.PrometheusRules.FirstOrDefault(r => r.Matches(path)) is not null)
        {
            // http-request use-service prometheus-exporter: evaluated before the stats page, no stats auth.
            var (code, body) = PrometheusExporter.Render(_commands.Proxy.GetStats(), request.Target);
            return code == 200
                ? Response(200, "OK", "text/plain; version=0.0.4", body, "", request.Method == "HEAD")
                : Response(code, "Bad Request", "text/html", body);
        }

        if (!stats.Enabled || !request.Target.StartsWith(stats.Uri, StringComparison.Ordinal))
        {
            return Response(503, "Service Unavailable", "text/html",
                ErrorBody(503, "Service Unavailable", "No server is available to handle this request."));
        }

        if (stats.Users.Count > 0 && !Authorized(request.Header("authorization")))
        {
            return Response(401, "Unauthorized", "text/html",
                ErrorBody(401, "Unauthorized", "You need a valid user and password to access this content."),
                $"WWW-Authenticate: Basic realm=\"{stats.Realm.Replace("\"", "'", StringComparison.Ordinal)}\"\r\n");
        }

        // Options after the URI, as HAProxy: ;csv ;norefresh ;up ;st=DONE (and ;csv;norefresh ...).
        var rest = request.Target[stats.Uri.Length..];
        var options = rest.Split(';', StringSplitOptions.RemoveEmptyEntries);
        var csv = options.Contains("csv");
        var norefresh = options.Contains("norefresh");
        var status = options.FirstOrDefault(o => o.StartsWith("st=", StringComparison.Ordinal))?[3..];

        if (request.Method == "POST")
        {
            var outcome = AdminAction(request.Body, remote);
            var location = stats.Uri + ";st=" + outcome;
            return Response(303, "See Other", "text/plain", "", $"Location: {location}\r\n");
        }

        if (request.Method is not ("GET" or "HEAD"))
        {
            return Response(405, "Method Not Allowed", "text/html", ErrorBody(405, "Method Not Allowed", "A request method is not allowed."));
        }

        var refresh = !norefresh && stats.Refresh is { } r ? $"Refresh: {(long)r.TotalSeconds}\r\n" : "";
        if (csv)
        {
            return Response(200, "OK", "text/plain", _commands.ShowStat(legends: stats.ShowLegends), refresh, request.Method == "HEAD");
        }

        var html = StatsHtml.Render(_page, _commands, AdminAllowed(remote), status, norefresh);
        return Response(200, "OK", "text/html", html, refresh, request.Method == "HEAD");
    }

    private bool Authorized(string? header)
    {
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return false;
        }

        var user = decoded[..colon];
        var pass = decoded[(colon + 1)..];
        return _page.Stats.Users.Any(u => u.Key == user && FixedTimeEquals(u.Value, pass));
    }

    private static bool FixedTimeEquals(string a, string b) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private bool AdminAllowed(IPEndPoint remote) =>
        _page.AdminAllowedAnywhere || (_page.AdminLocalhostOnly && IPAddress.IsLoopback(remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address));

    /// <summary>Applies the admin form; returns HAProxy's outcome code (DONE, PART, NONE, DENY, ERRP).</summary>
    private string AdminAction(string body, IPEndPoint remote)
    {
        if (!AdminAllowed(remote))
        {
            return "DENY";
        }

        string? backendField = null;
        string? action = null;
        var servers = new List<string>();
        foreach (var pair in body.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = WebUtility.UrlDecode(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : WebUtility.UrlDecode(pair[(eq + 1)..]);
            switch (key)
            {
                case "b": backendField = value; break;
                case "action": action = value; break;
                case "s": servers.Add(value); break;
            }
        }

        var state = action switch
        {
            "ready" => Ha.Net.Proxy.Configuration.ServerAdminState.Ready,
            "drain" => Ha.Net.Proxy.Configuration.ServerAdminState.Drain,
            "maint" => Ha.Net.Proxy.Configuration.ServerAdminState.Maintenance,
            _ => (Ha.Net.Proxy.Configuration.ServerAdminState?)null,
        };
        if (backendField is null || state is null)
        {
            return "ERRP";
        }

        // HAProxy sends "#<iid>"; a plain name is accepted too.
        var rows = _commands.Proxy.GetStats();
        var backend = backendField.StartsWith('#')
            ? rows.FirstOrDefault(r => r.Type == Ha.Net.Proxy.Stats.StatsRowType.Backend &&
                                       r.ProxyId.ToString(CultureInfo.InvariantCulture) == backendField[1..])?.ProxyName
            : backendField;
        if (backend is null)
        {
            return "ERRP";
        }

        if (servers.Count == 0)
        {
            return "NONE";
        }

        var done = 0;
        foreach (var server in servers)
        {
            if (_commands.SetState(backend, server, state.Value, "stats page " + _page.Name) == "\n")
            {
                done++;
            }
        }

        return done == servers.Count ? "DONE" : done > 0 ? "PART" : "NONE";
    }

    private static string ErrorBody(int code, string title, string text) =>
        $"<html><body><h1>{code} {title}</h1>\n{text}\n</body></html>\n";

    private static byte[] Response(int code, string reason, string contentType, string body, string extraHeaders = "", bool headOnly = false)
    {
        var content = Encoding.UTF8.GetBytes(body);
        var head = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {code} {reason}\r\n" +
            "Cache-Control: no-cache\r\n" +
            "Connection: close\r\n" +
            $"Content-Type: {contentType}\r\n" +
            $"Content-Length: {content.Length}\r\n" +
            extraHeaders +
            "\r\n");
        return headOnly ? head : [.. head, .. content];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var l in _listeners)
        {
            l.Dispose();
        }

        await Task.WhenAll(_loops);
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 5301, Level = LogLevel.Warning, Message = "stats page {Page}: accept failed: {Reason}")]
    private static partial void LogAcceptFailed(ILogger logger, string page, string reason);
}

/// <summary>A parsed HTTP/1.x request: method, target, headers, body.</summary>
internal sealed class HttpRequest
{
    private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase);

    public string Method { get; private init; } = "";

    public string Target { get; private init; } = "";

    public string Body { get; private set; } = "";

    public string? Header(string name) => _headers.GetValueOrDefault(name);

    /// <summary>Reads one request; null when it is malformed or too large.</summary>
    public static async Task<HttpRequest?> ReadAsync(Stream stream, int maxHead, int maxBody, CancellationToken cancellationToken)
    {
        var buffer = new byte[maxHead + maxBody];
        var filled = 0;
        var headEnd = -1;
        while (headEnd < 0)
        {
            if (filled >= maxHead)
            {
                return null;
            }

            var n = await stream.ReadAsync(buffer.AsMemory(filled, maxHead - filled), cancellationToken);
            if (n == 0)
            {
                return null;
            }

            filled += n;
            headEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
        }

        var head = Encoding.ASCII.GetString(buffer, 0, headEnd);
        var lines = head.Split("\r\n");
        var first = lines[0].Split(' ');
        if (first.Length != 3 || !first[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return null;
        }

        var request = new HttpRequest { Method = first[0], Target = first[1] };
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return null;
            }

            request._headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        var length = 0;
        if (request.Header("content-length") is { } cl &&
            (!int.TryParse(cl, NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > maxBody))
        {
            return null;
        }

        var bodyStart = headEnd + 4;
        while (filled - bodyStart < length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(filled, bodyStart + length - filled), cancellationToken);
            if (n == 0)
            {
                return null;
            }

            filled += n;
        }

        request.Body = Encoding.UTF8.GetString(buffer, bodyStart, length);
        return request;
    }
}
