using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;

namespace Ha.Net.HealthChecks.Probes;

/// <summary>
/// An HTTP/1.1 check (HAProxy <c>option httpchk</c>, <c>http-check send</c>, <c>http-check expect
/// status|string</c>): connect (L4CON/L4TOUT), optional PROXY header, optional TLS (L6RSP/L6TOUT),
/// one request with <c>Connection: close</c>, then the status line and headers (L7RSP when not
/// HTTP, L7STS when the status is not expected, L7TOUT when slow) and, when a body match is asked
/// for, the body (Content-Length, chunked, or up to the close; at most <c>MaxResponseBytes</c>).
/// Never waits for the server to close when the response is complete.
/// </summary>
internal sealed class HttpProbe : IHealthProbe
{
    private readonly HttpProbeOptions _options;
    private readonly TimeProvider _time;
    private readonly byte[] _request;
    private readonly byte[]? _needle;
    private readonly string _serverName;
    private readonly string _expected;

    public HttpProbe(HttpProbeOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        var (hostName, port) = options.EndPoint switch
        {
            DnsEndPoint d => (d.Host, d.Port),
            IPEndPoint ip => (ip.Address.AddressFamily == AddressFamily.InterNetworkV6 ? "[" + ip.Address + "]" : ip.Address.ToString(), ip.Port),
            _ => ("localhost", 0),
        };
        var defaultPort = options.UseTls ? 443 : 80;
        var host = options.Host ?? (port == defaultPort ? hostName : hostName + ":" + port.ToString(CultureInfo.InvariantCulture));
        _serverName = options.TlsServerName ?? StripPort(host);
        var sb = new StringBuilder();
        sb.Append(options.Method).Append(' ').Append(options.Path).Append(" HTTP/1.1\r\n");
        sb.Append("Host: ").Append(host).Append("\r\n");
        var hasUserAgent = false;
        foreach (var (name, value) in options.Headers)
        {
            hasUserAgent |= name.Equals("User-Agent", StringComparison.OrdinalIgnoreCase);
            sb.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        if (!hasUserAgent)
        {
            sb.Append("User-Agent: Ha.Net-health-check\r\n");
        }

        sb.Append("Accept: */*\r\nConnection: close\r\n\r\n");
        _request = Encoding.ASCII.GetBytes(sb.ToString());
        _needle = options.BodyContains is { } b ? Encoding.UTF8.GetBytes(b) : null;
        _expected = string.Join(",", options.ExpectedStatus);
    }

    public async ValueTask<CheckResult> ProbeAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var (socket, failure) = await ProbeIo.ConnectAsync(_options, _time, started, cancellationToken).ConfigureAwait(false);
        if (socket is null)
        {
            return failure;
        }

        Stream stream = new NetworkStream(socket, ownsSocket: true);
        CancellationTokenSource? readTimeout = null;
        CancellationTokenSource? linked = null;
        var step = "TLS handshake";
        try
        {
            if (_options.SendProxy != ProxyProtocolVersion.None)
            {
                await stream.WriteAsync(ProbeIo.ProxyHeader(_options.SendProxy, socket), cancellationToken).ConfigureAwait(false);
            }

            if (_options.UseTls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false, _options.TlsCertificateValidation);
                stream = ssl;
                try
                {
                    await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = _serverName }, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return ProbeIo.Result(CheckStatus.L6Timeout, null, "Timeout during TLS handshake", _time, started);
                }
                catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException)
                {
                    var inner = ex.InnerException is { } i && ex is AuthenticationException ? ": " + i.Message : "";
                    return ProbeIo.Result(CheckStatus.L6Response, null, "TLS handshake failed: " + ex.Message + inner, _time, started);
                }
            }

            step = "HTTP response";
            var token = cancellationToken;
            if (_options.ReadTimeout is { } t)
            {
                readTimeout = new CancellationTokenSource(t, _time);
                linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, readTimeout.Token);
                token = linked.Token;
            }

            await stream.WriteAsync(_request, token).ConfigureAwait(false);
            using var buffer = new ReceiveBuffer(_options.MaxResponseBytes);
            return await ReadResponseAsync(stream, buffer, started, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return ProbeIo.Result(CheckStatus.L7Timeout, null, "Timeout waiting for " + step, _time, started);
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return ProbeIo.Result(CheckStatus.L7Response, null, $"{ProbeIo.Describe(ex)} while waiting for {step}", _time, started);
        }
        finally
        {
            linked?.Dispose();
            readTimeout?.Dispose();
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask<CheckResult> ReadResponseAsync(Stream stream, ReceiveBuffer buffer, long started, CancellationToken token)
    {
        // Status line and headers.
        int headerEnd;
        while ((headerEnd = buffer.Data.IndexOf("\r\n\r\n"u8)) < 0)
        {
            var early = CheckStatusLineStart(buffer.Data);
            if (early is not null)
            {
                return ProbeIo.Result(CheckStatus.L7Response, null, early, _time, started);
            }

            var n = await buffer.FillAsync(stream, token).ConfigureAwait(false);
            if (n < 0)
            {
                return ProbeIo.Result(CheckStatus.L7Response, null, $"HTTP response headers longer than {buffer.Capacity} bytes", _time, started);
            }

            if (n == 0)
            {
                return ProbeIo.Result(CheckStatus.L7Response, null, buffer.Data.IsEmpty
                    ? "Connection closed by the server without an HTTP response"
                    : $"Connection closed by the server in the HTTP headers after '{ProbeIo.Printable(buffer.Data, 80)}'", _time, started);
            }
        }

        var head = Encoding.Latin1.GetString(buffer.Data[..headerEnd]);
        var lines = head.Split("\r\n");
        var statusLine = lines[0];
        if (!TryParseStatusLine(statusLine, out var code, out var reason))
        {
            return ProbeIo.Result(CheckStatus.L7Response, null, $"Invalid HTTP status line: '{ProbeIo.Printable(Encoding.Latin1.GetBytes(statusLine), 120)}'", _time, started);
        }

        var statusText = string.Create(CultureInfo.InvariantCulture, $"HTTP status {code} {reason}").TrimEnd();
        if (!_options.ExpectedStatus.Any(r => r.Contains(code)))
        {
            return ProbeIo.Result(CheckStatus.L7Status, code, $"{statusText} (expected {_expected})", _time, started);
        }

        if (_needle is null)
        {
            return ProbeIo.Result(CheckStatus.L7Ok, code, statusText, _time, started);
        }

        // Body.
        long? contentLength = null;
        var chunked = false;
        foreach (var line in lines.AsSpan(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var name = line.AsSpan(0, colon).Trim();
            var value = line.AsSpan(colon + 1).Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var len))
            {
                contentLength = len;
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && value.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                chunked = true;
            }
        }

        buffer.Consume(headerEnd + 4);
        var noBody = _options.Method == "HEAD" || code is 204 or 304 || code < 200;
        var complete = noBody || (!chunked && contentLength is { } cl && buffer.Data.Length >= cl);
        var truncated = false;
        while (!complete)
        {
            if (chunked && TryDechunk(buffer.Data, out _))
            {
                break;
            }

            var n = await buffer.FillAsync(stream, token).ConfigureAwait(false);
            if (n < 0)
            {
                truncated = true; // HAProxy: only the first tune.bufsize bytes are looked at
                break;
            }

            if (n == 0)
            {
                if (contentLength is { } want && buffer.Data.Length < want)
                {
                    return ProbeIo.Result(CheckStatus.L7Response, code, $"Connection closed by the server after {buffer.Data.Length} of {want} body bytes", _time, started);
                }

                break; // body delimited by the close
            }

            complete = !chunked && contentLength is { } cl2 && buffer.Data.Length >= cl2;
        }

        byte[] body;
        if (chunked)
        {
            TryDechunk(buffer.Data, out body);
        }
        else
        {
            var length = contentLength is { } c ? (int)Math.Min(c, buffer.Data.Length) : buffer.Data.Length;
            body = buffer.Data[..length].ToArray();
        }

        if (body.AsSpan().IndexOf(_needle) < 0)
        {
            var more = truncated ? $" in the first {_options.MaxResponseBytes} bytes" : "";
            return ProbeIo.Result(CheckStatus.L7Response, code, $"HTTP content check did not match '{_options.BodyContains}'{more} ({statusText})", _time, started);
        }

        return ProbeIo.Result(CheckStatus.L7Ok, code, statusText, _time, started);
    }

    /// <summary>Rejects a response whose first bytes cannot be an HTTP status line (so garbage fails at once).</summary>
    private static string? CheckStatusLineStart(ReadOnlySpan<byte> data)
    {
        var prefix = "HTTP/1."u8;
        var n = Math.Min(data.Length, prefix.Length);
        return data[..n].SequenceEqual(prefix[..n]) ? null : $"Invalid HTTP response: '{ProbeIo.Printable(data, 80)}'";
    }

    private static bool TryParseStatusLine(string line, out int code, out string reason)
    {
        code = 0;
        reason = "";
        if (!line.StartsWith("HTTP/1.", StringComparison.Ordinal) || line.Length < 12 || line[8] != ' ' ||
            !int.TryParse(line.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out code) ||
            code < 100 || (line.Length > 12 && line[12] != ' '))
        {
            return false;
        }

        reason = line.Length > 13 ? line[13..] : "";
        return true;
    }

    // RFC 9112 §7.1: size in hex [;ext] CRLF, data CRLF, ..., 0 CRLF [trailers] CRLF.
    private static bool TryDechunk(ReadOnlySpan<byte> data, out byte[] body)
    {
        var output = new List<byte>();
        var offset = 0;
        while (true)
        {
            var rest = data[offset..];
            var crlf = rest.IndexOf("\r\n"u8);
            if (crlf < 0)
            {
                break;
            }

            var sizeText = rest[..crlf];
            var semi = sizeText.IndexOf((byte)';');
            if (semi >= 0)
            {
                sizeText = sizeText[..semi];
            }

            if (!int.TryParse(Encoding.ASCII.GetString(sizeText).Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0)
            {
                break;
            }

            if (size == 0)
            {
                body = [.. output];
                return true;
            }

            var start = crlf + 2;
            var available = Math.Min(size, rest.Length - start);
            output.AddRange(rest.Slice(start, available).ToArray());
            if (available < size || rest.Length < start + size + 2)
            {
                break;
            }

            offset += start + size + 2;
        }

        body = [.. output];
        return false;
    }

    private static string StripPort(string host)
    {
        if (host.StartsWith('['))
        {
            var end = host.IndexOf(']', StringComparison.Ordinal);
            return end > 0 ? host[1..end] : host;
        }

        var colon = host.LastIndexOf(':');
        return colon > 0 ? host[..colon] : host;
    }
}
