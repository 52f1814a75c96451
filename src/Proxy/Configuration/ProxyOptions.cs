using Ha.Net.HealthChecks;
using Ha.Net.HealthChecks.Probes;
using System.Net;

namespace Ha.Net.Proxy.Configuration;

/// <summary>
/// The whole proxy: frontends (listeners) and backends (server pools), as HAProxy's
/// <c>global</c>, <c>frontend</c> and <c>backend</c> sections in <c>mode tcp</c>.
/// Applying a new instance at run time (<see cref="ITcpProxy.ApplyAsync"/>) keeps live connections,
/// server admin states and counters (matched by name).
/// </summary>
public sealed record ProxyOptions
{
    /// <summary>Process-wide connection limit (HAProxy <c>global maxconn</c>); 0 = derived from the file-descriptor
    /// limit as HAProxy derives it (<c>ulimit -n</c>, raised to its hard value, less a reserve of 100, two descriptors
    /// per connection and two per splice pipe), so the proxy stops accepting before it runs out of descriptors.
    /// When reached, listeners stop accepting and new connections wait in the kernel backlog. A configured limit
    /// the descriptors cannot hold is refused at start ("Cannot raise FD limit to N, limit is M.", as HAProxy).</summary>
    public int MaxConnections { get; init; }

    /// <summary>The longest a graceful stop waits for live connections before killing them
    /// (HAProxy <c>hard-stop-after</c>); <see langword="null"/> = wait for ever.</summary>
    public TimeSpan? HardStopAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The size of each pooled forwarding buffer, in bytes (16 KiB to 1 MiB; default 48 KiB).
    /// A buffer is held only while data is in flight: idle connections hold none.</summary>
    /// <remarks>48 KiB stays below the loopback MSS (about 64 KiB): a 64 KiB read forwarded with
    /// TCP_NODELAY leaves as one full segment plus a ~50-byte one: one iperf3 stream measured
    /// 7.9–9.7 Gbit/s at 64 KiB and 13.2–16.5 at 48 KiB, HAProxy 8.6–11.1 (see src/Proxy/README.md).</remarks>
    public int BufferSize { get; init; } = 48 * 1024;

    /// <summary>How connections are driven: on Linux by default an epoll event loop per CPU
    /// (HAProxy's model), elsewhere .NET's socket engine. Takes effect only at start.</summary>
    public ProxyIoEngine IoEngine { get; init; } = ProxyIoEngine.Auto;

    /// <summary>The most kernel pipes the splice path may hold at once (HAProxy <c>maxpipes</c>; each pipe
    /// is two descriptors); 0 = automatic: a quarter of <see cref="MaxConnections"/> (configured or derived), as
    /// HAProxy sizes it, or 4096 when no descriptor limit is known. A direction that finds no pipe free copies instead.</summary>
    public int MaxPipes { get; init; }

    /// <summary>The size of each splice pipe in bytes (HAProxy <c>tune.pipesize</c>, set with
    /// <c>F_SETPIPE_SZ</c>); default 1 MiB; 0 = the kernel's default (64 KiB). The kernel rounds it up to a
    /// power-of-two number of pages, and a size it refuses (above <c>/proc/sys/fs/pipe-max-size</c> for an
    /// unprivileged process) leaves the kernel's.</summary>
    /// <remarks>HAProxy leaves the kernel's 64 KiB. Measured here (iperf3 through the proxy pinned to one
    /// core, src/Proxy/README.md), 1 MiB pipes spent about 10% less CPU per GB: a read into a bigger pipe
    /// takes everything the socket holds in one call. A pipe's pages are held only while bytes are in it.</remarks>
    public int PipeSize { get; init; } = 1024 * 1024;

    /// <summary>The listeners.</summary>
    public IReadOnlyList<FrontendOptions> Frontends { get; init; } = [];

    /// <summary>The server pools.</summary>
    public IReadOnlyList<BackendOptions> Backends { get; init; } = [];
}

/// <summary>How the proxy drives its connections once they are accepted.</summary>
public enum ProxyIoEngine
{
    /// <summary><see cref="Epoll"/> on Linux, <see cref="Sockets"/> elsewhere.</summary>
    Auto,

    /// <summary>.NET's <see cref="System.Net.Sockets.Socket"/> async operations: one pump task per
    /// direction, zero-byte receives before renting a buffer. Portable.</summary>
    Sockets,

    /// <summary>Linux only: one thread per CPU, each with an edge-triggered epoll set that connects,
    /// forwards and closes its connections' sockets itself, with one receive buffer per thread.</summary>
    Epoll,
}

/// <summary>
/// When the Linux epoll engine moves a direction's bytes with <c>splice(2)</c> through a kernel pipe
/// (socket → pipe → socket, never through user space) instead of copying them through a buffer
/// (HAProxy's <c>option splice-auto</c>, <c>splice-request</c>, <c>splice-response</c>). As in HAProxy, a
/// mode applies when the frontend or the backend sets it, and only to the data phase; a direction that
/// finds no pipe free (<see cref="ProxyOptions.MaxPipes"/>) or a socket that refuses splice copies instead.
/// The sockets engine always copies.
/// </summary>
[Flags]
public enum SpliceModes
{
    /// <summary>Always copy.</summary>
    None = 0,

    /// <summary>Splice a direction once it streams: from the first read that fills the whole buffer
    /// (bulk transfers), while request/response exchanges of less than a buffer keep the copy path
    /// (<c>option splice-auto</c>; Ha.Net's rule, not HAProxy's, see the proxy README).</summary>
    Auto = 1,

    /// <summary>Splice client → server from the first byte (<c>option splice-request</c>).</summary>
    Request = 2,

    /// <summary>Splice server → client from the first byte (<c>option splice-response</c>).</summary>
    Response = 4,
}

/// <summary>A listener (HAProxy <c>frontend</c> with one <c>bind</c> and a <c>default_backend</c>).</summary>
public sealed record FrontendOptions
{
    /// <summary>The frontend's name (<c>pxname</c> in the stats); unique.</summary>
    public required string Name { get; init; }

    /// <summary>The address and port to listen on (port 0 = any free port, see <see cref="ITcpProxy.GetFrontendEndPoint"/>).</summary>
    public required IPEndPoint Bind { get; init; }

    /// <summary>Bind even when the address is not (yet) on this host, as a backup node binds the
    /// virtual IP keepalived will move to it (<c>IP_FREEBIND</c>; HAProxy's <c>transparent</c>/<c>freebind</c>
    /// bind options, or the <c>ip_nonlocal_bind</c> sysctl). Default on.</summary>
    public bool FreeBind { get; init; } = true;

    /// <summary>The kernel accept backlog (HAProxy <c>backlog</c>); default 1024.</summary>
    public int Backlog { get; init; } = 1024;

    /// <summary>The frontend's connection limit (HAProxy <c>maxconn</c>); 0 = only the global limit.</summary>
    public int MaxConnections { get; init; }

    /// <summary>HAProxy's proxy id, shown as <c>iid</c> by <c>show stat</c>; 0 = numbered in order after the
    /// backends' and frontends' given ids. The haproxy.cfg mapper numbers proxies as HAProxy does.</summary>
    public int Id { get; init; }

    /// <summary>The backend new connections go to (HAProxy <c>default_backend</c>).</summary>
    public required string Backend { get; init; }

    /// <summary>Inactivity timeout on the client side (HAProxy <c>timeout client</c>); <see langword="null"/> = none.</summary>
    public TimeSpan? ClientTimeout { get; init; }

    /// <summary>Inactivity timeout on the client side once one direction is closed (HAProxy
    /// <c>timeout client-fin</c>); <see langword="null"/> = <see cref="ClientTimeout"/>.</summary>
    public TimeSpan? ClientFinTimeout { get; init; }

    /// <summary>HAProxy's <c>option dontlognull</c>: no connection log line for a connection whose
    /// client sent no data (a port scan, a load balancer's TCP probe). Counters and metrics still
    /// count it. Default off.</summary>
    public bool DontLogNull { get; init; }

    /// <summary>HAProxy's <c>bind ... accept-proxy</c>: every client starts with a PROXY protocol
    /// header (v1 or v2, told apart by its signature) from a proxy or load balancer in front; its
    /// addresses stand for the connection's in the log, in <c>balance source</c> and in a
    /// <c>send-proxy</c> header. A connection without a valid header within <see cref="ClientTimeout"/>
    /// is closed before it reaches a backend, and logged with the reason. Default off.</summary>
    public bool AcceptProxy { get; init; }

    /// <summary>
    /// At most this many new sessions per second (HAProxy <c>rate-limit sessions</c>); 0 = no limit.
    /// When the count over the last second reaches it, the frontend stops accepting and new connections
    /// wait in the kernel's backlog until the rate falls below the limit. Shown as <c>rate_lim</c>.
    /// </summary>
    public int RateLimitSessions { get; init; }

    /// <summary>Kernel splicing of this frontend's connections (HAProxy <c>option splice-*</c>); combined
    /// with the backend's (either one enables a mode). Default <see cref="SpliceModes.Auto"/>.</summary>
    public SpliceModes Splice { get; init; } = SpliceModes.Auto;
}

/// <summary>How a backend picks a server (HAProxy <c>balance</c>).</summary>
public enum BalanceAlgorithm
{
    /// <summary>Each server in turn, in proportion to its weight, smoothly interleaved (<c>roundrobin</c>).</summary>
    RoundRobin,

    /// <summary>The server with the fewest connections (active plus queued) per unit of weight;
    /// round-robin among equals (<c>leastconn</c>).</summary>
    LeastConnections,

    /// <summary>The first server (by id) with a free slot (<c>first</c>); needs <see cref="ServerOptions.MaxConnections"/>.</summary>
    First,

    /// <summary>Two servers drawn at random by weight, the less loaded one wins (<c>random(2)</c>).</summary>
    Random,

    /// <summary>
    /// A hash of the client's address picks the server, so a client keeps landing on the same one while
    /// the set of usable servers and their weights stay the same (<c>source</c>). With
    /// <see cref="HashType.MapBased"/> (HAProxy's default) the address's 32-bit words XORed, modulo the
    /// total weight, pick it; with <see cref="HashType.Consistent"/> a change moves only the clients of
    /// the server that changed. A full server queues the connection rather than handing it to another.
    /// </summary>
    Source,
}

/// <summary>How a hashing balancer (<see cref="BalanceAlgorithm.Source"/>) maps a hash to a server
/// (HAProxy <c>hash-type</c>).</summary>
public enum HashType
{
    /// <summary>
    /// The hash modulo the total weight of the usable servers (<c>map-based</c>, HAProxy's default).
    /// Spreads clients exactly by weight, but when a server goes down or comes back, or a weight
    /// changes, most clients move to another server.
    /// </summary>
    MapBased,

    /// <summary>
    /// Consistent hashing (<c>consistent</c>): when a server goes down only its clients move, spread
    /// over the others by weight, and they return to it when it comes back; a weight change moves only
    /// a share of clients in proportion to it. Ha.Net computes it as weighted rendezvous hashing (each
    /// usable server scores the client's hash mixed with a hash of the server's name, weighted by its
    /// weight; the best score wins), so the placement is stable across restarts and reloads and does
    /// not depend on the servers' order or ids. It costs one pass over the usable servers per new
    /// connection.
    /// </summary>
    Consistent,
}

/// <summary>A server pool (HAProxy <c>backend</c>).</summary>
public sealed record BackendOptions
{
    /// <summary>The backend's name (<c>pxname</c> in the stats); unique.</summary>
    public required string Name { get; init; }

    /// <summary>HAProxy's proxy id, shown as <c>iid</c> by <c>show stat</c> and <c>be_id</c> by <c>show servers
    /// state</c>; 0 = numbered in order. The haproxy.cfg mapper numbers proxies as HAProxy does.</summary>
    public int Id { get; init; }

    /// <summary>The balancing algorithm; default round-robin.</summary>
    public BalanceAlgorithm Balance { get; init; } = BalanceAlgorithm.RoundRobin;

    /// <summary>How many draws <see cref="BalanceAlgorithm.Random"/> makes (HAProxy <c>random(N)</c>); default 2.</summary>
    public int RandomDraws { get; init; } = 2;

    /// <summary>How <see cref="BalanceAlgorithm.Source"/> maps the client's hash to a server (HAProxy
    /// <c>hash-type</c>); default <see cref="HashType.MapBased"/>. Other algorithms ignore it.</summary>
    public HashType HashType { get; init; } = HashType.MapBased;

    /// <summary>The servers.</summary>
    public IReadOnlyList<ServerOptions> Servers { get; init; } = [];

    /// <summary>How many times a failed connection attempt is retried (HAProxy <c>retries</c>); default 3.</summary>
    public int Retries { get; init; } = 3;

    /// <summary>Let retries go to another server (HAProxy <c>option redispatch</c>): when the failed server is down,
    /// on the last retry, or at once with roundrobin or random and several servers up, as HAProxy 2.6 does.</summary>
    public bool Redispatch { get; init; }

    /// <summary>Use every usable backup server rather than only the first (HAProxy <c>option allbackups</c>).</summary>
    public bool AllBackups { get; init; }

    /// <summary>The longest a server connection may take to establish (HAProxy <c>timeout connect</c>); default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest a connection waits in a queue for a free server slot (HAProxy
    /// <c>timeout queue</c>); <see langword="null"/> = <see cref="ConnectTimeout"/>, as in HAProxy.</summary>
    public TimeSpan? QueueTimeout { get; init; }

    /// <summary>Inactivity timeout on the server side (HAProxy <c>timeout server</c>); <see langword="null"/> = none.</summary>
    public TimeSpan? ServerTimeout { get; init; }

    /// <summary>Inactivity timeout on the server side once one direction is closed (HAProxy
    /// <c>timeout server-fin</c>); <see langword="null"/> = <see cref="ServerTimeout"/>.</summary>
    public TimeSpan? ServerFinTimeout { get; init; }

    /// <summary>Inactivity timeout once both sides are connected, replacing the client and server
    /// timeouts (HAProxy <c>timeout tunnel</c>); <see langword="null"/> = not used.</summary>
    public TimeSpan? TunnelTimeout { get; init; }

    /// <summary>Kernel splicing of this backend's connections (HAProxy <c>option splice-*</c>); combined
    /// with the frontend's (either one enables a mode). Default <see cref="SpliceModes.Auto"/>.</summary>
    public SpliceModes Splice { get; init; } = SpliceModes.Auto;
}

/// <summary>A server's administrative state (HAProxy <c>set server b/s state</c>).</summary>
public enum ServerAdminState
{
    /// <summary>In service (<c>ready</c>).</summary>
    Ready,

    /// <summary>Takes no new connections; live ones continue; still checked (<c>drain</c>).</summary>
    Drain,

    /// <summary>Maintenance: takes no new connections, not checked; live ones continue (<c>maint</c>).</summary>
    Maintenance,
}

/// <summary>A server in a backend (HAProxy <c>server</c> line).</summary>
public sealed record ServerOptions
{
    /// <summary>The server's name (<c>svname</c> in the stats); unique in its backend.</summary>
    public required string Name { get; init; }

    /// <summary>The server's address and port.</summary>
    public required IPEndPoint Address { get; init; }

    /// <summary>The relative share of new connections, 0 to 256 (0 = takes none, shown as DRAIN); default 1.</summary>
    public int Weight { get; init; } = 1;

    /// <summary>The server's concurrent connection limit; excess connections are queued (0 = unlimited).</summary>
    public int MaxConnections { get; init; }

    /// <summary>The most connections queued for this server (0 = unlimited).</summary>
    public int MaxQueue { get; init; }

    /// <summary>
    /// HAProxy's <c>slowstart</c>: after the server comes back (up again after being marked down, or
    /// out of maintenance), its weight and its <see cref="MaxConnections"/> grow linearly from 1 to
    /// their full value over this time, in steps of max(1 s, this / 20). Never applied at start.
    /// <see cref="TimeSpan.Zero"/> (the default) turns it off.
    /// </summary>
    public TimeSpan SlowStart { get; init; }

    /// <summary>Used only when no non-backup server is usable (HAProxy <c>backup</c>).</summary>
    public bool Backup { get; init; }

    /// <summary>The initial administrative state (HAProxy <c>disabled</c> = <see cref="ServerAdminState.Maintenance"/>).</summary>
    public ServerAdminState InitialState { get; init; } = ServerAdminState.Ready;

    /// <summary>The PROXY protocol header sent first on each connection to this server.</summary>
    public ProxyProtocolVersion SendProxy { get; init; }

    /// <summary>Health checking (HAProxy <c>check</c>); <see langword="null"/> = not checked, always considered up.</summary>
    public ServerCheckOptions? Check { get; init; }

    /// <summary>Kill the server's live connections when its health check marks it down
    /// (HAProxy <c>on-marked-down shutdown-sessions</c>).</summary>
    public bool ShutdownSessionsOnMarkedDown { get; init; }
}

/// <summary>A server's health checking (HAProxy <c>check</c>, <c>inter</c>, <c>rise</c>, <c>fall</c>).</summary>
public sealed record ServerCheckOptions
{
    /// <summary>The interval between checks; default 2 s (HAProxy <c>inter</c>).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The interval while the server is going up or down (HAProxy <c>fastinter</c>); <see langword="null"/> = <see cref="Interval"/>.</summary>
    public TimeSpan? FastInterval { get; init; }

    /// <summary>The interval while the server is fully down (HAProxy <c>downinter</c>); <see langword="null"/> = <see cref="Interval"/>.</summary>
    public TimeSpan? DownInterval { get; init; }

    /// <summary>How long one check may take; <see langword="null"/> = <see cref="Interval"/>.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Consecutive passes that mark a down server up; default 2.</summary>
    public int Rise { get; init; } = 2;

    /// <summary>Consecutive failures that mark an up server down; default 3.</summary>
    public int Fall { get; init; } = 3;

    /// <summary>Check this port rather than the server's (HAProxy <c>port</c>); <see langword="null"/> = the server's.</summary>
    public int? Port { get; init; }

    /// <summary>
    /// Watch live connections too (HAProxy <c>observe layer4</c>): each connect to the server that fails
    /// or times out counts one error, each one that succeeds resets the count, and after
    /// <see cref="ErrorLimit"/> errors in a row <see cref="OnError"/> is applied to the server's health
    /// (logged and counted in <c>hanafail</c>) and the count starts again.
    /// </summary>
    public bool ObserveLayer4 { get; init; }

    /// <summary>Consecutive observed errors that trigger <see cref="OnError"/> (HAProxy <c>error-limit</c>); default 10.</summary>
    public int ErrorLimit { get; init; } = 10;

    /// <summary>What enough observed errors do (HAProxy <c>on-error</c>); default
    /// <see cref="ObservedErrorAction.FastInterval"/>: check again at <see cref="FastInterval"/>.</summary>
    public ObservedErrorAction OnError { get; init; } = ObservedErrorAction.FastInterval;
}
