using System.Globalization;

namespace Ha.Net.Proxy.Haproxy;

internal sealed partial class HaproxyParser
{
    private static readonly HashSet<string> GlobalIgnored = new(StringComparer.Ordinal)
    {
        "quiet", "debug", "uid", "gid", "nbproc", "ulimit-n", "hard-stop-after", "maxconnrate", "maxsessrate",
        "log-send-hostname", "log-tag", "master-worker", "ssl-default-server-ciphers", "ssl-default-server-options",
        "ssl-default-bind-ciphersuites", "ssl-default-server-ciphersuites", "ssl-server-verify", "ssl-dh-param-file",
        "tune.ssl.default-dh-param", "ca-base", "description", "external-check", "setenv", "presetenv", "unsetenv",
        "resetenv", "cpu-map", "noepoll", "nopoll", "zero-warning", "insecure-fork-wanted", "lua-load",
        "server-state-file", "server-state-base", "localpeer", "expose-experimental-directives", "h1-case-adjust",
        "busy-polling", "set-dumpable", "strict-limits", "grace", "stats", "mworker-max-reloads", "pp2-never-send-local",
    };

    private void ParseGlobal(Statement st)
    {
        var g = _config.Global;
        var kw = st.Keyword;
        var key = kw == "stats" && st.ArgCount > 0 ? $"stats {st.Arg(0)}" : kw;
        var previousLine = g.DirectiveLines.TryGetValue(key, out var previous) ? previous : (HaproxySourceLine?)null;
        g.SetLine(key, st.Location);
        switch (kw)
        {
            case "maxpipes":
                if (NeedArgs(st, 1, "a number") && NoExtraArgs(st, 1) && TryInt(st.Location, kw, st.Arg(0), 0, int.MaxValue, out var maxpipes))
                {
                    if (g.MaxPipes is > 0 && previousLine is { } first)
                    {
                        // HAProxy: "'maxpipes' already specified. Continuing." and the first value stays.
                        g.SetLine(key, first);
                        Warn(st.Location, kw, $"'maxpipes' is already set at {first}; this line is ignored, as HAProxy does");
                        break;
                    }

                    g.MaxPipes = maxpipes;
                }

                break;
            case "tune.pipesize":
                if (NeedArgs(st, 1, "a size in bytes") && NoExtraArgs(st, 1) && TryPipeSize(st.Location, st.Arg(0), out var pipeSize))
                {
                    g.PipeSize = pipeSize;
                }

                break;
            case "nosplice":
                if (NoExtraArgs(st, 0))
                {
                    g.NoSplice = true;
                }

                break;
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

    /// <summary>
    /// <c>tune.pipesize &lt;size&gt;</c>: digits with an optional <c>k</c>, <c>m</c> or <c>g</c> suffix (powers of 1024),
    /// as HAProxy 3.1 and later read it (HAProxy 2.6 ignored a suffix: "64k" was 64 bytes, so a suffix warns).
    /// 0 keeps the kernel's default; below one page the kernel rounds up to a page, so Ha.Net reads 4096;
    /// above 64 MiB (the runtime's limit) it is an error.
    /// </summary>
    private bool TryPipeSize(HaproxySourceLine at, string text, out int value)
    {
        const string directive = "tune.pipesize";
        const long Max = 64L * 1024 * 1024;
        value = 0;
        var digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits]))
        {
            digits++;
        }

        long multiplier = text.Length - digits == 1 ? char.ToLowerInvariant(text[digits]) switch
        {
            'k' => 1L << 10,
            'm' => 1L << 20,
            'g' => 1L << 30,
            _ => 0,
        } : text.Length == digits ? 1 : 0;
        if (digits == 0 || multiplier == 0
            || !long.TryParse(text.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            Error(at, directive, $"'{directive}' must be a size in bytes (a number with an optional k, m or g suffix), got '{text}'");
            return false;
        }

        if (number > Max || number * multiplier > Max)
        {
            Error(at, directive, $"'{directive}' must be at most 67108864 bytes (64m) in Ha.Net, got '{text}'");
            return false;
        }

        if (multiplier > 1)
        {
            Warn(at, directive, $"'{directive} {text}' is read as {number * multiplier} bytes, as HAProxy 3.1 and later read it; HAProxy 2.6 ignores the suffix and reads {number} bytes");
        }

        value = (int)(number * multiplier);
        if (value is > 0 and < 4096)
        {
            Warn(at, directive, $"'{directive} {text}': the kernel rounds a pipe up to one page, so Ha.Net uses 4096 bytes");
            value = 4096;
        }

        return true;
    }

    /// <summary>HAProxy refuses a global keyword followed by more arguments than it takes.</summary>
    private bool NoExtraArgs(Statement st, int count)
    {
        if (st.ArgCount <= count)
        {
            return true;
        }

        Error(st.Location, st.Keyword, $"'{st.Keyword}' cannot handle unexpected argument '{st.Arg(count)}'");
        return false;
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

        // HAProxy 2.6 (src/log.c parse_logger): log <address> [len <length>] [format <format>] [sample <ranges>:<size>]
        // <facility> [<level> [<minlevel>]]; each word checked, refused with HAProxy's words.
        var i = 1;
        int? length = null;
        string? format = null;
        while (i < st.ArgCount && st.Arg(i) is "len" or "format" or "sample")
        {
            if (i + 1 >= st.ArgCount)
            {
                Error(st.Location, "log", $"'log {st.Arg(0)}': '{st.Arg(i)}' expects a value");
                return null;
            }

            var value = st.Arg(i + 1);
            switch (st.Arg(i))
            {
                case "len":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var len) || len is < 80 or > 65535)
                    {
                        Error(st.Location, "log", $"'log {st.Arg(0)}': len must be between 80 and 65535, got '{value}'");
                        return null;
                    }

                    length = len;
                    break;
                case "format":
                    if (value is not ("rfc3164" or "rfc5424" or "local" or "priority" or "short" or "raw" or "timed" or "iso"))
                    {
                        Error(st.Location, "log", $"'log {st.Arg(0)}': unknown log format '{value}'");
                        return null;
                    }

                    format = value;
                    break;
                default:
                    // Parsed by HAProxy; not run here. Refused rather than silently logging every message.
                    Error(st.Location, "log", $"'log {st.Arg(0)}': 'sample' (log sampling) is not supported by Ha.Net");
                    return null;
            }

            i += 2;
        }

        if (i >= st.ArgCount)
        {
            Error(st.Location, "log", $"'log {st.Arg(0)}' needs a syslog facility (e.g. local2)");
            return null;
        }

        if (Array.IndexOf(LogFacilities, st.Arg(i)) < 0)
        {
            Error(st.Location, "log", $"unknown log facility '{st.Arg(i)}'");
            return null;
        }

        if (i + 1 < st.ArgCount && Array.IndexOf(LogLevels, st.Arg(i + 1)) < 0)
        {
            Error(st.Location, "log", $"unknown optional log level '{st.Arg(i + 1)}'");
            return null;
        }

        if (i + 2 < st.ArgCount && Array.IndexOf(LogLevels, st.Arg(i + 2)) < 0)
        {
            Error(st.Location, "log", $"unknown optional minimum log level '{st.Arg(i + 2)}'");
            return null;
        }

        if (i + 3 < st.ArgCount)
        {
            Error(st.Location, "log", $"'log' cannot handle unexpected argument '{st.Arg(i + 3)}'");
            return null;
        }

        return new HaproxyLogTarget(st.Arg(0), st.Arg(i), i + 1 < st.ArgCount ? st.Arg(i + 1) : null, i + 2 < st.ArgCount ? st.Arg(i + 2) : null, st.Location)
        {
            Length = length,
            Format = format,
        };
    }

    /// <summary>HAProxy's syslog facility names (src/log.c), codes 0–23.</summary>
    private static readonly string[] LogFacilities =
    [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2", "ftp", "ntp", "audit",
        "alert", "cron2", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    ];

    /// <summary>HAProxy's syslog level names, severities 0–7.</summary>
    private static readonly string[] LogLevels = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

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
