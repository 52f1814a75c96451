using System.Text;
using System.Text.RegularExpressions;

namespace Ha.Net.Vrrp.Keepalived;

/// <summary>glob(3)-style expansion of an <c>include</c> pattern (<c>*</c>, <c>?</c>, <c>[...]</c>), sorted like glob(3).</summary>
internal static class KeepalivedGlob
{
    public static bool HasWildcards(string pattern) => pattern.AsSpan().IndexOfAny("*?[") >= 0;

    public static List<string> Expand(string pattern, string baseDirectory)
    {
        var full = Path.IsPathRooted(pattern) ? pattern : Path.Combine(baseDirectory, pattern);
        if (!HasWildcards(full))
        {
            // A directory is returned too, so the reader can skip it with keepalived's message.
            return File.Exists(full) || Directory.Exists(full) ? [full] : [];
        }

        var root = Path.GetPathRoot(full) ?? "";
        var segments = full[root.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = new List<string> { root.Length == 0 ? "." : root };
        for (var s = 0; s < segments.Length; s++)
        {
            var last = s == segments.Length - 1;
            var segment = segments[s];
            var next = new List<string>();
            foreach (var dir in current)
            {
                if (!HasWildcards(segment))
                {
                    var candidate = Path.Combine(dir, segment);
                    if (last ? File.Exists(candidate) : Directory.Exists(candidate))
                    {
                        next.Add(candidate);
                    }

                    continue;
                }

                if (!Directory.Exists(dir))
                {
                    continue;
                }

                var regex = SegmentRegex(segment);
                IEnumerable<string> entries;
                try
                {
                    entries = last ? Directory.EnumerateFiles(dir) : Directory.EnumerateDirectories(dir);
                    entries = entries.ToList();
                }
                catch (IOException)
                {
                    continue;
                }
                catch (UnauthorizedAccessException)
                {
                    continue;
                }

                foreach (var entry in entries)
                {
                    var name = Path.GetFileName(entry);
                    if (name.StartsWith('.') && !segment.StartsWith('.'))
                    {
                        continue;
                    }

                    if (regex.IsMatch(name))
                    {
                        next.Add(entry);
                    }
                }
            }

            current = next;
        }

        current.Sort(StringComparer.Ordinal);
        return current;
    }

    private static Regex SegmentRegex(string segment)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            switch (c)
            {
                case '*':
                    sb.Append(".*");
                    break;
                case '?':
                    sb.Append('.');
                    break;
                case '[':
                    var close = segment.IndexOf(']', i + 2 <= segment.Length ? i + 2 : i + 1);
                    if (close < 0)
                    {
                        sb.Append(@"\[");
                        break;
                    }

                    var body = segment[(i + 1)..close];
                    var negate = body.StartsWith('!') || body.StartsWith('^');
                    if (negate)
                    {
                        body = body[1..];
                    }

                    sb.Append('[');
                    if (negate)
                    {
                        sb.Append('^');
                    }

                    foreach (var b in body)
                    {
                        sb.Append(b is '\\' or ']' or '[' or '^' ? "\\" + b : b.ToString());
                    }

                    sb.Append(']');
                    i = close;
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        sb.Append('$');
        return new Regex(sb.ToString(), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }
}
