namespace Ha.Net.Proxy.Configuration.Haproxy;

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
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new HaproxyConfigResult(null,
            [
                new HaproxyDiagnostic(HaproxyDiagnosticSeverity.Error, new HaproxySourceLine(path, 0), null, $"cannot read configuration file: {ex.Message}"),
            ]);
        }

        return Parse(text, path);
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
