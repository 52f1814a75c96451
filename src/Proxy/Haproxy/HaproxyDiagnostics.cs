using Ha.Net.ConfigKit;

namespace Ha.Net.Proxy.Haproxy;

/// <summary>Where a directive was read: a configuration file and a 1-based line number.</summary>
/// <param name="File">The file path as given to the reader (or as resolved for an <c>include</c>).</param>
/// <param name="Line">The 1-based line number.</param>
public readonly record struct HaproxySourceLine(string File, int Line)
{
    /// <summary>Formats the location as <c>file:line</c>.</summary>
    /// <returns>The location text.</returns>
    public override string ToString() => ConfigText.Location(File, Line);
}

/// <summary>How serious a configuration finding is.</summary>
public enum HaproxyDiagnosticSeverity
{
    /// <summary>The configuration can run; something was ignored, adjusted or is suspicious.</summary>
    Warning,

    /// <summary>The configuration must be refused.</summary>
    Error,
}

/// <summary>One finding of the haproxy.cfg reader.</summary>
/// <param name="Severity">Warning or error.</param>
/// <param name="Location">Where it was found.</param>
/// <param name="Directive">The directive (keyword) concerned, or <see langword="null"/> for a syntax finding.</param>
/// <param name="Message">A message naming the directive and the problem.</param>
public sealed record HaproxyDiagnostic(
    HaproxyDiagnosticSeverity Severity,
    HaproxySourceLine Location,
    string? Directive,
    string Message)
{
    /// <summary>Formats the finding as <c>file:line: error: message</c>.</summary>
    /// <returns>The finding text.</returns>
    public override string ToString() =>
        ConfigText.Finding(Location.ToString(), Severity == HaproxyDiagnosticSeverity.Error, Message);
}

/// <summary>The outcome of reading a HAProxy configuration: the model (when valid) and every finding.</summary>
public sealed class HaproxyConfigResult
{
    internal HaproxyConfigResult(HaproxyConfig? config, IReadOnlyList<HaproxyDiagnostic> diagnostics)
    {
        Diagnostics = diagnostics;
        (Errors, Warnings) = ConfigText.Split(diagnostics, d => d.Severity == HaproxyDiagnosticSeverity.Error);
        Config = Errors.Count == 0 ? config : null;
    }

    /// <summary>The configuration, or <see langword="null"/> when there is at least one error.</summary>
    public HaproxyConfig? Config { get; }

    /// <summary>Every finding in reading order.</summary>
    public IReadOnlyList<HaproxyDiagnostic> Diagnostics { get; }

    /// <summary>The errors; a non-empty list means the configuration is refused.</summary>
    public IReadOnlyList<HaproxyDiagnostic> Errors { get; }

    /// <summary>The warnings (unknown or unsupported directives, adjusted values).</summary>
    public IReadOnlyList<HaproxyDiagnostic> Warnings { get; }

    /// <summary>Whether the configuration has no errors.</summary>
    public bool IsValid => Errors.Count == 0;

    /// <summary>Returns the configuration or throws <see cref="HaproxyConfigException"/> listing every error.</summary>
    /// <returns>The configuration.</returns>
    /// <exception cref="HaproxyConfigException">The configuration has errors.</exception>
    public HaproxyConfig GetConfigOrThrow() =>
        Config ?? throw new HaproxyConfigException(Errors, Warnings);
}

/// <summary>Thrown when a HAProxy configuration is refused; carries every error and warning.</summary>
public sealed class HaproxyConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HaproxyConfigException()
        : this([], [])
    {
    }

    /// <summary>Creates the exception with a message and no findings.</summary>
    /// <param name="message">The message.</param>
    public HaproxyConfigException(string message)
        : base(message)
    {
        Errors = [];
        Warnings = [];
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public HaproxyConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
        Warnings = [];
    }

    /// <summary>Creates the exception from the reader's findings.</summary>
    /// <param name="errors">The errors.</param>
    /// <param name="warnings">The warnings.</param>
    public HaproxyConfigException(IReadOnlyList<HaproxyDiagnostic> errors, IReadOnlyList<HaproxyDiagnostic> warnings)
        : base(FormatMessage(errors))
    {
        Errors = errors;
        Warnings = warnings;
    }

    /// <summary>The errors that refused the configuration.</summary>
    public IReadOnlyList<HaproxyDiagnostic> Errors { get; }

    /// <summary>The warnings found alongside.</summary>
    public IReadOnlyList<HaproxyDiagnostic> Warnings { get; }

    private static string FormatMessage(IReadOnlyList<HaproxyDiagnostic> errors) =>
        ConfigText.Refusal("HAProxy", errors.Select(e => e.ToString()).ToArray());
}
