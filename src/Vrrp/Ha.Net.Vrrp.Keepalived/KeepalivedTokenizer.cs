using System.Text;

namespace Ha.Net.Vrrp.Keepalived;

internal enum KeepalivedTokenKind
{
    Word,
    OpenBrace,
    CloseBrace,
    EndOfLine,

    /// <summary>A comment start on a flattened line (on ordinary lines comments are dropped).</summary>
    CommentMarker,
}

internal readonly record struct KeepalivedToken(KeepalivedTokenKind Kind, string Text, KeepalivedSourceLine Location, bool Quoted, bool Flattened);

/// <summary>
/// Splits keepalived.conf text into words, braces and line ends with keepalived's lexical rules
/// (ka: parser.c <c>decomment</c>, <c>read_line</c>): <c>!</c> and <c>#</c> start a comment anywhere outside
/// double quotes, <c>\#</c> and <c>\!</c> are literal, <c>{</c> and <c>}</c> outside quotes are tokens of their own
/// (keepalived splits a line at them), a double-quoted string is one word without its quotes.
/// A physical line whose comments contain two or more <c>{</c> is treated as a configuration flattened onto
/// one line (seed 000: the newlines were lost): its comments are reported as <see cref="KeepalivedTokenKind.CommentMarker"/>
/// tokens and the parser ends each comment at the next brace or known keyword.
/// </summary>
internal static class KeepalivedTokenizer
{
    public static List<KeepalivedToken> Tokenize(string text, string file, List<KeepalivedDiagnostic> diagnostics)
    {
        var tokens = new List<KeepalivedToken>();
        var lineNumber = 0;
        var start = 0;
        while (start <= text.Length)
        {
            var end = text.IndexOf('\n', start);
            if (end < 0)
            {
                end = text.Length;
            }

            lineNumber++;
            var line = text.AsSpan(start, end - start).TrimEnd('\r');
            TokenizeLine(line, new KeepalivedSourceLine(file, lineNumber), tokens, diagnostics);
            start = end + 1;
        }

        return tokens;
    }

    private static void TokenizeLine(ReadOnlySpan<char> line, KeepalivedSourceLine location, List<KeepalivedToken> tokens, List<KeepalivedDiagnostic> diagnostics)
    {
        var flattened = IsFlattened(line);
        if (flattened)
        {
            diagnostics.Add(new KeepalivedDiagnostic(
                KeepalivedDiagnosticSeverity.Warning,
                location,
                null,
                "this line holds a whole configuration flattened onto one line (its comments swallow blocks); each comment is read as ending at the next brace or known keyword"));
        }

        var word = new StringBuilder();
        var inWord = false;
        var quotedWord = false;
        var i = 0;

        void Flush()
        {
            if (inWord)
            {
                tokens.Add(new KeepalivedToken(KeepalivedTokenKind.Word, word.ToString(), location, quotedWord, flattened));
                word.Clear();
                inWord = false;
                quotedWord = false;
            }
        }

        while (i < line.Length)
        {
            var c = line[i];
            if (c == '"')
            {
                var close = line[(i + 1)..].IndexOf('"');
                if (close < 0)
                {
                    diagnostics.Add(new KeepalivedDiagnostic(KeepalivedDiagnosticSeverity.Error, location, null, "unterminated quoted string (missing closing '\"')"));
                    word.Append(line[(i + 1)..]);
                    inWord = true;
                    quotedWord = true;
                    i = line.Length;
                    break;
                }

                word.Append(line.Slice(i + 1, close));
                inWord = true;
                quotedWord = true;
                i += close + 2;
                continue;
            }

            if (c == '\\' && i + 1 < line.Length && (line[i + 1] == '#' || line[i + 1] == '!'))
            {
                word.Append(line[i + 1]);
                inWord = true;
                i += 2;
                continue;
            }

            if (c is '#' or '!')
            {
                Flush();
                if (!flattened)
                {
                    break;
                }

                tokens.Add(new KeepalivedToken(KeepalivedTokenKind.CommentMarker, c.ToString(), location, false, true));
                while (i < line.Length && line[i] is '#' or '!')
                {
                    i++;
                }

                continue;
            }

            if (c is '{' or '}')
            {
                Flush();
                tokens.Add(new KeepalivedToken(c == '{' ? KeepalivedTokenKind.OpenBrace : KeepalivedTokenKind.CloseBrace, c.ToString(), location, false, flattened));
                i++;
                continue;
            }

            if (IsKeepalivedSpace(c))
            {
                Flush();
                i++;
                continue;
            }

            word.Append(c);
            inWord = true;
            i++;
        }

        Flush();
        tokens.Add(new KeepalivedToken(KeepalivedTokenKind.EndOfLine, "", location, false, flattened));
    }

    /// <summary>
    /// keepalived's white space (parser.c <c>WHITE_SPACE_STR</c> " \t\f\n\r\v", and isspace() in the C locale): nothing
    /// else separates words. U+00A0 NO-BREAK SPACE (bytes C2 A0, common in text pasted from web pages) and the other
    /// Unicode spaces are word characters to keepalived, so "\u00A0 priority 101" starts with an unknown keyword.
    /// </summary>
    public static bool IsKeepalivedSpace(char c) => c is ' ' or '\t' or '\f' or '\v' or '\r' or '\n';

    /// <summary>A space to .NET that keepalived takes for a word character.</summary>
    public static bool IsForeignSpace(char c) => char.IsWhiteSpace(c) && !IsKeepalivedSpace(c);

    /// <summary>A line is flattened when the text after its first comment start holds two or more <c>{</c>.</summary>
    private static bool IsFlattened(ReadOnlySpan<char> line)
    {
        var inQuote = false;
        var commentStart = -1;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '"')
            {
                inQuote = !inQuote;
            }
            else if (!inQuote && c == '\\' && i + 1 < line.Length)
            {
                i++;
            }
            else if (!inQuote && c is '#' or '!')
            {
                commentStart = i;
                break;
            }
        }

        if (commentStart < 0)
        {
            return false;
        }

        var opens = 0;
        foreach (var c in line[commentStart..])
        {
            if (c == '{')
            {
                opens++;
            }
        }

        return opens >= 2;
    }
}
