namespace Ha.Net.Proxy.Configuration.Haproxy;

internal sealed partial class HaproxyParser
{
    private static readonly HashSet<string> GlobalIgnored = new(StringComparer.Ordinal)
    {
        "quiet", "debug", "uid", "gid", "nbproc", "ulimit-n", "hard-stop-after", "maxconnrate", "maxsessrate", "maxpipes",
        "log-send-hostname", "log-tag", "master-worker", "ssl-default-server-ciphers", "ssl-default-server-options",
        "ssl-default-bind-ciphersuites", "ssl-default-server-ciphersuites", "ssl-server-verify", "ssl-dh-param-file",
        "tune.ssl.default-dh-param", "ca-base", "description", "external-check", "setenv", "presetenv", "unsetenv",
        "resetenv", "cpu-map", "noepoll", "nopoll", "nosplice", "zero-warning", "insecure-fork-wanted", "lua-load",
        "server-state-file", "server-state-base", "localpeer", "expose-experimental-directives", "h1-case-adjust",
        "busy-polling", "set-dumpable", "strict-limits", "grace", "stats", "mworker-max-reloads", "pp2-never-send-local",
    };

    private void ParseGlobal(Statement st)
    {
        var g = _config.Global;
        var kw = st.Keyword;
        var key = kw == "stats" && st.ArgCount > 0 ? $"stats {st.Arg(0)}" : kw;
        g.SetLine(key, st.Location);
        switch (kw)
        {
            case "maxconn":
                if (NeedArgs(st, 1, "a number") && TryInt(st.Location, kw, st.Arg(0), 1, int.MaxValue, out var maxconn))
                {
                    g.MaxConn = maxconn;
                }

                break;
            case "log":
                if (ParseLog(st, allowGlobal: false) is { } target)
                {
                    _globalLogs.Add(target);
                }

                break;
            case "stats" when st.ArgCount >= 1 && st.Arg(0) == "socket":
                ParseStatsSocket(st);
                break;
            case "stats" when st.ArgCount >= 2 && st.Arg(0) == "timeout":
                if (TryTime(st.Location, "stats timeout", st.Arg(1), out var statsTimeout))
                {
                    g.StatsTimeout = statsTimeout;
                }

                break;
            case "user":
            case "group":
            case "chroot":
            case "pidfile":
            case "node":
            case "crt-base":
            case "ssl-default-bind-ciphers":
                if (NeedArgs(st, 1, "a value"))
                {
                    var value = st.Arg(0);
                    _ = kw switch
                    {
                        "user" => g.User = value,
                        "group" => g.Group = value,
                        "chroot" => g.Chroot = value,
                        "pidfile" => g.PidFile = value,
                        "node" => g.Node = value,
                        "crt-base" => g.CrtBase = value,
                        _ => g.SslDefaultBindCiphers = value,
                    };
                }

                break;
            case "ssl-default-bind-options":
                _sslBindOptions.AddRange(st.Words.Skip(1).Select(w => w.Text));
                break;
            case "daemon":
                g.Daemon = true;
                break;
            case "nbthread":
                if (NeedArgs(st, 1, "a thread count") && TryInt(st.Location, kw, st.Arg(0), 1, 4096, out var threads))
                {
                    g.NbThread = threads;
                }

                break;
            case "spread-checks":
                if (NeedArgs(st, 1, "a percentage") && TryInt(st.Location, kw, st.Arg(0), 0, 50, out var spread))
                {
                    g.SpreadChecks = spread;
                }

                break;
            default:
                if (GlobalIgnored.Contains(kw) || kw.StartsWith("tune.", StringComparison.Ordinal))
                {
                    Warn(st.Location, kw, $"global '{key}' is accepted but has no effect in Ha.Net");
                }
                else
                {
                    Warn(st.Location, kw, $"unknown global directive '{kw}'; ignored");
                }

                break;
        }
    }

    private HaproxyLogTarget? ParseLog(Statement st, bool allowGlobal)
    {
        if (!NeedArgs(st, 1, "'global' or an address and a facility"))
        {
            return null;
        }

        if (st.Arg(0) == "global")
        {
            if (!allowGlobal)
            {
                Error(st.Location, "log", "'log global' is only valid in defaults, frontend, backend and listen sections");
            }

            return null;
        }

        var i = 1;
        while (i < st.ArgCount && st.Arg(i) is "len" or "format" or "sample")
        {
            i += 2;
        }

        if (i >= st.ArgCount)
        {
            Error(st.Location, "log", $"'log {st.Arg(0)}' needs a syslog facility (e.g. local2)");
            return null;
        }

        return new HaproxyLogTarget(st.Arg(0), st.Arg(i), i + 1 < st.ArgCount ? st.Arg(i + 1) : null, i + 2 < st.ArgCount ? st.Arg(i + 2) : null, st.Location);
    }

    private void ParseStatsSocket(Statement st)
    {
        if (st.ArgCount < 2)
        {
            Error(st.Location, "stats socket", "'stats socket' needs a path");
            return;
        }

        string? level = null, mode = null, user = null, group = null;
        for (var i = 2; i < st.ArgCount; i++)
        {
            var option = st.Arg(i);
            string? Next()
            {
                if (i + 1 < st.ArgCount)
                {
                    return st.Arg(++i);
                }

                Error(st.Location, "stats socket", $"'stats socket': '{option}' needs a value");
                return null;
            }

            switch (option)
            {
                case "level":
                    level = Next();
                    if (level is not null and not ("user" or "operator" or "admin"))
                    {
                        Error(st.Location, "stats socket", $"'stats socket': level must be user, operator or admin, got '{level}'");
                    }

                    break;
                case "mode":
                    mode = Next();
                    break;
                case "user" or "uid":
                    user = Next();
                    break;
                case "group" or "gid":
                    group = Next();
                    break;
                case "expose-fd":
                    _ = Next();
                    Warn(st.Location, "stats socket", "'stats socket': 'expose-fd' (seamless reload) is not supported; ignored");
                    break;
                default:
                    Warn(st.Location, "stats socket", $"'stats socket': option '{option}' is not supported; ignored");
                    break;
            }
        }

        _statsSockets.Add(new HaproxyStatsSocket(st.Arg(1), level, mode, user, group, st.Location));
    }
}
