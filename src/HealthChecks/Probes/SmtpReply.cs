namespace Ha.Net.HealthChecks.Probes;

/// <summary>The outcome of parsing an SMTP reply from received bytes.</summary>
internal enum SmtpParse
{
    /// <summary>More bytes are needed.</summary>
    NeedMore,

    /// <summary>A complete reply (one or more lines, the last one final).</summary>
    Complete,

    /// <summary>Not an SMTP reply.</summary>
    Malformed,
}

/// <summary>
/// RFC 5321 §4.2 replies: lines <c>ddd-text</c> continue, a line <c>ddd text</c> or <c>ddd</c> ends
/// the reply; every line carries the same code. HAProxy's greeting rule <c>^[0-9]{3}[ \r]</c>
/// with min-recv 4 means four bytes that cannot start a reply are conclusive, so garbage fails
/// at once instead of waiting for a line end that never comes.
/// </summary>
internal static class SmtpReply
{
    public static SmtpParse TryParse(ReadOnlySpan<byte> data, out int consumed, out int code, out string firstLine, out int lines)
    {
        consumed = 0;
        code = 0;
        firstLine = "";
        lines = 0;
        var offset = 0;
        while (true)
        {
            var rest = data[offset..];
            var nl = rest.IndexOf((byte)'\n');
            if (nl < 0)
            {
                // Partial line: judge its start early (HAProxy's min-recv 4).
                var head = rest[..Math.Min(rest.Length, 4)];
                if (!StartsLikeReply(head, lines == 0 ? -1 : code))
                {
                    firstLine = ProbeIo.Printable(lines == 0 ? rest : data);
                    return SmtpParse.Malformed;
                }

                return SmtpParse.NeedMore;
            }

            var line = rest[..nl];
            if (line.Length > 0 && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            if (line.Length < 3 || !StartsLikeReply(line[..Math.Min(line.Length, 4)], lines == 0 ? -1 : code) ||
                (line.Length > 3 && line[3] is not ((byte)' ' or (byte)'-')))
            {
                firstLine = ProbeIo.Printable(lines == 0 ? line : data[..(offset + nl)]);
                return SmtpParse.Malformed;
            }

            var lineCode = ((line[0] - '0') * 100) + ((line[1] - '0') * 10) + (line[2] - '0');
            if (lines == 0)
            {
                code = lineCode;
                firstLine = ProbeIo.Printable(line);
            }

            lines++;
            offset += nl + 1;
            if (line.Length == 3 || line[3] == (byte)' ')
            {
                consumed = offset;
                return SmtpParse.Complete;
            }
        }
    }

    // The first up to four bytes of a line: three digits (the same code as the first line when
    // given), then ' ', '-' or '\r'.
    private static bool StartsLikeReply(ReadOnlySpan<byte> head, int expectedCode)
    {
        for (var i = 0; i < head.Length && i < 3; i++)
        {
            if (!char.IsAsciiDigit((char)head[i]))
            {
                return false;
            }
        }

        if (head.Length >= 3 && expectedCode >= 0)
        {
            var c = ((head[0] - '0') * 100) + ((head[1] - '0') * 10) + (head[2] - '0');
            if (c != expectedCode)
            {
                return false;
            }
        }

        return head.Length < 4 || head[3] is (byte)' ' or (byte)'-' or (byte)'\r' or (byte)'\n';
    }
}
