using System.Globalization;
using System.Text;

namespace Ha.Net.ConfigKit;

/// <summary>
/// What the two configuration readers (Ha.Net.Vrrp.Keepalived and Ha.Net.Proxy.Haproxy) share: reading a file with a
/// bound on its size, <c>file:line</c>, the text of a finding and of a refusal, and the split of findings into errors
/// and warnings. Compiled into each package from this one file (internal there); each package keeps its own public
/// diagnostic and result types, which format through here. The tokenizers are not shared: keepalived's and HAProxy's
/// lexical rules differ (comments, quotes, escapes, braces).
/// </summary>
internal static class ConfigText
{
    /// <summary>The most read from one configuration file: 16 MiB, far above any real keepalived.conf or haproxy.cfg.</summary>
    public const long MaxFileBytes = 16 * 1024 * 1024;

    /// <summary><see cref="MaxFileBytes"/> as the findings spell it.</summary>
    public const string MaxFileBytesText = "16 MiB";

    /// <summary>
    /// Reads a file of at most <see cref="MaxFileBytes"/> as <see cref="File.ReadAllText(string)"/> decodes it (UTF-8
    /// unless a byte order mark says otherwise, the mark dropped); <see langword="null"/> when it holds more. Never
    /// reads more than <see cref="MaxFileBytes"/> + 1 bytes, so a device or an endless pipe (<c>/dev/zero</c>) ends.
    /// </summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be opened.</exception>
    public static string? ReadBounded(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
        using var content = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, MaxFileBytes + 1 - content.Length))) > 0)
        {
            content.Write(chunk, 0, read);
            if (content.Length > MaxFileBytes)
            {
                return null;
            }
        }

        content.Position = 0;
        using var reader = new StreamReader(content, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary><c>file:line</c>.</summary>
    public static string Location(string file, int line) => string.Create(CultureInfo.InvariantCulture, $"{file}:{line}");

    /// <summary>A finding as both readers print it: <c>file:line: error: message</c> (or <c>warning</c>).</summary>
    public static string Finding(string location, bool isError, string message) =>
        $"{location}: {(isError ? "error" : "warning")}: {message}";

    /// <summary>The message of a refused configuration: the count of errors, then each on its own line.</summary>
    /// <param name="dialect">The configuration's name in the message (<c>keepalived</c>, <c>HAProxy</c>).</param>
    /// <param name="errors">The errors, formatted.</param>
    public static string Refusal(string dialect, IReadOnlyCollection<string> errors) =>
        errors.Count == 0
            ? $"The {dialect} configuration was refused."
            : string.Create(CultureInfo.InvariantCulture, $"The {dialect} configuration has {errors.Count} error(s):{Environment.NewLine}")
              + string.Join(Environment.NewLine, errors);

    /// <summary>The errors and the warnings among <paramref name="findings"/>, each in reading order.</summary>
    public static (T[] Errors, T[] Warnings) Split<T>(IReadOnlyList<T> findings, Func<T, bool> isError) =>
        (findings.Where(isError).ToArray(), findings.Where(f => !isError(f)).ToArray());
}
