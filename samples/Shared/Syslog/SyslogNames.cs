namespace Ha.Net.Samples.Shared.Syslog;

/// <summary>
/// syslog facilities and severities by the names HAProxy's <c>log</c> keyword and keepalived's <c>-S</c> accept
/// (RFC 5424 §6.2.1 numbers: <c>PRI = facility × 8 + severity</c>).
/// </summary>
internal static class SyslogNames
{
    /// <summary>HAProxy's facility list (src/log.c <c>log_facilities</c>), in code order 0–23.</summary>
    private static readonly string[] Facilities =
    [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2", "ftp", "ntp", "audit",
        "alert", "cron2", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    ];

    /// <summary>Severities 0–7 as HAProxy names them (src/log.c <c>log_levels</c>).</summary>
    private static readonly string[] Severities = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

    /// <summary>The facility code of a name (<c>local2</c> → 18), or -1.</summary>
    public static int Facility(string name) => Array.IndexOf(Facilities, name);

    /// <summary>The name of a facility code.</summary>
    public static string FacilityName(int code) => Facilities[code];

    /// <summary>The severity of a name (<c>info</c> → 6), or -1.</summary>
    public static int Severity(string name) => Array.IndexOf(Severities, name);

    /// <summary>The name of a severity.</summary>
    public static string SeverityName(int code) => Severities[code];

    /// <summary>The facility names, for error messages.</summary>
    public static string FacilityList => string.Join(", ", Facilities);

    /// <summary>The severity names, for error messages.</summary>
    public static string SeverityList => string.Join(", ", Severities);

    /// <summary>
    /// keepalived's <c>-S</c>: <c>0</c>–<c>7</c> or <c>local0</c>–<c>local7</c> (LOG_LOCAL0–7), or a facility name
    /// (core/main.c 2.2.7); -1 when invalid (keepalived prints <c>Invalid log facility '…'</c> and keeps its default).
    /// </summary>
    public static int KeepalivedFacility(string value)
    {
        var digits = value.StartsWith("local", StringComparison.Ordinal) ? value[5..] : value;
        if (digits.Length == 1 && digits[0] is >= '0' and <= '7')
        {
            return 16 + (digits[0] - '0');
        }

        return Facility(value);
    }
}
