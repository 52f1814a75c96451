using System.Net;

namespace Ha.Net.Proxy.Haproxy;

internal sealed partial class HaproxyParser
{
    private static readonly string[] ProxyKeywords =
    [
        "mode", "bind", "default_backend", "use_backend", "acl", "balance", "server", "default-server", "timeout",
        "retries", "maxconn", "log", "option", "no", "description", "disabled", "enabled", "stats", "http-check",
        "contimeout", "clitimeout", "srvtimeout", "hash-type", "rate-limit", "tcp-check",
    ];

    /// <summary>Directives that need HTTP processing: refused in a mode http section, ignored with a warning in tcp terms.</summary>
    private static readonly HashSet<string> L7Directives = new(StringComparer.Ordinal)
    {
        "cookie", "reqadd", "reqrep", "reqirep", "reqdel", "reqidel", "reqdeny", "reqideny", "reqallow", "reqiallow",
        "reqpass", "reqipass", "reqtarpit", "reqitarpit", "rspadd", "rsprep", "rspirep", "rspdel", "rspidel", "rspdeny",
        "rspideny", "http-request", "http-response", "http-after-response", "redirect", "capture", "compression",
        "errorfile", "errorloc", "errorloc302", "errorloc303", "monitor-uri", "unique-id-format", "unique-id-header",
        "http-reuse", "http-send-name-header", "appsession", "use-service", "filter", "http-error", "errorfiles",
    };

    private static readonly HashSet<string> L7Options = new(StringComparer.Ordinal)
    {
        "forwardfor", "httpclose", "http-server-close", "http-keep-alive", "forceclose", "http-pretend-keepalive",
        "http-buffer-request", "http-use-htx", "http-ignore-probes", "http-use-proxy-header", "http-no-delay",
        "originalto", "accept-invalid-http-request", "accept-invalid-http-response", "http-restrict-req-hdr-names",
        "checkcache", "http_proxy", "http-tunnel", "abortonclose",
    };

    private static readonly HashSet<string> ProxyIgnored = new(StringComparer.Ordinal)
    {
        "fullconn", "persist", "grace", "id", "source", "log-format", "log-tag", "email-alert", "stick-table",
        "stick", "tcp-request", "tcp-response", "dispatch", "transparent", "force-persist", "ignore-persist", "use-server",
        "backlog", "bind-process", "max-keep-alive-queue", "declare", "external-check", "load-server-state-from-file",
        "server-state-file-name", "server-template", "http-check", "monitor", "maxconnrate",
    };

    private static readonly HashSet<string> KnownDirectives = new(
        ProxyKeywords
            .Concat(L7Directives)
            .Concat(ProxyIgnored)
            .Concat(["chroot", "pidfile", "user", "group", "daemon", "nbthread", "nbproc", "ssl-default-bind-ciphers",
                "ssl-default-bind-options", "ssl-default-server-ciphers", "ssl-default-server-options", "spread-checks", "node",
                "crt-base", "ca-base", "quiet", "debug", "uid", "gid", "ulimit-n", "master-worker", "tune.ssl.default-dh-param",
                "log-send-hostname", "hard-stop-after", "maxpipes", "nosplice", "tune.pipesize"]),
        StringComparer.Ordinal);

    /// <summary>
    /// Every keyword HAProxy 2.6 accepts in a proxy section (configuration.txt §4.1, its keywords matrix). One
    /// outside this list is refused as HAProxy refuses it ("unknown keyword 'X' in 'backend' section"); one in
    /// it that Ha.Net does not run is a warning.
    /// </summary>
    private static readonly HashSet<string> HaproxyProxyKeywords = new(StringComparer.Ordinal)
    {
        "acl", "backlog", "balance", "bind", "bind-process", "capture", "clitcpka-cnt", "clitcpka-idle",
        "clitcpka-intvl", "compression", "cookie", "declare", "default-server", "default_backend", "description",
        "disabled", "dispatch", "email-alert", "enabled", "error-log-format", "errorfile", "errorfiles", "errorloc",
        "errorloc302", "errorloc303", "external-check", "filter", "force-persist", "fullconn", "hash-type",
        "http-after-response", "http-check", "http-error", "http-request", "http-response", "http-reuse",
        "http-send-name-header", "id", "ignore-persist", "load-server-state-from-file", "log", "log-format",
        "log-format-sd", "log-tag", "max-keep-alive-queue", "maxconn", "mode", "monitor", "monitor-uri", "option",
        "persist", "rate-limit", "redirect", "retries", "retry-on", "server", "server-state-file-name",
        "server-template", "source", "srvtcpka-cnt", "srvtcpka-idle", "srvtcpka-intvl", "stats", "stick",
        "stick-table", "tcp-check", "tcp-request", "tcp-response", "timeout", "transparent", "unique-id-format",
        "unique-id-header", "use-fcgi-app", "use-server", "use_backend",
        "no", "dynamic-cookie-key", "hash-balance-factor", "max-session-srv-conns",
    };

    private static readonly HashSet<string> L4Fetches = new(StringComparer.Ordinal) { "src", "dst", "src_port", "dst_port", "always_true", "always_false" };

    private void ParseProxyStatement(Statement st, ProxyDraft d)
    {
        var p = d.Proxy;
        var kw = st.Keyword;
        var section = d.IsDefaults ? "defaults" : $"{p.Kind.ToString().ToLowerInvariant()} '{p.Name}'";
        switch (kw)
        {
            case "mode":
                if (NeedArgs(st, 1, "tcp or http"))
                {
                    switch (st.Arg(0))
                    {
                        case "tcp":
                            p.Mode = HaproxyMode.Tcp;
                            break;
                        case "http":
                            p.Mode = HaproxyMode.Http;
                            break;
                        case "health":
                            Error(st.Location, kw, $"{section}: 'mode health' (removed in HAProxy 2.x) is not supported");
                            break;
                        default:
                            Error(st.Location, kw, $"{section}: 'mode' must be tcp or http, got '{st.Arg(0)}'");
                            break;
                    }

                    p.SetLine("mode", st.Location);
                    d.ModeLine = st.Location;
                    d.ModeInherited = false;
                }

                break;
            case "bind":
                if (RequireCapability(st, d, frontend: true))
                {
                    ParseBind(st, d);
                }

                break;
            case "default_backend":
                if (!d.IsDefaults && p.Kind == HaproxySectionKind.Backend)
                {
                    Error(st.Location, kw, $"{section}: 'default_backend' is only valid in frontend, listen and defaults sections");
                }
                else if (NeedArgs(st, 1, "a backend name"))
                {
                    p.DefaultBackend = st.Arg(0);
                    p.SetLine(kw, st.Location);
                }

                break;
            case "use_backend":
                if (d.IsDefaults || p.Kind == HaproxySectionKind.Backend)
                {
                    Error(st.Location, kw, $"{section}: 'use_backend' is only valid in frontend and listen sections");
                }
                else if (NeedArgs(st, 1, "a backend name [if|unless <condition>]"))
                {
                    HaproxyCondition? condition = null;
                    if (st.ArgCount >= 2)
                    {
                        condition = ParseCondition(st, 1, "use_backend");
                    }

                    d.UseBackends.Add(new HaproxyUseBackend(st.Arg(0), condition, st.Location));
                    p.SetLine(kw, st.Location);
                }

                break;
            case "acl":
                if (d.IsDefaults)
                {
                    Error(st.Location, kw, "'acl' is not valid in a defaults section");
                }
                else if (NeedArgs(st, 2, "a name and a fetch"))
                {
                    var fetch = st.Arg(1);
                    var paren = fetch.IndexOf('(', StringComparison.Ordinal);
                    var fetchName = paren >= 0 ? fetch[..paren] : fetch;
                    d.Acls.Add(new HaproxyAcl(st.Arg(0), fetchName, st.Words.Skip(3).Select(w => w.Text).ToArray(), st.Location));
                    if (!L4Fetches.Contains(fetchName))
                    {
                        d.L7.Add(new L7Feature($"acl {st.Arg(0)} {fetch} (Ha.Net evaluates only src, dst, src_port, dst_port)", st.Location, false, Fatal: true));
                    }
                }

                break;
            case "balance":
                ParseBalance(st, d, section);
                break;
            case "hash-type":
                ParseHashType(st, d, section);
                break;
            case "rate-limit":
                ParseRateLimit(st, d, section);
                break;
            case "server":
                if (RequireCapability(st, d, frontend: false))
                {
                    ParseServer(st, d, section);
                }

                break;
            case "default-server":
                if (!d.IsDefaults && p.Kind == HaproxySectionKind.Frontend)
                {
                    Error(st.Location, kw, $"{section}: 'default-server' is not valid in a frontend");
                }
                else
                {
                    // Validate now so errors point at this line; apply to each server later.
                    var probe = new HaproxyServer();
                    ApplyServerOptions(st.Words.Skip(1).ToList(), probe, st.Location, section, "default-server");
                    d.DefaultServer.Add((st.Words.Skip(1).ToList(), st.Location));
                }

                break;
            case "timeout":
                ParseTimeout(st, d, section);
                break;
            case "contimeout" or "clitimeout" or "srvtimeout":
                var modern = kw switch { "contimeout" => "connect", "clitimeout" => "client", _ => "server" };
                Warn(st.Location, kw, $"{section}: '{kw}' was removed in HAProxy 2.1; read as 'timeout {modern}'");
                ParseTimeout(new Statement([new HaproxyToken("timeout", false, false), new HaproxyToken(modern, false, false), .. st.Words.Skip(1)], st.Location), d, section);
                break;
            case "retries":
                if (NeedArgs(st, 1, "a count") && TryInt(st.Location, kw, st.Arg(0), 0, 1000, out var retries))
                {
                    p.Retries = retries;
                    p.SetLine(kw, st.Location);
                }

                break;
            case "maxconn":
                if (NeedArgs(st, 1, "a number") && TryInt(st.Location, kw, st.Arg(0), 0, int.MaxValue, out var maxconn))
                {
                    p.MaxConn = maxconn;
                    p.SetLine(kw, st.Location);
                }

                break;
            case "log":
                if (st.ArgCount >= 1 && st.Arg(0) == "global")
                {
                    p.LogGlobal = true;
                    p.SetLine("log global", st.Location);
                }
                else if (ParseLog(st, allowGlobal: true) is { } target)
                {
                    d.Logs.Add(target);
                    p.SetLine("log", st.Location);
                }

                break;
            case "option":
                ParseOption(st, d, section, 0, negated: false);
                break;
            case "no":
                if (NeedArgs(st, 2, "'option <name>' or 'log'") && st.Arg(0) == "option")
                {
                    ParseOption(st, d, section, 1, negated: true);
                }
                else if (st.ArgCount >= 1 && st.Arg(0) == "log")
                {
                    p.LogGlobal = false;
                    d.Logs.Clear();
                }
                else if (st.ArgCount >= 1)
                {
                    Warn(st.Location, kw, $"{section}: 'no {st.Arg(0)}' is not supported; ignored");
                }

                break;
            case "description":
                p.Description = st.Rest(0);
                p.SetLine(kw, st.Location);
                break;
            case "disabled":
                p.Disabled = true;
                p.SetLine(kw, st.Location);
                break;
            case "enabled":
                p.Disabled = false;
                break;
            case "stats":
                ParseStats(st, d, section);
                break;
            case "http-check":
                ParseHttpCheck(st, d, section);
                break;
            case "tcp-check":
                ParseTcpCheck(st, d, section);
                break;
            case "http-request" when !d.IsDefaults && st.ArgCount >= 2 && st.Arg(0) == "use-service" && st.Arg(1) == "prometheus-exporter":
                ParsePrometheusService(st, d, section);
                break;
            default:
                if (L7Directives.Contains(kw))
                {
                    d.L7.Add(new L7Feature(kw, st.Location, false, Fatal: true));
                }
                else if (ProxyIgnored.Contains(kw))
                {
                    Warn(st.Location, kw, $"{section}: '{kw}' is not supported by Ha.Net; ignored");
                }
                else if (HaproxyProxyKeywords.Contains(kw))
                {
                    Warn(st.Location, kw, $"{section}: '{kw}' is not supported by Ha.Net; ignored");
                }
                else
                {
                    // HAProxy: "parsing [file:line] : unknown keyword 'kw' in 'backend' section", a fatal error.
                    Error(st.Location, kw, $"unknown keyword '{kw}' in '{(d.IsDefaults ? "defaults" : p.Kind.ToString().ToLowerInvariant())}' section");
                }

                break;
        }
    }

    private bool RequireCapability(Statement st, ProxyDraft d, bool frontend)
    {
        var kind = d.Proxy.Kind;
        var ok = !d.IsDefaults && (kind == HaproxySectionKind.Listen || kind == (frontend ? HaproxySectionKind.Frontend : HaproxySectionKind.Backend));
        if (!ok)
        {
            var where = d.IsDefaults ? "a defaults section" : $"{kind.ToString().ToLowerInvariant()} '{d.Name}'";
            Error(st.Location, st.Keyword, $"'{st.Keyword}' is not valid in {where} (only in {(frontend ? "frontend" : "backend")} and listen sections)");
        }

        return ok;
    }

    /// <summary>
    /// <c>http-request use-service prometheus-exporter [if|unless { path|path_beg [-m str|beg] &lt;path&gt; }]</c>: the
    /// conditions HAProxy's documentation and users write for the exporter. Any other condition is refused at its line.
    /// </summary>
    private void ParsePrometheusService(Statement st, ProxyDraft d, string section)
    {
        const string directive = "http-request";
        if (st.ArgCount == 2)
        {
            d.Prometheus.Add(new HaproxyPrometheusRule(null, false, false, st.Location));
            return;
        }

        var words = st.Words.Skip(3).Select(w => w.Text).ToList();
        var negated = words[0] == "unless";
        string? path = null;
        var prefix = false;
        if (words[0] is "if" or "unless" && words.Count >= 5 && words[1] == "{" && words[^1] == "}")
        {
            var inner = words.Skip(2).Take(words.Count - 3).ToList();
            if (inner.Count == 2 && inner[0] is "path" or "path_beg")
            {
                (path, prefix) = (inner[1], inner[0] == "path_beg");
            }
            else if (inner.Count == 4 && inner[0] == "path" && inner[1] == "-m" && inner[2] is "str" or "beg")
            {
                (path, prefix) = (inner[3], inner[2] == "beg");
            }
        }

        if (path is null)
        {
            Error(st.Location, directive, $"{section}: 'http-request use-service prometheus-exporter {string.Join(' ', words)}': Ha.Net evaluates only no condition or 'if|unless {{ path <p> }}', '{{ path_beg <p> }}', '{{ path -m str|beg <p> }}' here (it has no HTTP mode for other conditions)");
            d.PrometheusRefused = true;
            return;
        }

        d.Prometheus.Add(new HaproxyPrometheusRule(path, prefix, negated, st.Location));
    }

    private HaproxyCondition? ParseCondition(Statement st, int from, string directive)
    {
        var word = st.Arg(from);
        if (word is not ("if" or "unless"))
        {
            Error(st.Location, directive, $"'{directive}': expected 'if' or 'unless' after '{st.Rest(0).Split(' ')[0]}', got '{word}'");
            return null;
        }

        var terms = st.Words.Skip(from + 2).Select(w => w.Text).ToArray();
        if (terms.Length == 0)
        {
            Error(st.Location, directive, $"'{directive}': '{word}' needs a condition");
            return null;
        }

        return new HaproxyCondition(word == "unless", terms);
    }

    private void ParseBind(Statement st, ProxyDraft d)
    {
        if (!NeedArgs(st, 1, "an address:port"))
        {
            return;
        }

        var bind = new HaproxyBind { Location = st.Location };
        var endpoints = new List<HaproxyEndpoint>();
        foreach (var part in st.Arg(0).Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (ParseEndpoint(part, st.Location, "bind", requirePort: true) is { } ep)
            {
                endpoints.Add(ep);
            }
        }

        var certs = new List<string>();
        for (var i = 1; i < st.ArgCount; i++)
        {
            var option = st.Arg(i);
            string? Next()
            {
                if (i + 1 < st.ArgCount)
                {
                    return st.Arg(++i);
                }

                Error(st.Location, "bind", $"'bind': option '{option}' needs a value");
                return null;
            }

            switch (option)
            {
                case "ssl":
                    bind.Ssl = true;
                    break;
                case "crt":
                    if (Next() is { } crt)
                    {
                        certs.Add(_config.Global.CrtBase is { } b && !crt.StartsWith('/') ? Path.Combine(b, crt) : crt);
                    }

                    break;
                case "accept-proxy":
                    bind.AcceptProxy = true;
                    break;
                case "interface":
                    bind.Interface = Next();
                    break;
                case "maxconn" or "backlog":
                    if (Next() is { } n && TryInt(st.Location, $"bind {option}", n, 0, int.MaxValue, out var v))
                    {
                        if (option == "maxconn")
                        {
                            bind.MaxConn = v;
                        }
                        else
                        {
                            bind.Backlog = v;
                        }
                    }

                    break;
                case "v4v6":
                    bind.V6Only = false;
                    break;
                case "v6only":
                    bind.V6Only = true;
                    break;
                case "name" or "id" or "process" or "thread" or "nice" or "alpn" or "ciphers" or "ciphersuites" or "curves" or "ecdhe" or "ssl-min-ver" or "ssl-max-ver" or "ca-file" or "crl-file" or "verify" or "npn":
                    _ = Next();
                    Warn(st.Location, "bind", $"'bind': option '{option}' is not supported by Ha.Net; ignored");
                    break;
                case "tfo" or "defer-accept" or "no-sslv3" or "no-tlsv10" or "no-tlsv11" or "no-tlsv12" or "no-tls-tickets" or "strict-sni" or "prefer-client-ciphers" or "force-tlsv12":
                    Warn(st.Location, "bind", $"'bind': option '{option}' is not supported by Ha.Net; ignored");
                    break;
                case "transparent":
                    Error(st.Location, "bind", "'bind ... transparent' (binding foreign addresses) is not supported");
                    break;
                default:
                    Error(st.Location, "bind", $"'bind': unknown option '{option}'");
                    break;
            }
        }

        if (bind.Ssl && certs.Count == 0)
        {
            Error(st.Location, "bind", "'bind ... ssl' needs 'crt <file or directory>'");
        }
        else if (!bind.Ssl && certs.Count > 0)
        {
            Warn(st.Location, "bind", "'bind ... crt' without 'ssl' has no effect");
        }

        bind.Endpoints = endpoints;
        bind.Certificates = certs;
        bind.SetLine("bind", st.Location);
        d.Binds.Add(bind);
    }

    /// <summary>Parses <c>addr:port</c>, <c>*:port</c>, <c>:port</c>, <c>[v6]:port</c>, <c>ipv4@</c>/<c>ipv6@</c> prefixes.</summary>
    private HaproxyEndpoint? ParseEndpoint(string text, HaproxySourceLine at, string directive, bool requirePort)
    {
        var s = text;
        if (s.StartsWith("ipv4@", StringComparison.Ordinal) || s.StartsWith("ipv6@", StringComparison.Ordinal))
        {
            s = s[5..];
        }
        else if (s.Contains('@', StringComparison.Ordinal) || s.StartsWith('/'))
        {
            Error(at, directive, $"'{directive}': address '{text}' is not supported (only IPv4/IPv6 addresses and host names)");
            return null;
        }

        string host;
        string? port;
        if (s.StartsWith('['))
        {
            var close = s.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                Error(at, directive, $"'{directive}': '{text}' has no closing ']'");
                return null;
            }

            host = s[1..close];
            var rest = s[(close + 1)..];
            port = rest.StartsWith(':') ? rest[1..] : rest.Length == 0 ? null : rest;
        }
        else
        {
            var colons = s.Count(c => c == ':');
            var last = s.LastIndexOf(':');
            if (colons == 0)
            {
                host = s;
                port = null;
            }
            else
            {
                host = s[..last];
                port = s[(last + 1)..];
            }
        }

        if (host.Length > 0 && host != "*" && !IPAddress.TryParse(host, out _) && !IsHostName(host))
        {
            Error(at, directive, $"'{directive}': '{host}' in '{text}' is neither an IP address nor a host name");
            return null;
        }

        if (port is null || port.Length == 0)
        {
            if (requirePort)
            {
                Error(at, directive, $"'{directive}': '{text}' has no port");
                return null;
            }

            return new HaproxyEndpoint(host, 0);
        }

        if (port.Contains('-', StringComparison.Ordinal) || port.StartsWith('+'))
        {
            Error(at, directive, $"'{directive}': port '{port}' in '{text}' (ranges or offsets) is not supported");
            return null;
        }

        if (!int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) || p < 1 || p > 65535)
        {
            Error(at, directive, $"'{directive}': port '{port}' in '{text}' must be between 1 and 65535");
            return null;
        }

        return new HaproxyEndpoint(host, p);
    }

    private static bool IsHostName(string host) =>
        host.Length <= 253 && host.Split('.').All(label => label.Length is > 0 and <= 63
            && label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            && label[0] != '-' && label[^1] != '-')
        && !host.Split('.')[^1].All(char.IsAsciiDigit);
}
