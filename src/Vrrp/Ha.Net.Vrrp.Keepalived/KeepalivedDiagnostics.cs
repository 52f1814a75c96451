using System.Text.RegularExpressions;
using Ha.Net.ConfigKit;

namespace Ha.Net.Vrrp.Keepalived;

/// <summary>Where a directive was read: a configuration file and a 1-based line number.</summary>
/// <param name="File">The file path as given to the reader (or as resolved for an <c>include</c>).</param>
/// <param name="Line">The 1-based line number.</param>
public readonly record struct KeepalivedSourceLine(string File, int Line)
{
    /// <summary>Formats the location as <c>file:line</c>.</summary>
    /// <returns>The location text.</returns>
    public override string ToString() => ConfigText.Location(File, Line);
}

/// <summary>How serious a configuration finding is.</summary>
public enum KeepalivedDiagnosticSeverity
{
    /// <summary>The configuration can run; something was ignored, adjusted or is suspicious.</summary>
    Warning,

    /// <summary>The configuration must be refused.</summary>
    Error,
}

/// <summary>
/// How keepalived 2.2.7's <c>-t</c> counts the same finding (lib/parser.h config_err_t, core/main.c
/// config_test_exit()); the value is the exit code of <c>keepalived -t</c>, and keepalived keeps the highest of the
/// findings (vreport_config_error keeps the numerically highest config_err_t: 6 wins over 5, 5 over 4).
/// </summary>
internal enum KeepalivedCheckClass
{
    /// <summary>keepalived says nothing, or only logs it (a plain include's file errors, Ha.Net's own findings).</summary>
    None = 0,

    /// <summary>CONFIG_FILE_NOT_FOUND, CONFIG_BAD_IF, CONFIG_FATAL: KEEPALIVED_CHK_EXIT_CONFIG.</summary>
    Fatal = 4,

    /// <summary>Every other configuration error, most of which keepalived runs with (unknown keyword, invalid number,
    /// "Truncating auth_pass", CONFIG_WARNING ...): KEEPALIVED_CHK_EXIT_CONFIG_TEST.</summary>
    Error = 5,

    /// <summary>CONFIG_SECURITY_ERROR, scripts without enable_script_security: KEEPALIVED_CHK_EXIT_CONFIG_TEST_SECURITY.</summary>
    Security = 6,
}

/// <summary>One finding of the keepalived.conf reader.</summary>
/// <param name="Severity">Warning or error.</param>
/// <param name="Location">Where it was found.</param>
/// <param name="Directive">The directive (keyword) concerned, or <see langword="null"/> for a syntax finding.</param>
/// <param name="Message">A message naming the directive and the problem (the word after any <c>auth_pass</c> it quotes is hidden).</param>
public sealed partial record KeepalivedDiagnostic(
    KeepalivedDiagnosticSeverity Severity,
    KeepalivedSourceLine Location,
    string? Directive,
    string Message)
{
    /// <summary>
    /// A message naming the directive and the problem. Secrets never reach a log line: wherever a finding quotes
    /// configuration text that carries <c>auth_pass</c> and a word after it (a run-together line can put a password
    /// into another keyword's arguments or names), that word reads <c>(hidden)</c>. keepalived's own sentence
    /// "Truncating auth_pass to 8 characters" quotes no password and is kept as it is.
    /// </summary>
    public string Message { get; } = HideSecrets(Message);

    /// <summary>
    /// What keepalived's <c>-t</c> makes of the same finding: every error counts as a configuration error unless
    /// marked fatal; a warning counts only where keepalived reports it too (it is marked where it is made).
    /// </summary>
    internal KeepalivedCheckClass KeepalivedCheck { get; init; } =
        Severity == KeepalivedDiagnosticSeverity.Error ? KeepalivedCheckClass.Error : KeepalivedCheckClass.None;

    private static string HideSecrets(string message) =>
        message.Contains("auth_pass", StringComparison.Ordinal) ? AuthPassWord().Replace(message, "(hidden)") : message;

    [GeneratedRegex(@"(?<=\bauth_pass\s+)(?!to 8 characters\b)(""[^""]*""?|[^\s""]+)")]
    private static partial Regex AuthPassWord();

    /// <summary>Formats the finding as <c>file:line: error: message</c>.</summary>
    /// <returns>The finding text.</returns>
    public override string ToString() =>
        ConfigText.Finding(Location.ToString(), Severity == KeepalivedDiagnosticSeverity.Error, Message);
}

/// <summary>The outcome of reading a keepalived configuration: the model (when valid) and every finding.</summary>
public sealed class KeepalivedConfigResult
{
    internal KeepalivedConfigResult(KeepalivedConfig? config, IReadOnlyList<KeepalivedDiagnostic> diagnostics)
    {
        Diagnostics = diagnostics;
        (Errors, Warnings) = ConfigText.Split(diagnostics, d => d.Severity == KeepalivedDiagnosticSeverity.Error);
        Config = Errors.Count == 0 ? config : null;
        PartialConfig = config;
    }

    /// <summary>
    /// The model as far as it was read, errors or not: what a <c>-t</c> check still inspects on a refused file
    /// (keepalived's script-security verdict is given whatever else is wrong). Never run it.
    /// </summary>
    public KeepalivedConfig? PartialConfig { get; }

    /// <summary>The configuration, or <see langword="null"/> when there is at least one error.</summary>
    public KeepalivedConfig? Config { get; }

    /// <summary>Every finding in reading order.</summary>
    public IReadOnlyList<KeepalivedDiagnostic> Diagnostics { get; }

    /// <summary>The errors; a non-empty list means the configuration is refused.</summary>
    public IReadOnlyList<KeepalivedDiagnostic> Errors { get; }

    /// <summary>The warnings (unknown or unsupported directives, adjusted values).</summary>
    public IReadOnlyList<KeepalivedDiagnostic> Warnings { get; }

    /// <summary>Whether the configuration has no errors.</summary>
    public bool IsValid => Errors.Count == 0;

    /// <summary>What <c>keepalived -t</c> (2.2.7) would exit with on these findings: 0, 4, 5 or 6.</summary>
    public int KeepalivedCheckExitCode => Diagnostics.Select(d => (int)d.KeepalivedCheck).DefaultIfEmpty(0).Max();

    /// <summary>Returns the configuration or throws <see cref="KeepalivedConfigException"/> listing every error.</summary>
    /// <returns>The configuration.</returns>
    /// <exception cref="KeepalivedConfigException">The configuration has errors.</exception>
    public KeepalivedConfig GetConfigOrThrow() =>
        Config ?? throw new KeepalivedConfigException(Errors, Warnings);
}

/// <summary>Thrown when a keepalived configuration is refused; carries every error and warning.</summary>
public sealed class KeepalivedConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KeepalivedConfigException()
        : this([], [])
    {
    }

    /// <summary>Creates the exception with a message and no findings.</summary>
    /// <param name="message">The message.</param>
    public KeepalivedConfigException(string message)
        : base(message)
    {
        Errors = [];
        Warnings = [];
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public KeepalivedConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
        Warnings = [];
    }

    /// <summary>Creates the exception from the reader's findings.</summary>
    /// <param name="errors">The errors.</param>
    /// <param name="warnings">The warnings.</param>
    public KeepalivedConfigException(IReadOnlyList<KeepalivedDiagnostic> errors, IReadOnlyList<KeepalivedDiagnostic> warnings)
        : base(FormatMessage(errors))
    {
        Errors = errors;
        Warnings = warnings;
    }

    /// <summary>The errors that refused the configuration.</summary>
    public IReadOnlyList<KeepalivedDiagnostic> Errors { get; }

    /// <summary>The warnings found alongside.</summary>
    public IReadOnlyList<KeepalivedDiagnostic> Warnings { get; }

    private static string FormatMessage(IReadOnlyList<KeepalivedDiagnostic> errors) =>
        ConfigText.Refusal("keepalived", errors.Select(e => e.ToString()).ToArray());
}
