using System.Globalization;
using System.Text;

namespace Ha.Net.Proxy.Haproxy;

internal readonly record struct HaproxyToken(string Text, bool Quoted, bool IsCommentMarker);

/// <summary>
/// Splits one haproxy.cfg line into words with HAProxy's rules: blanks separate words, <c>#</c> outside quotes
/// starts a comment, backslash escapes (<c>\ </c>, <c>\#</c>, <c>\\</c>, <c>\"</c>, <c>\'</c>, <c>\t</c>, <c>\n</c>,
/// <c>\r</c>, <c>\xNN</c>), double quotes (escapes apply) and single quotes (literal) group words.
/// On a flattened line (a whole configuration on one line, seed 000) comments are returned as markers so the
/// parser can end them at the next section or directive keyword.
/// </summary>
internal static class HaproxyTokenizer
{
    public static List<HaproxyToken> Tokenize(ReadOnlySpan<char> line, bool keepComments, out string? error)
    {
        error = null;
        var tokens = new List<HaproxyToken>();
        var word = new StringBuilder();
        var inWord = false;
        var quoted = false;
        var i = 0;

        void Flush()
        {
            if (inWord)
            {
                tokens.Add(new HaproxyToken(word.ToString(), quoted, false));
                word.Clear();
                inWord = false;
                quoted = false;
            }
        }

        while (i < line.Length)
        {
            var c = line[i];
            if (c == '\\' && i + 1 < line.Length)
            {
                i += AppendEscape(line, i, word);
                inWord = true;
                continue;
            }

            if (c == '"' || c == '\'')
            {
                var quote = c;
                i++;
                inWord = true;
                quoted = true;
                var closed = false;
                while (i < line.Length)
                {
                    var q = line[i];
                    if (q == quote)
                    {
                        closed = true;
                        i++;
                        break;
                    }

                    if (quote == '"' && q == '\\' && i + 1 < line.Length)
                    {
                        i += AppendEscape(line, i, word);
                        continue;
                    }

                    word.Append(q);
                    i++;
                }

                if (!closed)
                {
                    error = $"unterminated {(quote == '"' ? "double" : "single")} quote";
                }

                continue;
            }

            if (c == '#')
            {
                Flush();
                if (!keepComments)
                {
                    break;
                }

                tokens.Add(new HaproxyToken("#", false, true));
                while (i < line.Length && line[i] == '#')
                {
                    i++;
                }

                continue;
            }

            if (c is ' ' or '\t' || char.IsWhiteSpace(c))
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
        return tokens;
    }

    private static int AppendEscape(ReadOnlySpan<char> line, int i, StringBuilder word)
    {
        var e = line[i + 1];
        switch (e)
        {
            case 't':
                word.Append('\t');
                return 2;
            case 'n':
                word.Append('\n');
                return 2;
            case 'r':
                word.Append('\r');
                return 2;
            case 'x' when i + 3 < line.Length
                          && byte.TryParse(line.Slice(i + 2, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b):
                word.Append((char)b);
                return 4;
            default:
                word.Append(e);
                return 2;
        }
    }
}
