using System.Globalization;

namespace Ha.Net.Proxy.Haproxy;

/// <summary>Reader of haproxy.cfg producing <see cref="HaproxyConfig"/> and every finding.</summary>
internal sealed partial class HaproxyParser
{
    private static readonly HashSet<string> SectionKeywords = new(StringComparer.Ordinal) { "global", "defaults", "frontend", "backend", "listen" };

    private static readonly HashSet<string> UnsupportedSections = new(StringComparer.Ordinal)
    {
        "peers", "resolvers", "userlist", "mailers", "cache", "program", "http-errors", "ring", "log-forward",
        "crt-store", "traces", "fcgi-app", "dynamic-update",
    };

    private static readonly HashSet<string> ZeroArgDirectives = new(StringComparer.Ordinal)
    {
        "daemon", "quiet", "debug", "master-worker", "noepoll", "nopoll", "nosplice", "zero-warning", "disabled", "enabled",
        "external-check", "insecure-fork-wanted", "strict-limits", "defaults", "global",
    };

    private readonly List<HaproxyDiagnostic> _diagnostics = [];
    private readonly List<string> _files = [];
    private readonly HaproxyConfig _config = new();
    private readonly List<ProxyDraft> _proxies = [];
    private readonly List<HaproxyLogTarget> _globalLogs = [];
    private readonly List<HaproxyStatsSocket> _statsSockets = [];
    private readonly List<string> _sslBindOptions = [];

    private SectionKind _section = SectionKind.None;
    private ProxyDraft? _current;
    private ProxyDraft _defaults = ProxyDraft.NewDefaults();

    private enum SectionKind
    {
        None,
        Global,
        Defaults,
        Proxy,
        Unsupported,
    }

    private HaproxyParser()
    {
    }

    public static HaproxyConfigResult Parse(string text, string fileName)
    {
        var parser = new HaproxyParser();
        parser._files.Add(fileName);
        parser.ParseText(text, fileName);
        parser.EndSection();
        parser.Finish();
        return new HaproxyConfigResult(parser._config, parser._diagnostics);
    }

    private void Error(HaproxySourceLine at, string? directive, string message) =>
        _diagnostics.Add(new HaproxyDiagnostic(HaproxyDiagnosticSeverity.Error, at, directive, message));

    private void Warn(HaproxySourceLine at, string? directive, string message) =>
        _diagnostics.Add(new HaproxyDiagnostic(HaproxyDiagnosticSeverity.Warning, at, directive, message));

    private sealed record Statement(List<HaproxyToken> Words, HaproxySourceLine Location)
    {
        public string Keyword => Words[0].Text;

        public int ArgCount => Words.Count - 1;

        public string Arg(int i) => Words[i + 1].Text;

        public string Text => string.Join(' ', Words.Select(w => w.Text));

        public string Rest(int from) => string.Join(' ', Words.Skip(from + 1).Select(w => w.Text));
    }

    // ------------------------------------------------------------------ lines and flattened lines

    private void ParseText(string text, string file)
    {
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.AsSpan().TrimEnd('\r');
            var location = new HaproxySourceLine(file, lineNumber);
            if (line.IndexOf('\0') is var nul and >= 0)
            {
                // HAProxy: "parsing [/dev/zero:1]: Stray NUL character at position 1." A binary file: nothing after it is read.
                Error(location, null, $"stray NUL character at position {nul + 1}: this is not a text configuration file; the rest of it is not read");
                return;
            }

            var flattened = IsFlattened(line);
            var tokens = HaproxyTokenizer.Tokenize(line, flattened, out var lexError);
            if (lexError is not null)
            {
                Error(location, null, lexError);
            }

            if (!flattened)
            {
                if (tokens.Count > 0)
                {
                    Handle(new Statement(tokens, location));
                }

                continue;
            }

            Warn(location, null, "this line holds a whole configuration flattened onto one line (its comments swallow sections); each comment is read as ending at the next section or directive keyword");
            SplitFlattened(tokens, location);
        }
    }

    /// <summary>A line is flattened when its comment holds two or more "section [name] directive" sequences.</summary>
    private static bool IsFlattened(ReadOnlySpan<char> line)
    {
        var hash = line.IndexOf('#');
        if (hash < 0)
        {
            return false;
        }

        var words = line[hash..].ToString().Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var sections = 0;
        for (var i = 0; i < words.Length; i++)
        {
            if (!SectionKeywords.Contains(words[i]))
            {
                continue;
            }

            if ((i + 1 < words.Length && KnownDirectives.Contains(words[i + 1]))
                || (i + 2 < words.Length && KnownDirectives.Contains(words[i + 2])))
            {
                sections++;
            }
        }

        return sections >= 2;
    }

    private static bool StartsStatement(HaproxyToken token) =>
        !token.Quoted && (SectionKeywords.Contains(token.Text) || UnsupportedSections.Contains(token.Text) || KnownDirectives.Contains(token.Text));

    private void SplitFlattened(List<HaproxyToken> tokens, HaproxySourceLine location)
    {
        var current = new List<HaproxyToken>();
        var inComment = false;

        void Emit()
        {
            if (current.Count > 0)
            {
                Handle(new Statement(current, location));
                current = [];
            }
        }

        foreach (var token in tokens)
        {
            if (token.IsCommentMarker)
            {
                Emit();
                inComment = true;
                continue;
            }

            if (inComment)
            {
                if (!StartsStatement(token))
                {
                    continue;
                }

                inComment = false;
                current.Add(token);
                continue;
            }

            if (current.Count > 0 && StartsStatement(token))
            {
                var first = current[0].Text;
                var firstArgProtected = current.Count == 1 && !ZeroArgDirectives.Contains(first);
                if (!firstArgProtected)
                {
                    Emit();
                }
            }

            current.Add(token);
        }

        Emit();
    }

    // ------------------------------------------------------------------ dispatch

    private void Handle(Statement st)
    {
        var kw = st.Keyword;
        if (SectionKeywords.Contains(kw) || UnsupportedSections.Contains(kw))
        {
            EndSection();
            StartSection(st);
            return;
        }

        switch (_section)
        {
            case SectionKind.None:
                Error(st.Location, kw, $"'{kw}' appears before any section (global, defaults, frontend, backend or listen)");
                break;
            case SectionKind.Unsupported:
                break;
            case SectionKind.Global:
                ParseGlobal(st);
                break;
            case SectionKind.Defaults:
                ParseProxyStatement(st, _defaults);
                break;
            case SectionKind.Proxy:
                ParseProxyStatement(st, _current!);
                break;
        }
    }

    private void StartSection(Statement st)
    {
        var kw = st.Keyword;
        switch (kw)
        {
            case "global":
                _section = SectionKind.Global;
                _config.Global.Location = st.Location;
                if (st.ArgCount > 0)
                {
                    Warn(st.Location, kw, $"'global': extra parameter(s) '{st.Rest(0)}' ignored");
                }

                break;
            case "defaults":
                _section = SectionKind.Defaults;
                _defaults = ProxyDraft.NewDefaults();
                _defaults.Location = st.Location;
                if (st.ArgCount > 0)
                {
                    if (st.ArgCount >= 2 && st.Arg(1) == "from")
                    {
                        Error(st.Location, kw, "'defaults ... from ...' (defaults inheriting named defaults) is not supported");
                    }
                    else
                    {
                        Warn(st.Location, kw, $"named defaults section '{st.Arg(0)}': Ha.Net applies the last defaults section to the proxies that follow it, as HAProxy does without 'from'");
                    }
                }

                break;
            case "frontend" or "backend" or "listen":
                _section = SectionKind.Proxy;
                var kind = kw switch
                {
                    "frontend" => HaproxySectionKind.Frontend,
                    "backend" => HaproxySectionKind.Backend,
                    _ => HaproxySectionKind.Listen,
                };
                _current = _defaults.CloneFor(kind, st.Location);
                if (st.ArgCount < 1)
                {
                    Error(st.Location, kw, $"'{kw}' needs a name");
                    _current.Name = $"<unnamed {kw} at line {st.Location.Line}>";
                }
                else
                {
                    _current.Name = st.Arg(0);
                    if (st.ArgCount > 1)
                    {
                        if (kind == HaproxySectionKind.Backend)
                        {
                            Error(st.Location, kw, $"backend '{st.Arg(0)}' cannot have addresses on its header ('{st.Rest(1)}')");
                        }
                        else
                        {
                            // Old syntax: "listen name addr:port" / "frontend name addr:port" is an implicit bind.
                            var bind = new Statement([new HaproxyToken("bind", false, false), .. st.Words.Skip(2)], st.Location);
                            ParseBind(bind, _current);
                        }
                    }
                }

                _proxies.Add(_current);
                break;
            default:
                _section = SectionKind.Unsupported;
                Warn(st.Location, kw, $"section '{kw}' is not supported by Ha.Net; ignored up to the next section");
                break;
        }
    }

    private void EndSection()
    {
        _section = SectionKind.None;
        _current = null;
    }

    // ------------------------------------------------------------------ value helpers

    private bool NeedArgs(Statement st, int count, string what, string? directive = null)
    {
        if (st.ArgCount >= count)
        {
            return true;
        }

        directive ??= st.Keyword;
        Error(st.Location, directive, $"'{directive}' needs {what}");
        return false;
    }

    private bool TryInt(HaproxySourceLine at, string directive, string text, int min, int max, out int value)
    {
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value) && value >= min && value <= max)
        {
            return true;
        }

        Error(at, directive, $"'{directive}' must be an integer between {min} and {max}, got '{text}'");
        return false;
    }

    /// <summary>HAProxy time: a number with an optional unit us, ms, s, m, h, d (default ms).</summary>
    internal static TimeSpan? ParseTime(string text)
    {
        var digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits]))
        {
            digits++;
        }

        if (digits == 0 || !long.TryParse(text.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return null;
        }

        long? ticks = text[digits..] switch
        {
            "" or "ms" => n * TimeSpan.TicksPerMillisecond,
            "us" => n * TimeSpan.TicksPerMicrosecond,
            "s" => n * TimeSpan.TicksPerSecond,
            "m" => n * TimeSpan.TicksPerMinute,
            "h" => n * TimeSpan.TicksPerHour,
            "d" => n * TimeSpan.TicksPerDay,
            _ => null,
        };
        if (ticks is not { } t || n > int.MaxValue || t > int.MaxValue * TimeSpan.TicksPerMillisecond)
        {
            return null;
        }

        return TimeSpan.FromTicks(t);
    }

    private bool TryTime(HaproxySourceLine at, string directive, string text, out TimeSpan value)
    {
        if (ParseTime(text) is { } t)
        {
            value = t;
            return true;
        }

        value = default;
        Error(at, directive, $"'{directive}': '{text}' is not a valid time (a number with an optional unit us, ms, s, m, h or d; default ms; at most 2147483647 ms)");
        return false;
    }
}
