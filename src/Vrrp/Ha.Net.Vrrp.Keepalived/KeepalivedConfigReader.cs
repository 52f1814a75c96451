namespace Ha.Net.Vrrp.Keepalived;

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

        // keepalived 2.2.7 (parser.c check_conf_file/check_glob_file) reads only a regular file without an execute bit.
        var status = KeepalivedFile.Probe(path);
        if (status.Kind != KeepalivedFile.Kind.Missing && !status.IsRegularNonExecutable)
        {
            return Refused(path, $"Configuration file '{path}' is not a regular non-executable file");
        }

        string? text;
        try
        {
            text = status.Size > KeepalivedFile.MaxBytes ? null : KeepalivedFile.ReadBounded(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Refused(path, $"cannot read configuration file: {ex.Message}");
        }

        return text is null
            ? Refused(path, $"configuration file '{path}' is bigger than {KeepalivedFile.MaxBytesText} ({Math.Max(status.Size, KeepalivedFile.MaxBytes + 1)} bytes or more); not read")
            : Parse(text, path);
    }

    /// <summary>The file cannot be read at all: keepalived cannot run it (its -t exit 4, KEEPALIVED_CHK_EXIT_CONFIG).</summary>
    private static KeepalivedConfigResult Refused(string path, string message) =>
        new(null,
        [
            new KeepalivedDiagnostic(KeepalivedDiagnosticSeverity.Error, new KeepalivedSourceLine(path, 0), null, message)
            {
                KeepalivedCheck = KeepalivedCheckClass.Fatal,
            },
        ]);

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
