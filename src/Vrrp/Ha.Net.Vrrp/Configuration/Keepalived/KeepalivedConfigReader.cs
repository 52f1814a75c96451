namespace Ha.Net.Vrrp.Configuration.Keepalived;

/// <summary>
/// Reads keepalived.conf files (the VRRP part of keepalived's grammar) into a <see cref="KeepalivedConfig"/>,
/// collecting every error and warning with its file and line so a daemon can refuse a bad configuration
/// before anything starts.
/// </summary>
public static class KeepalivedConfigReader
{
    /// <summary>Reads a configuration file (and the files it includes, relative to the including file).</summary>
    /// <param name="path">The keepalived.conf path.</param>
    /// <returns>The model and every finding; <see cref="KeepalivedConfigResult.Config"/> is null when there are errors.</returns>
    public static KeepalivedConfigResult Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new KeepalivedConfigResult(null,
            [
                new KeepalivedDiagnostic(KeepalivedDiagnosticSeverity.Error, new KeepalivedSourceLine(path, 0), null, $"cannot read configuration file: {ex.Message}"),
            ]);
        }

        return Parse(text, path);
    }

    /// <summary>Reads configuration text; <c>include</c> paths are relative to <paramref name="fileName"/>'s directory.</summary>
    /// <param name="text">The configuration text.</param>
    /// <param name="fileName">The name used in findings and to resolve includes.</param>
    /// <returns>The model and every finding; <see cref="KeepalivedConfigResult.Config"/> is null when there are errors.</returns>
    public static KeepalivedConfigResult Parse(string text, string fileName = "keepalived.conf")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        var directory = Path.GetDirectoryName(Path.GetFullPath(fileName)) ?? Directory.GetCurrentDirectory();
        return KeepalivedParser.Parse(text, fileName, directory);
    }

    /// <summary>Reads a configuration file and returns the model, or throws listing every error.</summary>
    /// <param name="path">The keepalived.conf path.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="KeepalivedConfigException">The configuration has errors.</exception>
    public static KeepalivedConfig LoadOrThrow(string path) => Load(path).GetConfigOrThrow();
}
