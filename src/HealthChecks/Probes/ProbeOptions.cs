using System.Globalization;
using System.Net;
using System.Net.Security;

namespace Ha.Net.HealthChecks.Probes;

/// <summary>
/// Which PROXY protocol header goes first on a connection: from a proxy to its servers (HAProxy <c>send-proxy</c>,
/// <c>send-proxy-v2</c>) or from a network probe (<c>check-send-proxy</c>). <see cref="ProxyProtocolHeader"/> writes it.
/// </summary>
public enum ProxyProtocolVersion
{
    /// <summary>No header.</summary>
    None,

    /// <summary>Version 1, the text line <c>PROXY TCP4 src dst sport dport\r\n</c> (HAProxy <c>send-proxy</c>).</summary>
    V1,

    /// <summary>Version 2, the binary header with command PROXY (HAProxy <c>send-proxy-v2</c>).</summary>
    V2,
}

/// <summary>What every network probe needs: where, how long to connect, and an optional PROXY header.</summary>
public abstract record NetworkProbeOptions
{
    /// <summary>The target (<see cref="IPEndPoint"/>, or <see cref="DnsEndPoint"/> resolved at each check).</summary>
    public required EndPoint EndPoint { get; init; }

    /// <summary>A limit on the TCP connect alone (HAProxy <c>timeout connect</c>); the monitor's timeout bounds the whole check anyway. Default none.</summary>
    public TimeSpan? ConnectTimeout { get; init; }

    /// <summary>Send a PROXY protocol header right after connecting (for servers that expect one: Postfix <c>smtpd_upstream_proxy_protocol</c>, ...).</summary>
    public ProxyProtocolVersion SendProxy { get; init; }

    /// <summary>Collects problems, each naming its key.</summary>
    protected virtual void Validate(List<string> errors)
    {
        if (EndPoint is null)
        {
            errors.Add("EndPoint is required.");
        }
        else if (EndPoint is IPEndPoint { Port: 0 } or DnsEndPoint { Port: 0 })
        {
            errors.Add(Invariant($"EndPoint must have a port, was {EndPoint}."));
        }
        else if (EndPoint is not (IPEndPoint or DnsEndPoint))
        {
            errors.Add(Invariant($"EndPoint must be an IPEndPoint or a DnsEndPoint, was {EndPoint.GetType().Name}."));
        }

        if (ConnectTimeout is { } t && t <= TimeSpan.Zero)
        {
            errors.Add(Invariant($"ConnectTimeout must be positive, was {t}."));
        }

        if (!Enum.IsDefined(SendProxy))
        {
            errors.Add(Invariant($"SendProxy has an undefined value {(int)SendProxy}."));
        }
    }

    /// <summary>Throws one <see cref="ArgumentException"/> listing every problem.</summary>
    internal void ThrowIfInvalid(string paramName)
    {
        var errors = new List<string>();
        Validate(errors);
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Invalid {GetType().Name}: " + string.Join(" ", errors), paramName);
        }
    }

    /// <summary>Formats with the invariant culture.</summary>
    protected static string Invariant(FormattableString s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return s.ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>A TCP connect check (HAProxy's plain <c>check</c>): L4OK when the connection is accepted.</summary>
public sealed record TcpProbeOptions : NetworkProbeOptions
{
    /// <summary>
    /// Close with a reset (SO_LINGER 0) rather than a FIN, as HAProxy does for pure connect checks, so
    /// thousands of checks a second leave no TIME_WAIT behind. Default <see langword="true"/>.
    /// </summary>
    public bool CloseWithReset { get; init; } = true;
}

/// <summary>The greeting verb of the SMTP check.</summary>
public enum SmtpGreeting
{
    /// <summary><c>HELO</c> (HAProxy's default).</summary>
    Helo,

    /// <summary><c>EHLO</c>.</summary>
    Ehlo,
}

/// <summary>
/// HAProxy 2.6.12's <c>option smtpchk</c>: connect, wait for a 2xx greeting (never speak first),
/// <c>HELO|EHLO &lt;domain&gt;</c>, a 2xx (possibly multi-line) reply, <c>QUIT</c>, a 2xx reply, clean close.
/// </summary>
public sealed record SmtpProbeOptions : NetworkProbeOptions
{
    /// <summary>HELO (default) or EHLO.</summary>
    public SmtpGreeting Greeting { get; init; } = SmtpGreeting.Helo;

    /// <summary>The domain after HELO/EHLO (default <c>localhost</c>, as HAProxy).</summary>
    public string Domain { get; init; } = "localhost";

    /// <inheritdoc />
    protected override void Validate(List<string> errors)
    {
        base.Validate(errors);
        if (string.IsNullOrEmpty(Domain) || Domain.Length > 255 || Domain.Any(c => c <= ' ' || c >= 0x7f))
        {
            errors.Add(Invariant($"Domain must be 1-255 printable ASCII characters without spaces, was '{Domain}'."));
        }

        if (!Enum.IsDefined(Greeting))
        {
            errors.Add(Invariant($"Greeting has an undefined value {(int)Greeting}."));
        }
    }
}

/// <summary>An inclusive range of HTTP status codes.</summary>
/// <param name="Min">Lowest accepted code.</param>
/// <param name="Max">Highest accepted code.</param>
public readonly record struct HttpStatusRange(int Min, int Max)
{
    /// <summary>Whether <paramref name="code"/> is in the range.</summary>
    public bool Contains(int code) => code >= Min && code <= Max;

    /// <summary>Parses <c>200</c>, <c>200-299</c>, or a comma-separated list of those (HAProxy <c>http-check expect status</c>).</summary>
    /// <exception cref="FormatException">Not a list of codes or ranges between 100 and 599.</exception>
    public static IReadOnlyList<HttpStatusRange> ParseList(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var list = new List<HttpStatusRange>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var lo = dash < 0 ? part : part[..dash];
            var hi = dash < 0 ? part : part[(dash + 1)..];
            if (!int.TryParse(lo, NumberStyles.None, CultureInfo.InvariantCulture, out var min) ||
                !int.TryParse(hi, NumberStyles.None, CultureInfo.InvariantCulture, out var max) ||
                min < 100 || max > 599 || min > max)
            {
                throw new FormatException($"'{part}' in '{value}' is not an HTTP status code or range (100-599).");
            }

            list.Add(new HttpStatusRange(min, max));
        }

        if (list.Count == 0)
        {
            throw new FormatException($"'{value}' names no HTTP status code.");
        }

        return list;
    }

    /// <inheritdoc />
    public override string ToString() => Min == Max
        ? Min.ToString(CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{Min}-{Max}");
}

/// <summary>An HTTP/1.1 check (HAProxy <c>option httpchk</c> + <c>http-check expect</c>).</summary>
public sealed record HttpProbeOptions : NetworkProbeOptions
{
    /// <summary>The request method (default <c>GET</c>).</summary>
    public string Method { get; init; } = "GET";

    /// <summary>The request target (default <c>/</c>).</summary>
    public string Path { get; init; } = "/";

    /// <summary>The Host header (default: the endpoint's host name or address, with the port unless 80/443).</summary>
    public string? Host { get; init; }

    /// <summary>Extra request headers.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>Accepted status codes (default 200-399, as HAProxy: "2xx and 3xx are considered valid").</summary>
    public IReadOnlyList<HttpStatusRange> ExpectedStatus { get; init; } = [new HttpStatusRange(200, 399)];

    /// <summary>When set, the body must contain this text (UTF-8, ordinal; HAProxy <c>http-check expect string</c>).</summary>
    public string? BodyContains { get; init; }

    /// <summary>How much of the response is read at most (HAProxy's <c>tune.bufsize</c>, 16384).</summary>
    public int MaxResponseBytes { get; init; } = 16384;

    /// <summary>A limit on the wait for the response after the request is sent (the monitor's timeout bounds it anyway).</summary>
    public TimeSpan? ReadTimeout { get; init; }

    /// <summary>Speak TLS (HTTPS).</summary>
    public bool UseTls { get; init; }

    /// <summary>The TLS server name (SNI and certificate name; default the Host header without its port).</summary>
    public string? TlsServerName { get; init; }

    /// <summary>Certificate validation (default: the system's, which rejects untrusted or misnamed certificates).</summary>
    public RemoteCertificateValidationCallback? TlsCertificateValidation { get; init; }

    /// <inheritdoc />
    protected override void Validate(List<string> errors)
    {
        base.Validate(errors);
        if (string.IsNullOrEmpty(Method) || !Method.All(c => char.IsAsciiLetterUpper(c) || c == '-'))
        {
            errors.Add(Invariant($"Method must be an upper-case HTTP method token, was '{Method}'."));
        }

        if (string.IsNullOrEmpty(Path) || (Path[0] != '/' && Path != "*") || Path.Any(c => c <= ' ' || c >= 0x7f))
        {
            errors.Add(Invariant($"Path must start with '/' and contain no spaces or control characters, was '{Path}'."));
        }

        if (Host is not null && (Host.Length == 0 || Host.Any(c => c <= ' ' || c >= 0x7f)))
        {
            errors.Add(Invariant($"Host must be printable ASCII without spaces, was '{Host}'."));
        }

        foreach (var (name, value) in Headers ?? [])
        {
            if (string.IsNullOrEmpty(name) || name.Any(c => c <= ' ' || c >= 0x7f || c == ':') || value is null || value.Any(c => c is '\r' or '\n'))
            {
                errors.Add(Invariant($"Headers has an invalid header '{name}'."));
            }
        }

        if (ExpectedStatus is null || ExpectedStatus.Count == 0 || ExpectedStatus.Any(r => r.Min < 100 || r.Max > 599 || r.Min > r.Max))
        {
            errors.Add("ExpectedStatus must list at least one range within 100-599.");
        }

        if (MaxResponseBytes is < 256 or > 1 << 20)
        {
            errors.Add(Invariant($"MaxResponseBytes must be between 256 and 1048576, was {MaxResponseBytes}."));
        }

        if (ReadTimeout is { } t && t <= TimeSpan.Zero)
        {
            errors.Add(Invariant($"ReadTimeout must be positive, was {t}."));
        }

        if (BodyContains is { Length: 0 })
        {
            errors.Add("BodyContains must not be empty when set.");
        }
    }
}

/// <summary>
/// Is a process alive: by name, as <c>killall -0 NAME</c> / <c>pkill -0 NAME</c> would find it
/// (Linux truncates the kernel's process name to 15 characters, so longer names are matched
/// against /proc/PID/exe and the command line too), or by pidfile with <c>kill(pid, 0)</c> semantics.
/// </summary>
public sealed record ProcessProbeOptions
{
    /// <summary>The process name to look for (exactly one of <see cref="Name"/> and <see cref="PidFile"/>).</summary>
    public string? Name { get; init; }

    /// <summary>A pidfile whose process must exist (exactly one of <see cref="Name"/> and <see cref="PidFile"/>).</summary>
    public string? PidFile { get; init; }

    /// <summary>The /proc mount to read (default <c>/proc</c>).</summary>
    public string ProcRoot { get; init; } = "/proc";

    /// <summary>Collects problems, each naming its key.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(Name) == string.IsNullOrEmpty(PidFile))
        {
            errors.Add("Exactly one of Name and PidFile must be set.");
        }

        if (Name is not null && (Name.Contains('/', StringComparison.Ordinal) || Name.Any(char.IsControl)))
        {
            errors.Add($"Name must be a process name without '/' or control characters, was '{Name}'.");
        }

        if (string.IsNullOrEmpty(ProcRoot))
        {
            errors.Add("ProcRoot must not be empty.");
        }

        return errors;
    }
}

/// <summary>
/// Runs a command (HAProxy <c>external-check</c>, keepalived <c>vrrp_script</c>): exit 0 passes,
/// anything else fails; on timeout its whole process group is killed. Output is captured for the result text.
/// </summary>
public sealed record CommandProbeOptions
{
    /// <summary>The program (looked up in PATH), or with <see cref="UseShell"/> the shell command line.</summary>
    public required string FileName { get; init; }

    /// <summary>Arguments, passed as argv without any shell (ignored with <see cref="UseShell"/>).</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Run <see cref="FileName"/> through <c>/bin/sh -c</c> (what keepalived does with a script line that has shell syntax).</summary>
    public bool UseShell { get; init; }

    /// <summary>The working directory (default the current one).</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Environment variables to set (a <see langword="null"/> value removes the variable).</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>How many characters of output (stdout, then stderr) are kept for the result text. Default 512.</summary>
    public int MaxOutputChars { get; init; } = 512;

    /// <summary>Collects problems, each naming its key.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(FileName))
        {
            errors.Add("FileName must not be empty.");
        }

        if (Arguments is null || Arguments.Any(a => a is null || a.Contains('\0', StringComparison.Ordinal)))
        {
            errors.Add("Arguments must not contain null entries or NUL characters.");
        }

        if (MaxOutputChars is < 0 or > 1 << 20)
        {
            errors.Add($"MaxOutputChars must be between 0 and 1048576, was {MaxOutputChars.ToString(CultureInfo.InvariantCulture)}.");
        }

        return errors;
    }
}
