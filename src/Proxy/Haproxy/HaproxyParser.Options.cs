using Ha.Net.Proxy.Configuration;

namespace Ha.Net.Proxy.Haproxy;

internal sealed partial class HaproxyParser
{
    private void ParseBalance(Statement st, ProxyDraft d, string section)
    {
        var p = d.Proxy;
        if (!d.IsDefaults && p.Kind == HaproxySectionKind.Frontend)
        {
            Warn(st.Location, "balance", $"{section}: 'balance' has no effect in a frontend; ignored");
            return;
        }

        p.SetLine("balance", st.Location);
        if (st.ArgCount == 0)
        {
            Warn(st.Location, "balance", $"{section}: 'balance' without an algorithm; using roundrobin");
            p.Balance = new HaproxyBalance(HaproxyBalanceAlgorithm.RoundRobin);
            return;
        }

        var algo = st.Arg(0);
        switch (algo)
        {
            case "roundrobin":
                p.Balance = new HaproxyBalance(HaproxyBalanceAlgorithm.RoundRobin);
                break;
            case "static-rr":
                p.Balance = new HaproxyBalance(HaproxyBalanceAlgorithm.StaticRoundRobin);
                break;
            case "leastconn":
                p.Balance = new HaproxyBalance(HaproxyBalanceAlgorithm.LeastConn);
                break;
            case "first":
                p.Balance = new HaproxyBalance(HaproxyBalanceAlgorithm.First);
                break;
            case "source":
                p.Balance = new HaproxyBalance(HaproxyBalanceAlgorithm.Source);
                break;
            case "random":
                p.Balance = new HaproxyBalance(HaproxyBalanceAlgorithm.Random);
                break;
            default:
                if (algo.StartsWith("random(", StringComparison.Ordinal) && algo.EndsWith(')'))
                {
                    if (TryInt(st.Location, "balance random", algo[7..^1], 1, 100, out var draws))
                    {
                        p.Balance = new HaproxyBalance(HaproxyBalanceAlgorithm.Random, draws);
                    }
                }
                else if (algo is "uri" or "url_param" or "hdr" or "rdp-cookie" || algo.StartsWith("hdr(", StringComparison.Ordinal) || algo.StartsWith("rdp-cookie(", StringComparison.Ordinal))
                {
                    d.L7.Add(new L7Feature($"balance {algo}", st.Location, false, Fatal: true));
                }
                else if (algo is "hash" or "sticky")
                {
                    Error(st.Location, "balance", $"{section}: 'balance {algo}' is not supported (Ha.Net runs roundrobin, static-rr, leastconn, first, source and random)");
                }
                else
                {
                    Error(st.Location, "balance", $"{section}: unknown balance algorithm '{algo}'");
                }

                break;
        }
    }

    /// <summary><c>hash-type &lt;method&gt; [&lt;function&gt;] [&lt;modifier&gt;]</c>: map-based or consistent.
    /// Ha.Net hashes with its own function, so a function or modifier is read and named in a warning.</summary>
    private void ParseHashType(Statement st, ProxyDraft d, string section)
    {
        var p = d.Proxy;
        if (!d.IsDefaults && p.Kind == HaproxySectionKind.Frontend)
        {
            Warn(st.Location, "hash-type", $"{section}: 'hash-type' has no effect in a frontend; ignored");
            return;
        }

        if (!NeedArgs(st, 1, "map-based or consistent", "hash-type"))
        {
            return;
        }

        var method = st.Arg(0);
        switch (method)
        {
            case "map-based":
                p.HashType = HaproxyHashType.MapBased;
                break;
            case "consistent":
                p.HashType = HaproxyHashType.Consistent;
                break;
            default:
                Error(st.Location, "hash-type", $"{section}: unknown hash-type method '{method}' (expected map-based or consistent)");
                return;
        }

        p.SetLine("hash-type", st.Location);
        for (int i = 1; i < st.ArgCount; i++)
        {
            var arg = st.Arg(i);
            if (i == 1 && arg is "sdbm" or "djb2" or "wt6" or "crc32" or "none")
            {
                Warn(st.Location, "hash-type", $"{section}: hash function '{arg}' is not applied: Ha.Net hashes the client address with its own function");
            }
            else if (i <= 2 && arg == "avalanche")
            {
                Warn(st.Location, "hash-type", $"{section}: modifier 'avalanche' is not applied: Ha.Net's hash already mixes every bit");
            }
            else
            {
                Error(st.Location, "hash-type", $"{section}: unexpected '{arg}' after 'hash-type {method}' (expected a hash function: sdbm, djb2, wt6, crc32, none; then 'avalanche')");
                return;
            }
        }
    }

    /// <summary><c>rate-limit sessions &lt;rate&gt;</c> (defaults, frontend, listen).</summary>
    private void ParseRateLimit(Statement st, ProxyDraft d, string section)
    {
        if (!NeedArgs(st, 2, "'sessions' and a rate", "rate-limit"))
        {
            return;
        }

        if (st.Arg(0) != "sessions")
        {
            Error(st.Location, "rate-limit", $"{section}: 'rate-limit' supports only 'sessions', got '{st.Arg(0)}'");
            return;
        }

        if (!d.IsDefaults && d.Proxy.Kind == HaproxySectionKind.Backend)
        {
            Warn(st.Location, "rate-limit", $"{section}: 'rate-limit sessions' has no effect in a backend; ignored");
            return;
        }

        if (TryInt(st.Location, "rate-limit sessions", st.Arg(1), 0, int.MaxValue, out var rate))
        {
            d.Proxy.RateLimitSessions = rate;
            d.Proxy.SetLine("rate-limit", st.Location);
        }
    }

    private void ParseTimeout(Statement st, ProxyDraft d, string section)
    {
        if (!NeedArgs(st, 2, "a name and a time", "timeout"))
        {
            return;
        }

        var name = st.Arg(0);
        var key = $"timeout {name}";
        if (name is "http-request" or "http-keep-alive" or "tarpit")
        {
            d.L7.Add(new L7Feature(key, st.Location, false, Fatal: false));
            return;
        }

        if (!TryTime(st.Location, key, st.Arg(1), out var value))
        {
            return;
        }

        var t = d.Proxy.Timeouts;
        HaproxyTimeouts? updated = name switch
        {
            "connect" => t with { Connect = value },
            "client" => t with { Client = value },
            "server" => t with { Server = value },
            "queue" => t with { Queue = value },
            "tunnel" => t with { Tunnel = value },
            "client-fin" => t with { ClientFin = value },
            "server-fin" => t with { ServerFin = value },
            "check" => t with { Check = value },
            _ => null,
        };
        if (updated is null)
        {
            Error(st.Location, "timeout", $"{section}: unknown timeout '{name}' (expected connect, client, server, queue, tunnel, client-fin, server-fin or check)");
            return;
        }

        d.Proxy.Timeouts = updated;
        d.Proxy.SetLine(key, st.Location);
    }

    private void ParseOption(Statement st, ProxyDraft d, string section, int at, bool negated)
    {
        var p = d.Proxy;
        if (st.ArgCount < at + 1)
        {
            Error(st.Location, "option", $"{section}: 'option' needs a name");
            return;
        }

        var name = st.Arg(at);
        var key = $"option {name}";
        p.SetLine(key, st.Location);
        var on = !negated;
        switch (name)
        {
            case "tcplog":
                p.TcpLog = on;
                break;
            case "httplog":
                if (on)
                {
                    d.L7.Add(new L7Feature(key, st.Location, false, Fatal: false));
                    p.TcpLog = true;
                }

                break;
            case "dontlognull":
                p.DontLogNull = on;
                break;
            case "redispatch":
                if (!on)
                {
                    p.Redispatch = null;
                }
                else if (st.ArgCount > at + 1)
                {
                    if (TryInt(st.Location, "option redispatch", st.Arg(at + 1), int.MinValue, int.MaxValue, out var interval))
                    {
                        p.Redispatch = interval;
                    }
                }
                else
                {
                    p.Redispatch = -1;
                }

                break;
            case "tcpka":
                p.ClientTcpKeepAlive = on;
                p.ServerTcpKeepAlive = on;
                break;
            case "clitcpka":
                p.ClientTcpKeepAlive = on;
                break;
            case "srvtcpka":
                p.ServerTcpKeepAlive = on;
                break;
            case "splice-auto" or "splice-request" or "splice-response":
                if (st.ArgCount > at + 1)
                {
                    // HAProxy: "'option splice-auto' cannot handle unexpected argument" (fatal).
                    Error(st.Location, key, $"{section}: '{key}' cannot handle unexpected argument '{st.Arg(at + 1)}'");
                    break;
                }

                _ = name switch
                {
                    "splice-auto" => p.SpliceAuto = on,
                    "splice-request" => p.SpliceRequest = on,
                    _ => p.SpliceResponse = on,
                };
                break;
            case "smtpchk":
                if (!on)
                {
                    p.SmtpCheck = null;
                    break;
                }

                var verb = st.ArgCount > at + 1 ? st.Arg(at + 1) : "HELO";
                var domain = st.ArgCount > at + 2 ? st.Arg(at + 2) : "localhost";
                if (verb is not ("HELO" or "EHLO"))
                {
                    Warn(st.Location, key, $"{section}: 'option smtpchk {verb}': only HELO and EHLO are sent; HAProxy sends HELO");
                    verb = "HELO";
                }

                p.SmtpCheck = new HaproxySmtpCheck(verb, domain);
                p.HttpCheck = null;
                p.TcpCheck = false;
                break;
            case "httpchk":
                if (!on)
                {
                    p.HttpCheck = null;
                    break;
                }

                var args = st.Words.Skip(at + 2).Select(w => w.Text).ToArray();
                p.HttpCheck = args.Length switch
                {
                    0 => new HaproxyHttpCheck("OPTIONS", "/", "HTTP/1.0"),
                    1 => new HaproxyHttpCheck("OPTIONS", args[0], "HTTP/1.0"),
                    2 => new HaproxyHttpCheck(args[0], args[1], "HTTP/1.0"),
                    _ => new HaproxyHttpCheck(args[0], args[1], string.Join(' ', args.Skip(2))),
                };
                p.SmtpCheck = null;
                p.TcpCheck = false;
                break;
            case "tcp-check":
                p.TcpCheck = on;
                if (on)
                {
                    p.SmtpCheck = null;
                    p.HttpCheck = null;
                }

                break;
            case "ssl-hello-chk" or "mysql-check" or "pgsql-check" or "redis-check" or "ldap-check" or "spop-check" or "external-check" or "lb-agent-chk":
                Error(st.Location, key, $"{section}: health check 'option {name}' is not supported (Ha.Net checks: TCP connect, option tcp-check, option smtpchk, option httpchk)");
                break;
            case "log-health-checks" or "allbackups" or "persist" or "independent-streams" or "nolinger" or "socket-stats" or "contstats" or "log-separate-errors" or "prefer-last-server" or "transparent" or "dontlog-normal" or "logasap":
                Warn(st.Location, key, $"{section}: 'option {name}' is not supported by Ha.Net; ignored");
                break;
            default:
                if (L7Options.Contains(name))
                {
                    d.L7.Add(new L7Feature(key, st.Location, false, Fatal: true));
                }
                else
                {
                    Warn(st.Location, key, $"{section}: unknown option '{name}'; ignored");
                }

                break;
        }
    }

    /// <summary><c>tcp-check connect [port N] | send &lt;s&gt; | send-binary &lt;hex&gt; | expect string|rstring|binary &lt;p&gt; | comment &lt;text&gt;</c>.</summary>
    private void ParseTcpCheck(Statement st, ProxyDraft d, string section)
    {
        if (!NeedArgs(st, 1, "a rule (connect, send, send-binary, expect, comment)", "tcp-check"))
        {
            return;
        }

        if (d.TcpChecksInherited)
        {
            // A section's own rules replace those of defaults.
            d.TcpChecks.Clear();
            d.TcpChecksInherited = false;
        }

        string rule = st.Arg(0);
        void Add(HaproxyTcpCheckKind kind, string pattern) => d.TcpChecks.Add(new HaproxyTcpCheckRule(kind, pattern, st.Location));
        bool OnlyComment(int from)
        {
            if (st.ArgCount > from && !(st.Arg(from) == "comment" && st.ArgCount == from + 2))
            {
                Error(st.Location, "tcp-check", $"{section}: 'tcp-check {rule}': option '{st.Arg(from)}' is not supported (only 'comment <text>' may follow)");
                return false;
            }

            return true;
        }

        switch (rule)
        {
            case "comment":
                break;
            case "connect":
                if (d.TcpChecks.Count > 0)
                {
                    Error(st.Location, "tcp-check", $"{section}: 'tcp-check connect' must be the first rule (Ha.Net checks over one connection)");
                    return;
                }

                if (st.ArgCount >= 3 && st.Arg(1) == "port")
                {
                    if (TryInt(st.Location, "tcp-check connect port", st.Arg(2), 1, 65535, out var port) && OnlyComment(3))
                    {
                        Add(HaproxyTcpCheckKind.Connect, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }
                }
                else if (OnlyComment(1))
                {
                    Add(HaproxyTcpCheckKind.Connect, "");
                }

                break;
            case "send" or "send-binary":
                if (NeedArgs(st, 2, "data", $"tcp-check {rule}") && OnlyComment(2))
                {
                    if (rule == "send-binary" && !IsHex(st.Arg(1)))
                    {
                        Error(st.Location, "tcp-check", $"{section}: 'tcp-check send-binary {st.Arg(1)}': not an even number of hex digits");
                        return;
                    }

                    Add(rule == "send" ? HaproxyTcpCheckKind.Send : HaproxyTcpCheckKind.SendBinary, st.Arg(1));
                }

                break;
            case "expect":
                ParseTcpCheckExpect(st, section, Add, OnlyComment);
                break;
            default:
                Error(st.Location, "tcp-check", $"{section}: 'tcp-check {rule}' is not supported (connect, send, send-binary, expect, comment)");
                break;
        }
    }

    private void ParseTcpCheckExpect(Statement st, string section, Action<HaproxyTcpCheckKind, string> add, Func<int, bool> onlyComment)
    {
        if (st.ArgCount > 1 && st.Arg(1) == "!")
        {
            Error(st.Location, "tcp-check", $"{section}: 'tcp-check expect !' (a negated match) is not supported");
            return;
        }

        if (st.ArgCount < 3)
        {
            Error(st.Location, "tcp-check", $"{section}: 'tcp-check expect' needs a match (string, rstring, binary) and a pattern");
            return;
        }

        HaproxyTcpCheckKind? kind = st.Arg(1) switch
        {
            "string" => HaproxyTcpCheckKind.ExpectString,
            "rstring" => HaproxyTcpCheckKind.ExpectRegex,
            "binary" => HaproxyTcpCheckKind.ExpectBinary,
            _ => null,
        };
        if (kind is null)
        {
            Error(st.Location, "tcp-check", $"{section}: 'tcp-check expect {st.Arg(1)}' is not supported (string, rstring, binary; no options such as min-recv or on-success)");
            return;
        }

        var pattern = st.Arg(2);
        if (kind == HaproxyTcpCheckKind.ExpectBinary && !IsHex(pattern))
        {
            Error(st.Location, "tcp-check", $"{section}: 'tcp-check expect binary {pattern}': not an even number of hex digits");
            return;
        }

        if (kind == HaproxyTcpCheckKind.ExpectRegex)
        {
            try
            {
                _ = new System.Text.RegularExpressions.Regex(pattern);
            }
            catch (ArgumentException ex)
            {
                Error(st.Location, "tcp-check", $"{section}: 'tcp-check expect rstring {pattern}': {ex.Message}");
                return;
            }
        }

        if (onlyComment(3))
        {
            add(kind.Value, pattern);
        }
    }

    private static bool IsHex(string text) => text.Length > 0 && text.Length % 2 == 0 && text.All(char.IsAsciiHexDigit);

    private void ParseHttpCheck(Statement st, ProxyDraft d, string section)
    {
        if (!NeedArgs(st, 1, "a sub-command", "http-check"))
        {
            return;
        }

        if (st.Arg(0) != "expect")
        {
            Warn(st.Location, "http-check", $"{section}: 'http-check {st.Arg(0)}' is not supported by Ha.Net; ignored");
            return;
        }

        var i = 1;
        var negated = false;
        if (st.ArgCount > i && st.Arg(i) == "!")
        {
            negated = true;
            i++;
        }

        if (st.ArgCount < i + 2)
        {
            Error(st.Location, "http-check expect", $"{section}: 'http-check expect' needs a match kind (status, rstatus, string, rstring) and a pattern");
            return;
        }

        HaproxyHttpExpectKind? kind = st.Arg(i) switch
        {
            "status" => HaproxyHttpExpectKind.Status,
            "rstatus" => HaproxyHttpExpectKind.RStatus,
            "string" => HaproxyHttpExpectKind.BodyString,
            "rstring" => HaproxyHttpExpectKind.BodyRegex,
            _ => null,
        };
        if (kind is null)
        {
            Error(st.Location, "http-check expect", $"{section}: 'http-check expect {st.Arg(i)}' is not supported (status, rstatus, string, rstring)");
            return;
        }

        var pattern = st.Arg(i + 1);
        if (kind is HaproxyHttpExpectKind.RStatus or HaproxyHttpExpectKind.BodyRegex)
        {
            try
            {
                _ = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException ex)
            {
                Error(st.Location, "http-check expect", $"{section}: 'http-check expect {st.Arg(i)}': invalid regular expression '{pattern}': {ex.Message}");
                return;
            }
        }
        else if (kind == HaproxyHttpExpectKind.Status && !pattern.Split(',').All(IsStatusOrRange))
        {
            Error(st.Location, "http-check expect", $"{section}: 'http-check expect status': '{pattern}' is not a status code, range or list");
            return;
        }

        d.Expects.Add(new HaproxyHttpCheckExpect(kind.Value, pattern, negated, st.Location));
        d.Proxy.SetLine("http-check expect", st.Location);
    }

    private static bool IsStatusOrRange(string s)
    {
        var parts = s.Split('-');
        return parts.Length is 1 or 2 && parts.All(x => x.Length == 3 && x.All(char.IsAsciiDigit));
    }

    private void ParseStats(Statement st, ProxyDraft d, string section)
    {
        if (!NeedArgs(st, 1, "a sub-command", "stats"))
        {
            return;
        }

        var sub = st.Arg(0);
        var key = $"stats {sub}";
        var stats = d.EnsureStats(st.Location);
        stats.SetLine(key, st.Location);
        d.Proxy.SetLine(key, st.Location);
        switch (sub)
        {
            case "enable":
                stats.Enabled = true;
                break;
            case "disable":
                stats.Enabled = false;
                break;
            case "uri":
                if (NeedArgs(st, 2, "a URI prefix", key))
                {
                    stats.Uri = st.Arg(1);
                    stats.Enabled = true;
                }

                break;
            case "realm":
                if (NeedArgs(st, 2, "a realm", key))
                {
                    stats.Realm = st.Rest(1);
                    stats.Enabled = true;
                }

                break;
            case "auth":
                if (NeedArgs(st, 2, "user:password", key))
                {
                    var colon = st.Arg(1).IndexOf(':', StringComparison.Ordinal);
                    if (colon <= 0)
                    {
                        // Never echo the value: a token without ':' or without a user may be the password itself.
                        var what = colon < 0 ? "user:password" : "a user name before ':'";
                        Error(st.Location, key, $"{section}: 'stats auth' needs {what} (the value is not repeated here: it may hold a password)");
                    }
                    else
                    {
                        if (d.StatsUsersInherited)
                        {
                            // HAProxy: a section's own 'stats' lines detach it from the defaults' settings, so the
                            // defaults' users no longer open its page.
                            d.StatsUsers.Clear();
                            d.StatsUserLines.Clear();
                            d.StatsUsersInherited = false;
                        }

                        var user = st.Arg(1)[..colon];
                        if (d.StatsUserLines.TryGetValue(user, out var first))
                        {
                            // HAProxy: "uri auth: ignoring duplicated user 'admin'."; the first password stays the only one.
                            Warn(st.Location, key, $"{section}: uri auth: ignoring duplicated user '{user}' (the first, at {first}, is kept, as HAProxy does)");
                        }
                        else
                        {
                            d.StatsUsers.Add(new KeyValuePair<string, string>(user, st.Arg(1)[(colon + 1)..]));
                            d.StatsUserLines[user] = st.Location;
                        }

                        stats.Enabled = true;
                    }
                }

                break;
            case "admin":
                if (NeedArgs(st, 2, "if|unless <condition>", key) && ParseCondition(st, 1, key) is { } cond)
                {
                    foreach (var term in cond.Terms)
                    {
                        if (term.TrimStart('!') is not ("TRUE" or "FALSE" or "LOCALHOST" or "||" or "or"))
                        {
                            Error(st.Location, key, $"{section}: 'stats admin' condition term '{term}' is not supported (TRUE, FALSE, LOCALHOST, with ! and ||)");
                        }
                    }

                    stats.Admin = cond;
                }

                break;
            case "hide-version":
                stats.HideVersion = true;
                break;
            case "refresh":
                if (NeedArgs(st, 2, "a time", key) && TryTime(st.Location, key, st.Arg(1), out var refresh))
                {
                    stats.Refresh = refresh;
                }

                break;
            case "show-legends":
                stats.ShowLegends = true;
                break;
            case "show-node":
                stats.ShowNode = st.ArgCount >= 2 ? st.Arg(1) : "";
                break;
            case "show-desc":
                stats.ShowDescription = st.ArgCount >= 2 ? st.Rest(1) : "";
                break;
            case "socket" or "timeout" or "maxconn":
                Error(st.Location, key, $"'{key}' is only valid in the global section");
                break;
            case "scope" or "http-request" or "bind-process" or "show-modules":
                Warn(st.Location, key, $"{section}: '{key}' is not supported by Ha.Net; ignored");
                break;
            default:
                Warn(st.Location, key, $"{section}: unknown stats directive '{sub}'; ignored");
                break;
        }
    }
}
