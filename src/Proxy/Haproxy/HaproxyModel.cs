using Ha.Net.Proxy.Configuration;

namespace Ha.Net.Proxy.Haproxy;

/// <summary>An haproxy.cfg as read: the global section and every proxy with its <c>defaults</c> applied.</summary>
public sealed class HaproxyConfig
{
    /// <summary>The <c>global</c> section (defaults when absent).</summary>
    public HaproxyGlobal Global { get; internal set; } = new();

    /// <summary>Every <c>frontend</c>, <c>backend</c> and <c>listen</c> section in file order, defaults applied.</summary>
    public IReadOnlyList<HaproxyProxy> Proxies { get; internal set; } = [];

    /// <summary>The proxies that accept connections (<c>frontend</c> and <c>listen</c>), stats pages excluded.</summary>
    public IEnumerable<HaproxyProxy> Frontends => Proxies.Where(p => p.Kind is HaproxySectionKind.Frontend or HaproxySectionKind.Listen && !p.IsStatsPage);

    /// <summary>The proxies that hold servers (<c>backend</c> and <c>listen</c>), stats pages excluded.</summary>
    public IEnumerable<HaproxyProxy> Backends => Proxies.Where(p => p.Kind is HaproxySectionKind.Backend or HaproxySectionKind.Listen && !p.IsStatsPage);

    /// <summary>The proxies that serve the statistics page (<c>stats enable</c> / <c>stats uri</c> without servers).</summary>
    public IEnumerable<HaproxyProxy> StatsPages => Proxies.Where(p => p.IsStatsPage);

    /// <summary>Every file read.</summary>
    public IReadOnlyList<string> Files { get; internal set; } = [];

    /// <summary>Finds a proxy by name (a frontend and a backend may share a name: pass the kind to choose).</summary>
    /// <param name="name">The section name.</param>
    /// <param name="kind">The section kind, or <see langword="null"/> for the first of that name.</param>
    /// <returns>The proxy, or <see langword="null"/>.</returns>
    public HaproxyProxy? Find(string name, HaproxySectionKind? kind = null) =>
        Proxies.FirstOrDefault(p => p.Name == name && (kind is null || p.Kind == kind));
}

/// <summary>Common to every part of the model: where it starts and where each directive was read.</summary>
public abstract class HaproxyBlock
{
    private readonly Dictionary<string, HaproxySourceLine> _lines = new(StringComparer.Ordinal);

    /// <summary>Where the section (or line) starts.</summary>
    public HaproxySourceLine Location { get; internal set; }

    /// <summary>Where each directive was read, by keyword (e.g. <c>timeout connect</c>, <c>option smtpchk</c>); inherited values keep their <c>defaults</c> line.</summary>
    public IReadOnlyDictionary<string, HaproxySourceLine> DirectiveLines => _lines;

    internal void SetLine(string keyword, HaproxySourceLine line) => _lines[keyword] = line;

    internal void RemoveLine(string keyword) => _lines.Remove(keyword);

    internal void CopyLinesFrom(HaproxyBlock other)
    {
        foreach (var (k, v) in other._lines)
        {
            _lines[k] = v;
        }
    }
}

/// <summary>A <c>log</c> target: <c>log &lt;address&gt; [len N] [format F] &lt;facility&gt; [level [minlevel]]</c>.</summary>
/// <param name="Address">The address (<c>127.0.0.1</c>, <c>10.0.0.1:514</c>, <c>/dev/log</c>).</param>
/// <param name="Facility">The syslog facility (<c>local2</c>).</param>
/// <param name="Level">The maximum level, or <see langword="null"/>.</param>
/// <param name="MinLevel">The minimum level, or <see langword="null"/>.</param>
/// <param name="Location">Where it was read.</param>
public sealed record HaproxyLogTarget(string Address, string Facility, string? Level, string? MinLevel, HaproxySourceLine Location)
{
    /// <summary><c>len N</c>: the longest line sent (80–65535), or <see langword="null"/> (HAProxy's default, 1024).</summary>
    public int? Length { get; init; }

    /// <summary><c>format F</c> (<c>rfc3164</c>, <c>rfc5424</c>, <c>local</c>, <c>priority</c>, <c>short</c>, <c>raw</c>, <c>timed</c>, <c>iso</c>), or <see langword="null"/> (rfc3164).</summary>
    public string? Format { get; init; }
}

/// <summary>The global <c>stats socket</c>: <c>stats socket &lt;path&gt; [level L] [mode M] ...</c>.</summary>
/// <param name="Path">The UNIX socket path (or <c>ipv4@addr:port</c>).</param>
/// <param name="Level">The access level (<c>user</c>, <c>operator</c>, <c>admin</c>), or <see langword="null"/> when not written.</param>
/// <param name="Mode">The octal permission mode, or <see langword="null"/>.</param>
/// <param name="User">The owner, or <see langword="null"/>.</param>
/// <param name="Group">The group, or <see langword="null"/>.</param>
/// <param name="Location">Where it was read.</param>
public sealed record HaproxyStatsSocket(string Path, string? Level, string? Mode, string? User, string? Group, HaproxySourceLine Location);

/// <summary>The <c>global</c> section.</summary>
public sealed class HaproxyGlobal : HaproxyBlock
{
    /// <summary><c>maxconn</c>: process-wide connection limit, or <see langword="null"/> (HAProxy derives it from ulimit).</summary>
    public int? MaxConn { get; internal set; }

    /// <summary><c>log</c> targets.</summary>
    public IReadOnlyList<HaproxyLogTarget> Logs { get; internal set; } = [];

    /// <summary><c>stats socket</c> lines.</summary>
    public IReadOnlyList<HaproxyStatsSocket> StatsSockets { get; internal set; } = [];

    /// <summary><c>stats timeout</c>, or <see langword="null"/>.</summary>
    public TimeSpan? StatsTimeout { get; internal set; }

    /// <summary><c>user</c>, or <see langword="null"/>.</summary>
    public string? User { get; internal set; }

    /// <summary><c>group</c>, or <see langword="null"/>.</summary>
    public string? Group { get; internal set; }

    /// <summary><c>daemon</c>.</summary>
    public bool Daemon { get; internal set; }

    /// <summary><c>chroot</c>, or <see langword="null"/>.</summary>
    public string? Chroot { get; internal set; }

    /// <summary><c>pidfile</c>, or <see langword="null"/>.</summary>
    public string? PidFile { get; internal set; }

    /// <summary><c>nbthread</c>, or <see langword="null"/>.</summary>
    public int? NbThread { get; internal set; }

    /// <summary><c>spread-checks</c> percentage (0..50, default 0).</summary>
    public int SpreadChecks { get; internal set; }

    /// <summary><c>crt-base</c>, or <see langword="null"/>: the directory relative <c>crt</c> paths are resolved against.</summary>
    public string? CrtBase { get; internal set; }

    /// <summary><c>ssl-default-bind-ciphers</c>, or <see langword="null"/>.</summary>
    public string? SslDefaultBindCiphers { get; internal set; }

    /// <summary><c>ssl-default-bind-options</c>, or empty.</summary>
    public IReadOnlyList<string> SslDefaultBindOptions { get; internal set; } = [];

    /// <summary><c>node</c>, or <see langword="null"/>.</summary>
    public string? Node { get; internal set; }

    // The three below are internal only because the package's public surface is pinned
    // (tests/Ha.Net.PublicApi.Tests/api); the mapper carries them to ProxyOptions.

    /// <summary><c>maxpipes</c>: the most splice pipes at once, or <see langword="null"/> (0 or absent = automatic).</summary>
    internal int? MaxPipes { get; set; }

    /// <summary><c>tune.pipesize</c> in bytes (size suffixes applied), or <see langword="null"/> (the kernel's default).</summary>
    internal int? PipeSize { get; set; }

    /// <summary><c>nosplice</c>: no kernel splicing anywhere, whatever the proxies' <c>option splice-*</c>.</summary>
    internal bool NoSplice { get; set; }
}

/// <summary>The kind of a proxy section.</summary>
public enum HaproxySectionKind
{
    /// <summary><c>frontend</c>: accepts connections.</summary>
    Frontend,

    /// <summary><c>backend</c>: holds servers.</summary>
    Backend,

    /// <summary><c>listen</c>: both.</summary>
    Listen,
}

/// <summary>The proxy mode as written (or inherited).</summary>
public enum HaproxyMode
{
    /// <summary><c>mode tcp</c> (HAProxy's default).</summary>
    Tcp,

    /// <summary><c>mode http</c>.</summary>
    Http,
}

/// <summary>One listening address of a <c>bind</c> line.</summary>
/// <param name="Address">The address; <c>*</c>, empty or <c>0.0.0.0</c> mean all IPv4 addresses, <c>::</c> all IPv6.</param>
/// <param name="Port">The port.</param>
public sealed record HaproxyEndpoint(string Address, int Port)
{
    /// <summary>Whether the address means "any".</summary>
    public bool IsAny => Address is "" or "*" or "0.0.0.0" or "::";

    /// <summary>Formats as <c>address:port</c> (IPv6 in brackets).</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Address.Contains(':', StringComparison.Ordinal) ? $"[{Address}]:{Port}" : $"{(Address.Length == 0 ? "*" : Address)}:{Port}";
}

/// <summary>A <c>bind</c> line.</summary>
public sealed class HaproxyBind : HaproxyBlock
{
    /// <summary>The addresses (a bind line may list several, comma-separated).</summary>
    public IReadOnlyList<HaproxyEndpoint> Endpoints { get; internal set; } = [];

    /// <summary><c>ssl</c>: TLS is terminated on this listener.</summary>
    public bool Ssl { get; internal set; }

    /// <summary><c>crt</c> paths (a file or a directory), resolved against <c>crt-base</c>.</summary>
    public IReadOnlyList<string> Certificates { get; internal set; } = [];

    /// <summary><c>accept-proxy</c>: a PROXY protocol header is expected from clients.</summary>
    public bool AcceptProxy { get; internal set; }

    /// <summary><c>interface</c>, or <see langword="null"/>.</summary>
    public string? Interface { get; internal set; }

    /// <summary><c>maxconn</c> on the bind line, or <see langword="null"/>.</summary>
    public int? MaxConn { get; internal set; }

    /// <summary><c>backlog</c>, or <see langword="null"/>.</summary>
    public int? Backlog { get; internal set; }

    /// <summary><c>v4v6</c> / <c>v6only</c>.</summary>
    public bool? V6Only { get; internal set; }
}

/// <summary>An <c>acl</c> line: <c>acl &lt;name&gt; &lt;fetch&gt; [flags] [values]</c>.</summary>
/// <param name="Name">The ACL name.</param>
/// <param name="Fetch">The sample fetch (<c>src</c>, <c>dst_port</c>, ...).</param>
/// <param name="Values">Flags and values as written.</param>
/// <param name="Location">Where it was read.</param>
public sealed record HaproxyAcl(string Name, string Fetch, IReadOnlyList<string> Values, HaproxySourceLine Location);

/// <summary>A condition <c>if|unless &lt;cond&gt;</c>, kept as text.</summary>
/// <param name="Negated">Whether the keyword was <c>unless</c>.</param>
/// <param name="Terms">The condition words (ACL names, <c>!</c>-negated names, <c>||</c>/<c>or</c>, <c>TRUE</c>, <c>FALSE</c>, <c>LOCALHOST</c>).</param>
public sealed record HaproxyCondition(bool Negated, IReadOnlyList<string> Terms)
{
    /// <summary>The condition as written, e.g. <c>if TRUE</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => (Negated ? "unless " : "if ") + string.Join(' ', Terms);
}

/// <summary>A <c>use_backend &lt;backend&gt; [if|unless &lt;cond&gt;]</c> rule.</summary>
/// <param name="Backend">The target backend.</param>
/// <param name="Condition">The condition, or <see langword="null"/> for "always".</param>
/// <param name="Location">Where it was read.</param>
public sealed record HaproxyUseBackend(string Backend, HaproxyCondition? Condition, HaproxySourceLine Location);

/// <summary>A <c>balance</c> algorithm Ha.Net runs.</summary>
public enum HaproxyBalanceAlgorithm
{
    /// <summary><c>roundrobin</c> (HAProxy's default).</summary>
    RoundRobin,

    /// <summary><c>static-rr</c>.</summary>
    StaticRoundRobin,

    /// <summary><c>leastconn</c>.</summary>
    LeastConn,

    /// <summary><c>first</c>.</summary>
    First,

    /// <summary><c>source</c>: hash of the client address.</summary>
    Source,

    /// <summary><c>random</c> / <c>random(N)</c>: power of N choices (default 2).</summary>
    Random,
}

/// <summary>The <c>hash-type</c> method.</summary>
public enum HaproxyHashType
{
    /// <summary><c>map-based</c> (HAProxy's default).</summary>
    MapBased,

    /// <summary><c>consistent</c>.</summary>
    Consistent,
}

/// <summary>The <c>balance</c> setting.</summary>
/// <param name="Algorithm">The algorithm.</param>
/// <param name="RandomDraws">For <c>random(N)</c>, N (default 2).</param>
public sealed record HaproxyBalance(HaproxyBalanceAlgorithm Algorithm, int RandomDraws = 2);

/// <summary>PROXY protocol sent to a server.</summary>
public enum HaproxySendProxy
{
    /// <summary>None.</summary>
    None,

    /// <summary><c>send-proxy</c> (v1, text).</summary>
    V1,

    /// <summary><c>send-proxy-v2</c> (binary).</summary>
    V2,
}

/// <summary>A <c>server</c> line, with <c>default-server</c> and HAProxy's defaults applied.</summary>
public sealed class HaproxyServer : HaproxyBlock
{
    /// <summary>The server name.</summary>
    public string Name { get; internal set; } = "";

    /// <summary>The address: an IP address or a host name (resolved when the proxy starts).</summary>
    public string Address { get; internal set; } = "";

    /// <summary>The port, or <see langword="null"/> when omitted (the client's destination port is used).</summary>
    public int? Port { get; internal set; }

    /// <summary><c>check</c>: health checks enabled.</summary>
    public bool Check { get; internal set; }

    /// <summary><c>inter</c> (default 2 s).</summary>
    public TimeSpan Inter { get; internal set; } = TimeSpan.FromSeconds(2);

    /// <summary><c>fastinter</c> (default: <see cref="Inter"/>).</summary>
    public TimeSpan FastInter { get; internal set; } = TimeSpan.FromSeconds(2);

    /// <summary><c>downinter</c> (default: <see cref="Inter"/>).</summary>
    public TimeSpan DownInter { get; internal set; } = TimeSpan.FromSeconds(2);

    /// <summary><c>rise</c> (default 2).</summary>
    public int Rise { get; internal set; } = 2;

    /// <summary><c>fall</c> (default 3).</summary>
    public int Fall { get; internal set; } = 3;

    /// <summary><c>weight</c> (0..256, default 1).</summary>
    public int Weight { get; internal set; } = 1;

    /// <summary><c>backup</c>.</summary>
    public bool Backup { get; internal set; }

    /// <summary><c>maxconn</c> (0 = unlimited).</summary>
    public int MaxConn { get; internal set; }

    /// <summary><c>maxqueue</c> (0 = unlimited).</summary>
    public int MaxQueue { get; internal set; }

    /// <summary><c>slowstart</c> (zero = off).</summary>
    public TimeSpan SlowStart { get; internal set; }

    /// <summary><c>observe layer4</c>: connect errors on live traffic count against the server's health.</summary>
    public bool ObserveLayer4 { get; internal set; }

    /// <summary><c>error-limit</c>: consecutive observed errors that trigger <see cref="OnError"/> (default 10).</summary>
    public int ErrorLimit { get; internal set; } = 10;

    /// <summary><c>on-error</c>: fastinter (default), fail-check, sudden-death or mark-down.</summary>
    public Ha.Net.HealthChecks.ObservedErrorAction OnError { get; internal set; }

    /// <summary><c>send-proxy</c> / <c>send-proxy-v2</c>.</summary>
    public HaproxySendProxy SendProxy { get; internal set; }

    /// <summary><c>check-send-proxy</c>: health checks send the PROXY header too.</summary>
    public bool CheckSendProxy { get; internal set; }

    /// <summary><c>disabled</c>: starts in maintenance.</summary>
    public bool Disabled { get; internal set; }

    /// <summary><c>on-marked-down shutdown-sessions</c>.</summary>
    public bool ShutdownSessionsOnMarkedDown { get; internal set; }

    /// <summary><c>on-marked-up shutdown-backup-sessions</c>.</summary>
    public bool ShutdownBackupSessionsOnMarkedUp { get; internal set; }

    /// <summary><c>port</c>: the health-check port, or <see langword="null"/> for the server's.</summary>
    public int? CheckPort { get; internal set; }

    /// <summary><c>addr</c>: the health-check address, or <see langword="null"/> for the server's.</summary>
    public string? CheckAddress { get; internal set; }

    /// <summary><c>id</c>, or <see langword="null"/> (assigned from 1 in order).</summary>
    public int? Id { get; internal set; }
}

/// <summary>The timeouts of a proxy (<c>timeout ...</c>); <see langword="null"/> means not set.</summary>
public sealed record HaproxyTimeouts
{
    /// <summary><c>timeout connect</c>.</summary>
    public TimeSpan? Connect { get; init; }

    /// <summary><c>timeout client</c>.</summary>
    public TimeSpan? Client { get; init; }

    /// <summary><c>timeout server</c>.</summary>
    public TimeSpan? Server { get; init; }

    /// <summary><c>timeout queue</c> (HAProxy falls back to <c>timeout connect</c>).</summary>
    public TimeSpan? Queue { get; init; }

    /// <summary><c>timeout tunnel</c>.</summary>
    public TimeSpan? Tunnel { get; init; }

    /// <summary><c>timeout client-fin</c>.</summary>
    public TimeSpan? ClientFin { get; init; }

    /// <summary><c>timeout server-fin</c>.</summary>
    public TimeSpan? ServerFin { get; init; }

    /// <summary><c>timeout check</c>.</summary>
    public TimeSpan? Check { get; init; }
}

/// <summary><c>option smtpchk [HELO|EHLO &lt;domain&gt;]</c>.</summary>
/// <param name="Verb">HELO or EHLO (any other verb becomes HELO, as in HAProxy).</param>
/// <param name="Domain">The domain sent (default <c>localhost</c>).</param>
public sealed record HaproxySmtpCheck(string Verb, string Domain);

/// <summary><c>option httpchk [&lt;method&gt;] [&lt;uri&gt;] [&lt;version&gt;]</c>.</summary>
/// <param name="Method">The method (default OPTIONS).</param>
/// <param name="Uri">The URI (default /).</param>
/// <param name="Version">The version (default HTTP/1.0), possibly followed by escaped header lines as old configs write them.</param>
public sealed record HaproxyHttpCheck(string Method, string Uri, string Version);

/// <summary>The kind of a <c>tcp-check</c> rule.</summary>
public enum HaproxyTcpCheckKind
{
    /// <summary><c>connect [port N]</c> (the first rule only); the pattern is the port, or empty.</summary>
    Connect,

    /// <summary><c>send &lt;string&gt;</c> (config escapes applied).</summary>
    Send,

    /// <summary><c>send-binary &lt;hex&gt;</c>.</summary>
    SendBinary,

    /// <summary><c>expect string &lt;text&gt;</c>.</summary>
    ExpectString,

    /// <summary><c>expect rstring &lt;regex&gt;</c>.</summary>
    ExpectRegex,

    /// <summary><c>expect binary &lt;hex&gt;</c>.</summary>
    ExpectBinary,
}

/// <summary>One <c>tcp-check</c> rule.</summary>
/// <param name="Kind">What it does.</param>
/// <param name="Pattern">The text, hex or regular expression (for <see cref="HaproxyTcpCheckKind.Connect"/>, the port or empty).</param>
/// <param name="Location">Where it was read.</param>
public sealed record HaproxyTcpCheckRule(HaproxyTcpCheckKind Kind, string Pattern, HaproxySourceLine Location);

/// <summary>The kind of an <c>http-check expect</c> rule.</summary>
public enum HaproxyHttpExpectKind
{
    /// <summary><c>status &lt;codes&gt;</c> (codes or ranges, comma-separated).</summary>
    Status,

    /// <summary><c>rstatus &lt;regex&gt;</c>.</summary>
    RStatus,

    /// <summary><c>string &lt;text&gt;</c>: the body contains the text.</summary>
    BodyString,

    /// <summary><c>rstring &lt;regex&gt;</c> on the body.</summary>
    BodyRegex,
}

/// <summary><c>http-check expect [!] &lt;kind&gt; &lt;pattern&gt;</c>.</summary>
/// <param name="Kind">The match kind.</param>
/// <param name="Pattern">The pattern.</param>
/// <param name="Negated">Whether <c>!</c> was written.</param>
/// <param name="Location">Where it was read.</param>
public sealed record HaproxyHttpCheckExpect(HaproxyHttpExpectKind Kind, string Pattern, bool Negated, HaproxySourceLine Location);

/// <summary>The statistics page settings (<c>stats ...</c> in a proxy).</summary>
public sealed class HaproxyStats : HaproxyBlock
{
    /// <summary><c>stats enable</c> (implied by <c>stats uri</c>, <c>stats auth</c>, ...).</summary>
    public bool Enabled { get; internal set; }

    /// <summary><c>stats uri</c> (default <c>/haproxy?stats</c>).</summary>
    public string Uri { get; internal set; } = "/haproxy?stats";

    /// <summary><c>stats realm</c> (default <c>HAProxy Statistics</c>).</summary>
    public string Realm { get; internal set; } = "HAProxy Statistics";

    /// <summary><c>stats auth user:password</c> entries.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Users { get; internal set; } = [];

    /// <summary><c>stats admin if|unless &lt;cond&gt;</c>, or <see langword="null"/> (read-only page).</summary>
    public HaproxyCondition? Admin { get; internal set; }

    /// <summary><c>stats hide-version</c>.</summary>
    public bool HideVersion { get; internal set; }

    /// <summary><c>stats refresh</c>, or <see langword="null"/>.</summary>
    public TimeSpan? Refresh { get; internal set; }

    /// <summary><c>stats show-legends</c>.</summary>
    public bool ShowLegends { get; internal set; }

    /// <summary><c>stats show-node [name]</c>: the node name shown, empty for the host name, or <see langword="null"/>.</summary>
    public string? ShowNode { get; internal set; }

    /// <summary><c>stats show-desc [text]</c>, or <see langword="null"/>.</summary>
    public string? ShowDescription { get; internal set; }
}

/// <summary>A <c>frontend</c>, <c>backend</c> or <c>listen</c> section with its <c>defaults</c> applied.</summary>
public sealed class HaproxyProxy : HaproxyBlock
{
    /// <summary>The section kind.</summary>
    public HaproxySectionKind Kind { get; internal set; }

    /// <summary>The section name.</summary>
    public string Name { get; internal set; } = "";

    /// <summary>The mode as written or inherited (<c>tcp</c> when never set).</summary>
    public HaproxyMode Mode { get; internal set; }

    /// <summary>Always <see langword="false"/> since #15: a proxying section in <c>mode http</c> is refused at its
    /// <c>mode</c> line (it used to run in tcp terms with a warning when it used no layer-7 feature of its own).</summary>
    public bool HttpMappedToTcp { get; internal set; }

    /// <summary>Whether the section serves the statistics page or the Prometheus exporter (stats enabled or
    /// <see cref="PrometheusExporter"/> rules, no servers, no backend).</summary>
    public bool IsStatsPage { get; internal set; }

    /// <summary><c>description</c>, or <see langword="null"/>.</summary>
    public string? Description { get; internal set; }

    /// <summary><c>disabled</c>: the section is not started.</summary>
    public bool Disabled { get; internal set; }

    /// <summary><c>bind</c> lines (frontend / listen).</summary>
    public IReadOnlyList<HaproxyBind> Binds { get; internal set; } = [];

    /// <summary><c>default_backend</c>, or <see langword="null"/>.</summary>
    public string? DefaultBackend { get; internal set; }

    /// <summary><c>use_backend</c> rules in order.</summary>
    public IReadOnlyList<HaproxyUseBackend> UseBackends { get; internal set; } = [];

    /// <summary><c>acl</c> lines.</summary>
    public IReadOnlyList<HaproxyAcl> Acls { get; internal set; } = [];

    /// <summary><c>balance</c> (default roundrobin).</summary>
    public HaproxyBalance Balance { get; internal set; } = new(HaproxyBalanceAlgorithm.RoundRobin);

    /// <summary><c>hash-type</c>'s method (default map-based).</summary>
    public HaproxyHashType HashType { get; internal set; } = HaproxyHashType.MapBased;

    /// <summary><c>server</c> lines (backend / listen).</summary>
    public IReadOnlyList<HaproxyServer> Servers { get; internal set; } = [];

    /// <summary>The timeouts.</summary>
    public HaproxyTimeouts Timeouts { get; internal set; } = new();

    /// <summary><c>retries</c> (default 3).</summary>
    public int Retries { get; internal set; } = 3;

    /// <summary><c>rate-limit sessions</c>: new sessions per second a frontend accepts (0 = no limit).</summary>
    public int RateLimitSessions { get; internal set; }

    /// <summary><c>maxconn</c> of the proxy, or <see langword="null"/> (the global limit applies).</summary>
    public int? MaxConn { get; internal set; }

    /// <summary><c>log global</c>.</summary>
    public bool LogGlobal { get; internal set; }

    /// <summary><c>log</c> targets of the proxy itself.</summary>
    public IReadOnlyList<HaproxyLogTarget> Logs { get; internal set; } = [];

    /// <summary><c>option tcplog</c>.</summary>
    public bool TcpLog { get; internal set; }

    /// <summary><c>option dontlognull</c>.</summary>
    public bool DontLogNull { get; internal set; }

    /// <summary><c>option redispatch [interval]</c>: <see langword="null"/> when off, else the interval (-1 = only the last retry, HAProxy's default).</summary>
    public int? Redispatch { get; internal set; }

    /// <summary><c>option tcpka</c> (both sides), or <c>clitcpka</c> / <c>srvtcpka</c>.</summary>
    public bool ClientTcpKeepAlive { get; internal set; }

    /// <summary><c>option tcpka</c> or <c>srvtcpka</c>.</summary>
    public bool ServerTcpKeepAlive { get; internal set; }

    /// <summary>
    /// <c>option splice-auto</c>: <see langword="true"/> unless <c>no option splice-auto</c> clears it (in the
    /// section or in its <c>defaults</c>). Unlike HAProxy, whose default is off, Ha.Net splices a direction once
    /// it streams unless told not to, so a section that never mentions it reads <see langword="true"/>.
    /// Global <c>nosplice</c> overrides it when mapped.
    /// </summary>
    public bool SpliceAuto { get; internal set; } = true;

    /// <summary><c>option splice-request</c> (cleared by <c>no option splice-request</c>).</summary>
    public bool SpliceRequest { get; internal set; }

    /// <summary><c>option splice-response</c> (cleared by <c>no option splice-response</c>).</summary>
    public bool SpliceResponse { get; internal set; }

    /// <summary><c>option smtpchk</c>, or <see langword="null"/>.</summary>
    public HaproxySmtpCheck? SmtpCheck { get; internal set; }

    /// <summary><c>option httpchk</c>, or <see langword="null"/>.</summary>
    public HaproxyHttpCheck? HttpCheck { get; internal set; }

    /// <summary><c>http-check expect</c> rules.</summary>
    public IReadOnlyList<HaproxyHttpCheckExpect> HttpCheckExpects { get; internal set; } = [];

    /// <summary><c>option tcp-check</c>: checks run the <see cref="TcpCheckRules"/>.</summary>
    public bool TcpCheck { get; internal set; }

    /// <summary><c>tcp-check</c> rules (own, else inherited from <c>defaults</c>).</summary>
    public IReadOnlyList<HaproxyTcpCheckRule> TcpCheckRules { get; internal set; } = [];

    /// <summary>The statistics page settings, or <see langword="null"/> when no <c>stats</c> directive applies.</summary>
    public HaproxyStats? Stats { get; internal set; }

    /// <summary>
    /// <c>http-request use-service prometheus-exporter [if|unless { path|path_beg &lt;p&gt; }]</c> lines, in order (a
    /// <c>mode http</c> frontend or listen that serves nothing else, as <see cref="IsStatsPage"/> sections do).
    /// </summary>
    public IReadOnlyList<HaproxyPrometheusRule> PrometheusExporter { get; internal set; } = [];
}

/// <summary>
/// An <c>http-request use-service prometheus-exporter</c> rule: HAProxy's Prometheus exporter serves the requests whose
/// path matches (every request when there is no condition).
/// </summary>
/// <param name="Path">The path of the condition (<c>{ path /metrics }</c>), or <see langword="null"/> for no condition.</param>
/// <param name="Prefix">Whether the condition matches a prefix (<c>path_beg</c>, <c>path -m beg</c>).</param>
/// <param name="Negated">Whether the condition is <c>unless</c>.</param>
/// <param name="Location">Where the rule was read.</param>
public sealed record HaproxyPrometheusRule(string? Path, bool Prefix, bool Negated, HaproxySourceLine Location)
{
    /// <summary>Whether a request for <paramref name="path"/> (the target without its query string) is the exporter's.</summary>
    /// <param name="path">The request path.</param>
    /// <returns><see langword="true"/> when the rule sends it to the exporter.</returns>
    public bool Matches(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Path is null)
        {
            return true;
        }

        var match = Prefix ? path.StartsWith(Path, StringComparison.Ordinal) : string.Equals(path, Path, StringComparison.Ordinal);
        return match != Negated;
    }
}
