namespace Ha.Net.HealthChecks;

/// <summary>
/// The layer a check result was decided at, as HAProxy reports it in its stats
/// (<c>check_status</c> column): L4 is the TCP connection, L6 TLS/session, L7 the application.
/// </summary>
public enum CheckLayer
{
    /// <summary>No layer (not checked yet, or a check that is not network based).</summary>
    None,

    /// <summary>Layer 4: the TCP connection.</summary>
    L4,

    /// <summary>Layer 6: the TLS or session layer.</summary>
    L6,

    /// <summary>Layer 7: the application protocol (SMTP, HTTP).</summary>
    L7,

    /// <summary>An external process or command (HAProxy's external checks, keepalived's vrrp_script).</summary>
    Process,
}

/// <summary>
/// The outcome of one probe, in HAProxy's taxonomy (<c>check_status</c> in <c>show stat</c>),
/// so an operator can see why a server is down.
/// </summary>
public enum CheckStatus
{
    /// <summary>Not checked yet (HAProxy <c>INI</c>).</summary>
    Unknown,

    /// <summary>Layer 4 connection established (<c>L4OK</c>): the check passed at L4.</summary>
    L4Ok,

    /// <summary>Layer 4 connection timed out (<c>L4TOUT</c>).</summary>
    L4Timeout,

    /// <summary>Layer 4 connection refused, reset or unreachable (<c>L4CON</c>).</summary>
    L4ConnectionError,

    /// <summary>TLS handshake succeeded (<c>L6OK</c>).</summary>
    L6Ok,

    /// <summary>TLS handshake timed out (<c>L6TOUT</c>).</summary>
    L6Timeout,

    /// <summary>TLS handshake or session error (<c>L6RSP</c>).</summary>
    L6Response,

    /// <summary>The application answered as expected (<c>L7OK</c>).</summary>
    L7Ok,

    /// <summary>The application answered, conditionally OK (<c>L7OKC</c>, e.g. HTTP 404 with disable-on-404).</summary>
    L7OkConditional,

    /// <summary>The application did not answer in time (<c>L7TOUT</c>).</summary>
    L7Timeout,

    /// <summary>The application answered with something that is not its protocol (<c>L7RSP</c>).</summary>
    L7Response,

    /// <summary>The application answered with an error status (<c>L7STS</c>, e.g. SMTP 554, HTTP 503).</summary>
    L7Status,

    /// <summary>The process or command ran and passed (<c>PROCOK</c>).</summary>
    ProcessOk,

    /// <summary>The process or command failed (<c>PROCERR</c>): non-zero exit, or the process is not running.</summary>
    ProcessError,

    /// <summary>The command did not finish in time and was killed (<c>PROCTOUT</c>).</summary>
    ProcessTimeout,

    /// <summary>The check itself could not be run (<c>SOCKERR</c>, a missing executable, ...).</summary>
    SocketError,

    /// <summary>Not a probe: errors observed on live traffic counted as a failed check (<c>HANA</c>,
    /// HAProxy's <c>observe</c> with <c>on-error fail-check</c>, <c>sudden-death</c> or <c>mark-down</c>).</summary>
    HealthAnalyze,
}

/// <summary>The result of one probe of one target.</summary>
/// <param name="Status">What was observed, in HAProxy's taxonomy.</param>
/// <param name="Code">The protocol or exit code, when there is one (SMTP 250, HTTP 503, exit status 1).</param>
/// <param name="Description">A short human-readable explanation (the reply line, the error, the command's output).</param>
/// <param name="Duration">How long the probe took.</param>
public readonly record struct CheckResult(CheckStatus Status, int? Code, string? Description, TimeSpan Duration)
{
    /// <summary>Whether this result counts as a pass for rise/fall.</summary>
    public bool Passed => Status is CheckStatus.L4Ok or CheckStatus.L6Ok or CheckStatus.L7Ok
        or CheckStatus.L7OkConditional or CheckStatus.ProcessOk;

    /// <summary>The layer the result was decided at.</summary>
    public CheckLayer Layer => Status switch
    {
        CheckStatus.L4Ok or CheckStatus.L4Timeout or CheckStatus.L4ConnectionError => CheckLayer.L4,
        CheckStatus.L6Ok or CheckStatus.L6Timeout or CheckStatus.L6Response => CheckLayer.L6,
        CheckStatus.L7Ok or CheckStatus.L7OkConditional or CheckStatus.L7Timeout or CheckStatus.L7Response or CheckStatus.L7Status => CheckLayer.L7,
        CheckStatus.ProcessOk or CheckStatus.ProcessError or CheckStatus.ProcessTimeout => CheckLayer.Process,
        _ => CheckLayer.None,
    };

    /// <summary>HAProxy's short name for <see cref="Status"/> (<c>L4OK</c>, <c>L7STS</c>, ...), as in the stats CSV.</summary>
    public string HaproxyStatusName => Status switch
    {
        CheckStatus.Unknown => "INI",
        CheckStatus.L4Ok => "L4OK",
        CheckStatus.L4Timeout => "L4TOUT",
        CheckStatus.L4ConnectionError => "L4CON",
        CheckStatus.L6Ok => "L6OK",
        CheckStatus.L6Timeout => "L6TOUT",
        CheckStatus.L6Response => "L6RSP",
        CheckStatus.L7Ok => "L7OK",
        CheckStatus.L7OkConditional => "L7OKC",
        CheckStatus.L7Timeout => "L7TOUT",
        CheckStatus.L7Response => "L7RSP",
        CheckStatus.L7Status => "L7STS",
        CheckStatus.ProcessOk => "PROCOK",
        CheckStatus.ProcessError => "PROCERR",
        CheckStatus.ProcessTimeout => "PROCTOUT",
        CheckStatus.SocketError => "SOCKERR",
        CheckStatus.HealthAnalyze => "HANA",
        _ => "UNK",
    };

    /// <summary>HAProxy's long description of <see cref="Status"/> (<c>Layer4 connection problem</c>, ...), as in its logs.</summary>
    public string HaproxyStatusDescription => Status switch
    {
        CheckStatus.Unknown => "Initializing",
        CheckStatus.L4Ok => "Layer4 check passed",
        CheckStatus.L4Timeout => "Layer4 timeout",
        CheckStatus.L4ConnectionError => "Layer4 connection problem",
        CheckStatus.L6Ok => "Layer6 check passed",
        CheckStatus.L6Timeout => "Layer6 timeout",
        CheckStatus.L6Response => "Layer6 invalid response",
        CheckStatus.L7Ok => "Layer7 check passed",
        CheckStatus.L7OkConditional => "Layer7 check conditionally passed",
        CheckStatus.L7Timeout => "Layer7 timeout",
        CheckStatus.L7Response => "Layer7 invalid response",
        CheckStatus.L7Status => "Layer7 wrong status",
        CheckStatus.ProcessOk => "External check passed",
        CheckStatus.ProcessError => "External check error",
        CheckStatus.ProcessTimeout => "External check timeout",
        CheckStatus.SocketError => "Socket error",
        CheckStatus.HealthAnalyze => "Health analyze",
        _ => "Unknown",
    };

    /// <summary>Whether the status is one of the timeouts (L4TOUT, L6TOUT, L7TOUT, PROCTOUT).</summary>
    public bool IsTimeout => Status is CheckStatus.L4Timeout or CheckStatus.L6Timeout or CheckStatus.L7Timeout or CheckStatus.ProcessTimeout;

    /// <inheritdoc />
    public override string ToString() =>
        $"{HaproxyStatusName}{(Code is { } c ? " " + c.ToString(System.Globalization.CultureInfo.InvariantCulture) : "")}" +
        $" in {Duration.TotalMilliseconds:0}ms{(Description is null ? "" : ": " + Description)}";
}
