using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ha.Net.Vrrp.Addresses;

namespace Ha.Net.Vrrp.Keepalived;

/// <summary>Recursive-descent reader of keepalived.conf producing <see cref="KeepalivedConfig"/> and every finding.</summary>
internal sealed partial class KeepalivedParser
{
    private const int MaxIncludeDepth = 16;

    private readonly List<KeepalivedDiagnostic> _diagnostics = [];
    private readonly Stack<Source> _sources = new();
    private readonly List<string> _files = [];
    private Statement? _pushback;

    private readonly KeepalivedConfig _config = new();
    private readonly List<KeepalivedVrrpScript> _scripts = [];
    private readonly List<InstanceDraft> _instances = [];
    private readonly List<KeepalivedSyncGroup> _groups = [];
    private readonly GarpDraft _globalGarp = new();

    private KeepalivedParser()
    {
    }

    public static KeepalivedConfigResult Parse(string text, string fileName, string baseDirectory)
    {
        var parser = new KeepalivedParser();
        try
        {
            parser.PushSource(text, fileName, baseDirectory);
            parser.ParseTop();
            parser.FinishModel();
        }
        catch (IOException ex)
        {
            parser.Error(new KeepalivedSourceLine(fileName, 0), null, $"cannot read configuration: {ex.Message}");
        }

        return new KeepalivedConfigResult(parser._config, parser._diagnostics);
    }

    // ------------------------------------------------------------------ diagnostics

    private void Error(KeepalivedSourceLine at, string? directive, string message) =>
        _diagnostics.Add(new KeepalivedDiagnostic(KeepalivedDiagnosticSeverity.Error, at, directive, ShowForeignSpaces(message)));

    /// <param name="at">Where.</param>
    /// <param name="directive">The directive concerned.</param>
    /// <param name="message">The finding.</param>
    /// <param name="keepalivedReports">keepalived 2.2.7 reports it as a configuration error too (report_config_error
    /// above CONFIG_OK), so its -t would exit 5 although it runs the configuration.</param>
    private void Warn(KeepalivedSourceLine at, string? directive, string message, bool keepalivedReports = false) =>
        _diagnostics.Add(new KeepalivedDiagnostic(KeepalivedDiagnosticSeverity.Warning, at, directive, ShowForeignSpaces(message))
        {
            KeepalivedCheck = keepalivedReports ? KeepalivedCheckClass.Error : KeepalivedCheckClass.None,
        });

    /// <summary>
    /// A word that holds a space keepalived does not split at (U+00A0 from a web page, ...) is shown with that
    /// character spelled out, since it prints as a plain space: "unknown directive '&lt;U+00A0&gt;'".
    /// </summary>
    private static string ShowForeignSpaces(string message)
    {
        if (!message.Any(KeepalivedTokenizer.IsForeignSpace))
        {
            return message;
        }

        var text = new System.Text.StringBuilder(message.Length + 120);
        var nbsp = false;
        foreach (var c in message)
        {
            if (KeepalivedTokenizer.IsForeignSpace(c))
            {
                text.Append(CultureInfo.InvariantCulture, $"<U+{(int)c:X4}>");
                nbsp |= c == '\u00A0';
            }
            else
            {
                text.Append(c);
            }
        }

        text.Append(nbsp
            ? " (U+00A0 NO-BREAK SPACE is no white space to keepalived, which reads it as part of the word: replace it with a space)"
            : " (keepalived separates words with spaces and tabs only: replace that character with a space)");
        return text.ToString();
    }

    // ------------------------------------------------------------------ token sources and statements

    private sealed class Source(List<KeepalivedToken> tokens, string file, string directory, Source? parent)
    {
        public List<KeepalivedToken> Tokens { get; } = tokens;

        /// <summary>The file name as reported in findings.</summary>
        public string File { get; } = file;

        /// <summary>The file's full path with a final symbolic link resolved: what an include loop is detected on.</summary>
        public string Identity { get; } = FileIdentity(file);

        public string Directory { get; } = directory;

        /// <summary>The source whose <c>include</c> opened this one (null for the main file).</summary>
        public Source? Parent { get; } = parent;

        public int Depth { get; } = parent is null ? 0 : parent.Depth + 1;

        public int Position { get; set; }
    }

    private static string FileIdentity(string file)
    {
        var full = Path.GetFullPath(file);
        try
        {
            return File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException)
        {
            return full;
        }
        catch (UnauthorizedAccessException)
        {
            return full;
        }
    }

    private enum StatementKind
    {
        Words,
        Open,
        Close,
    }

    private sealed record Statement(StatementKind Kind, List<KeepalivedToken> Words, KeepalivedSourceLine Location)
    {
        public string Keyword => Words[0].Text;

        public int ArgCount => Words.Count - 1;

        public string Arg(int i) => Words[i + 1].Text;

        public string Text => string.Join(' ', Words.Select(w => w.Text));
    }

    /// <summary>What a block accepts: used to end comments and split statements on flattened lines.</summary>
    private sealed class BlockSyntax(string name, Func<KeepalivedToken, bool> endsComment, Func<List<KeepalivedToken>, KeepalivedToken, bool> splitsBefore)
    {
        public string Name { get; } = name;

        public Func<KeepalivedToken, bool> EndsComment { get; } = endsComment;

        public Func<List<KeepalivedToken>, KeepalivedToken, bool> SplitsBefore { get; } = splitsBefore;

        public static BlockSyntax Keywords(string name, params IEnumerable<string>[] keywordSets)
        {
            var set = new HashSet<string>(StringComparer.Ordinal) { "include" };
            foreach (var s in keywordSets)
            {
                set.UnionWith(s);
            }

            return new BlockSyntax(name, t => !t.Quoted && set.Contains(t.Text), (_, t) => !t.Quoted && set.Contains(t.Text));
        }
    }

    private void PushSource(string text, string file, string directory)
    {
        _files.Add(file);
        var tokens = KeepalivedTokenizer.Tokenize(text, file, _diagnostics);
        _sources.Push(new Source(tokens, file, directory, null));
    }

    private bool TryPeek(out KeepalivedToken token)
    {
        while (_sources.Count > 0)
        {
            var top = _sources.Peek();
            if (top.Position < top.Tokens.Count)
            {
                token = top.Tokens[top.Position];
                return true;
            }

            _sources.Pop();
        }

        token = default;
        return false;
    }

    private bool TryPeekInCurrentSource(out KeepalivedToken token)
    {
        if (_sources.Count > 0)
        {
            var top = _sources.Peek();
            if (top.Position < top.Tokens.Count)
            {
                token = top.Tokens[top.Position];
                return true;
            }
        }

        token = default;
        return false;
    }

    private void Advance() => _sources.Peek().Position++;

    private Statement? Read(BlockSyntax syntax)
    {
        if (_pushback is not null)
        {
            var p = _pushback;
            _pushback = null;
            return p;
        }

        var inComment = false;
        while (TryPeek(out var token))
        {
            switch (token.Kind)
            {
                case KeepalivedTokenKind.EndOfLine:
                    Advance();
                    inComment = false;
                    continue;
                case KeepalivedTokenKind.CommentMarker:
                    Advance();
                    inComment = true;
                    continue;
                case KeepalivedTokenKind.OpenBrace:
                    Advance();
                    return new Statement(StatementKind.Open, [], token.Location);
                case KeepalivedTokenKind.CloseBrace:
                    Advance();
                    return new Statement(StatementKind.Close, [], token.Location);
            }

            if (inComment)
            {
                if (!syntax.EndsComment(token))
                {
                    Advance();
                    continue;
                }

                inComment = false;
            }

            var words = new List<KeepalivedToken> { token };
            Advance();
            while (TryPeekInCurrentSource(out var next) && next.Kind == KeepalivedTokenKind.Word)
            {
                if (next.Flattened && syntax.SplitsBefore(words, next))
                {
                    break;
                }

                words.Add(next);
                Advance();
            }

            if (words[0].Text == "include" && !words[0].Quoted)
            {
                HandleInclude(new Statement(StatementKind.Words, words, token.Location));
                continue;
            }

            return new Statement(StatementKind.Words, words, token.Location);
        }

        return null;
    }

    private void HandleInclude(Statement st)
    {
        if (st.ArgCount < 1)
        {
            Error(st.Location, "include", "'include' needs a file name or glob pattern");
            return;
        }

        var current = _sources.Peek();
        if (current.Depth + 1 > MaxIncludeDepth)
        {
            Error(st.Location, "include", $"'include {st.Arg(0)}' nests deeper than {MaxIncludeDepth} levels (an include loop?)");
            return;
        }

        var pattern = st.Arg(0);
        var matches = KeepalivedGlob.Expand(pattern, current.Directory);
        if (matches.Count == 0)
        {
            if (KeepalivedGlob.HasWildcards(pattern))
            {
                Warn(st.Location, "include", $"'include {pattern}': no file matches (relative to {current.Directory})");
            }
            else
            {
                Error(st.Location, "include", $"'include {pattern}': file not found (relative to {current.Directory})");
            }

            return;
        }

        // Read in glob order (so Files and findings follow it), push in reverse so the first is read first.
        var sources = new List<Source>();
        foreach (var match in matches)
        {
            // An include of a file that is being read (itself, or a file that included it) would never end:
            // keepalived 2.2.7 has no limit and reopens it until it runs out of file descriptors ("open problem
            // (Too many open files) - skipping"), then reads the rest of each level again ("vrrp instance VI_1
            // already defined" once per level). It is stopped here, at the include that closes the loop.
            var identity = FileIdentity(match);
            var chain = new List<Source>();
            for (var s = current; s is not null; s = s.Parent)
            {
                chain.Add(s);
            }

            if (chain.Any(s => s.Identity == identity))
            {
                chain.Reverse();
                var loop = chain.SkipWhile(s => s.Identity != identity).Select(s => s.File).Append(match);
                Error(st.Location, "include", $"'include {pattern}': '{match}' is already being read (include loop: {string.Join(" -> ", loop)}); not read again");
                continue;
            }

            // keepalived 2.2.7 parser.c check_glob_file(): only a regular file without an execute bit is read; the
            // others are skipped with its message (an error only for "include_check"/"includer", not a plain include).
            var status = KeepalivedFile.Probe(match);
            if (status.Kind == KeepalivedFile.Kind.Directory)
            {
                Warn(st.Location, "include", $"Configuration file '{match}' is a directory - skipping");
                continue;
            }

            if (status.Kind != KeepalivedFile.Kind.Missing && !status.IsRegularNonExecutable)
            {
                Warn(st.Location, "include", $"Configuration file '{match}' is not a regular non-executable file - skipping");
                continue;
            }

            string? text;
            try
            {
                text = status.Size > KeepalivedFile.MaxBytes ? null : KeepalivedFile.ReadBounded(match);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Error(st.Location, "include", $"'include {pattern}': cannot read '{match}': {ex.Message}");
                continue;
            }

            if (text is null)
            {
                Error(st.Location, "include", $"'include {pattern}': '{match}' is bigger than {KeepalivedFile.MaxBytesText} ({Math.Max(status.Size, KeepalivedFile.MaxBytes + 1)} bytes or more); not read");
                continue;
            }

            _files.Add(match);
            sources.Add(new Source(KeepalivedTokenizer.Tokenize(text, match, _diagnostics), match, Path.GetDirectoryName(Path.GetFullPath(match)) ?? ".", current));
        }

        for (var i = sources.Count - 1; i >= 0; i--)
        {
            _sources.Push(sources[i]);
        }
    }

    /// <summary>Reads the '{' that must follow a block keyword (on the same line or the next).</summary>
    private bool ExpectOpen(Statement header, BlockSyntax innerSyntax)
    {
        var next = Read(innerSyntax);
        if (next is { Kind: StatementKind.Open })
        {
            return true;
        }

        // keepalived reports "Missing '{' at beginning of configuration block" and reads the block anyway.
        Warn(header.Location, header.Keyword, $"'{header.Text}' is not followed by '{{'; reading the block up to its '}}' as keepalived does", keepalivedReports: true);
        _pushback = next;
        return next is not null;
    }

    /// <summary>Reads statements up to the matching '}', handing each to <paramref name="onStatement"/>.</summary>
    private void ParseBody(Statement header, BlockSyntax syntax, Action<Statement> onStatement)
    {
        if (!ExpectOpen(header, syntax))
        {
            return;
        }

        while (true)
        {
            var st = Read(syntax);
            if (st is null)
            {
                Error(header.Location, header.Keyword, $"block '{header.Text}' is not terminated (missing '}}' before the end of the configuration)");
                return;
            }

            if (st.Kind == StatementKind.Close)
            {
                return;
            }

            if (st.Kind == StatementKind.Open)
            {
                Error(st.Location, null, $"unexpected '{{' inside '{header.Keyword}'");
                SkipBody(st);
                continue;
            }

            onStatement(st);
        }
    }

    /// <summary>Skips to the '}' matching an already-read '{'.</summary>
    private void SkipBody(Statement opener)
    {
        var depth = 1;
        while (TryPeek(out var t))
        {
            Advance();
            if (t.Kind == KeepalivedTokenKind.OpenBrace)
            {
                depth++;
            }
            else if (t.Kind == KeepalivedTokenKind.CloseBrace && --depth == 0)
            {
                return;
            }
        }

        Error(opener.Location, null, "block is not terminated (missing '}' before the end of the configuration)");
    }

    /// <summary>An unknown or unsupported keyword: skip its block if one follows.</summary>
    private void SkipOptionalBlock(BlockSyntax syntax)
    {
        var next = Read(syntax);
        if (next is { Kind: StatementKind.Open })
        {
            SkipBody(next);
        }
        else
        {
            _pushback = next;
        }
    }

    private void Unknown(Statement st, string block, HashSet<string> unsupported, BlockSyntax syntax)
    {
        if (unsupported.Contains(st.Keyword))
        {
            Warn(st.Location, st.Keyword, $"'{st.Keyword}' in {block} is a keepalived directive Ha.Net does not support; ignored");
        }
        else
        {
            // keepalived: "Unknown keyword '%s'" (CONFIG_UNKNOWN_KEYWORD).
            Warn(st.Location, st.Keyword, $"unknown directive '{st.Keyword}' in {block}; ignored", keepalivedReports: true);
        }

        SkipOptionalBlock(syntax);
    }

    // ------------------------------------------------------------------ value helpers

    private bool NeedArgs(Statement st, int count, string what)
    {
        if (st.ArgCount >= count)
        {
            return true;
        }

        Error(st.Location, st.Keyword, $"'{st.Keyword}' needs {what}");
        return false;
    }

    private void NoMoreArgs(Statement st, int allowed)
    {
        if (st.ArgCount > allowed)
        {
            // A password run into these words is hidden by KeepalivedDiagnostic itself.
            Warn(st.Location, st.Keyword, $"'{st.Keyword}': extra parameter(s) '{string.Join(' ', st.Words.Skip(allowed + 1).Select(w => w.Text))}' ignored");
        }
    }

    private bool TryInt(Statement st, string directive, string text, int min, int max, out int value)
    {
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value) && value >= min && value <= max)
        {
            return true;
        }

        Error(st.Location, directive, $"'{directive}' must be an integer between {min} and {max}, got '{text}'");
        return false;
    }

    private bool TrySeconds(Statement st, string directive, string text, decimal min, decimal max, out decimal seconds)
    {
        if (decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out seconds) && seconds >= min && seconds <= max)
        {
            return true;
        }

        Error(st.Location, directive, $"'{directive}' must be a number of seconds between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}, got '{text}'");
        return false;
    }

    private static TimeSpan Seconds(decimal seconds) => TimeSpan.FromTicks((long)(seconds * TimeSpan.TicksPerSecond));

    private bool TryIp(Statement st, string directive, string text, out IPAddress address)
    {
        if (IsIpLiteral(text) && IPAddress.TryParse(text, out var parsed))
        {
            address = parsed;
            return true;
        }

        address = IPAddress.None;
        Error(st.Location, directive, $"'{directive}': '{text}' is not a valid IP address");
        return false;
    }

    private static bool IsIpLiteral(string text) =>
        text.Length > 0 && (text.Contains(':', StringComparison.Ordinal) || (text.Count(c => c == '.') == 3 && text.All(c => char.IsAsciiDigit(c) || c == '.')));

    private static bool LooksLikeAddress(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var ip = slash >= 0 ? text[..slash] : text;
        return IsIpLiteral(ip) && IPAddress.TryParse(ip, out _);
    }

    private bool? ParseOptionalBool(Statement st)
    {
        if (st.ArgCount == 0)
        {
            return true;
        }

        switch (st.Arg(0).ToLowerInvariant())
        {
            case "on" or "true" or "yes":
                return true;
            case "off" or "false" or "no":
                return false;
            default:
                Error(st.Location, st.Keyword, $"'{st.Keyword}' takes no parameter or one of on/off/true/false/yes/no, got '{st.Arg(0)}'");
                return null;
        }
    }
}
