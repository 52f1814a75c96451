using Ha.Net.ConfigKit;

namespace Ha.Net.Proxy.Haproxy;

/// <summary>
/// Reads haproxy.cfg files (the tcp-mode part of HAProxy's grammar, plus the statistics page) into a
/// <see cref="HaproxyConfig"/>, collecting every error and warning with its file and line so a daemon can
/// refuse a bad configuration before anything starts.
/// </summary>
public static class HaproxyConfigReader
{
    /// <summary>Reads a configuration file.</summary>
    /// <param name="path">The haproxy.cfg path.</param>
    /// <returns>The model and every finding; <see cref="HaproxyConfigResult.Config"/> is null when there are errors.</returns>
    public static HaproxyConfigResult Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (ReadFile(path, out var error) is not { } text)
        {
            return new HaproxyConfigResult(null,
            [
                new HaproxyDiagnostic(HaproxyDiagnosticSeverity.Error, new HaproxySourceLine(path, 0), null, $"cannot read configuration file: {error}"),
            ]);
        }

        return Parse(text, path);
    }

    /// <summary>The most a configuration file may hold: 16 MiB. A larger file (or an endless one such as
    /// <c>/dev/zero</c>) is refused after reading that much, instead of filling the memory.</summary>
    public const int MaxFileBytes = 16 * 1024 * 1024;

    /// <summary>
    /// Reads a configuration file of at most <see cref="MaxFileBytes"/>, as <see cref="File.ReadAllText(string)"/>
    /// decodes it (UTF-8 unless a byte order mark says otherwise). Any readable file is accepted, as HAProxy
    /// accepts it, pipes and devices included (<c>-f /dev/stdin</c>); only the size is bounded.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="error">Why it could not be read (when the result is <see langword="null"/>).</param>
    /// <returns>The text, or <see langword="null"/> with <paramref name="error"/> saying why.</returns>
    public static string? ReadFile(string path, out string? error)
    {
        try
        {
            var text = ConfigText.ReadBounded(path);
            error = text is null
                ? $"it holds more than {ConfigText.MaxFileBytesText} ({MaxFileBytes} bytes), the most Ha.Net reads from a configuration file"
                : null;
            return text;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            error = ex.Message;
            return null;
        }
    }

    /// <summary>Reads configuration text.</summary>
    /// <param name="text">The configuration text.</param>
    /// <param name="fileName">The name used in findings.</param>
    /// <returns>The model and every finding; <see cref="HaproxyConfigResult.Config"/> is null when there are errors.</returns>
    public static HaproxyConfigResult Parse(string text, string fileName = "haproxy.cfg")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        return HaproxyParser.Parse(text, fileName);
    }

    /// <summary>Reads a configuration file and returns the model, or throws listing every error.</summary>
    /// <param name="path">The haproxy.cfg path.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="HaproxyConfigException">The configuration has errors.</exception>
    public static HaproxyConfig LoadOrThrow(string path) => Load(path).GetConfigOrThrow();
}
