namespace Ha.Net.Proxy.Stats;

/// <summary>What a <see cref="StatsRow"/> describes (HAProxy <c>type</c> column: 0, 1, 2).</summary>
public enum StatsRowType
{
    /// <summary>A frontend (<c>svname</c> = FRONTEND).</summary>
    Frontend = 0,

    /// <summary>A backend (<c>svname</c> = BACKEND).</summary>
    Backend = 1,

    /// <summary>A server.</summary>
    Server = 2,
}

/// <summary>
/// One line of HAProxy's <c>show stat</c>: the counters of a frontend, a backend or a server.
/// Property comments give the CSV column. <see langword="null"/> means HAProxy leaves the field empty.
/// </summary>
public sealed record StatsRow
{
    /// <summary><c>pxname</c>: the frontend or backend name.</summary>
    public required string ProxyName { get; init; }

    /// <summary><c>svname</c>: FRONTEND, BACKEND or the server name.</summary>
    public required string ServiceName { get; init; }

    /// <summary><c>type</c>.</summary>
    public required StatsRowType Type { get; init; }

    /// <summary><c>qcur</c>: connections queued now (backends and servers).</summary>
    public long? QueueCurrent { get; init; }

    /// <summary><c>qmax</c>: most connections queued at once.</summary>
    public long? QueueMax { get; init; }

    /// <summary><c>scur</c>: sessions now.</summary>
    public long CurrentSessions { get; init; }

    /// <summary><c>smax</c>: most sessions at once.</summary>
    public long MaxSessions { get; init; }

    /// <summary><c>slim</c>: the session limit (maxconn), if any.</summary>
    public long? SessionLimit { get; init; }

    /// <summary><c>stot</c>: sessions since start.</summary>
    public long TotalSessions { get; init; }

    /// <summary><c>bin</c>: bytes from clients.</summary>
    public long BytesIn { get; init; }

    /// <summary><c>bout</c>: bytes to clients.</summary>
    public long BytesOut { get; init; }

    /// <summary>Of <see cref="BytesIn"/> and <see cref="BytesOut"/>, the bytes the kernel moved with splice(2)
    /// (socket → pipe → socket) rather than copied through a buffer. Not a <c>show stat</c> column.</summary>
    public long BytesSpliced { get; init; }

    /// <summary><c>dreq</c>: connections denied (no usable server, queue full).</summary>
    public long? DeniedRequests { get; init; }

    /// <summary><c>econ</c>: failed connection attempts to servers.</summary>
    public long? ConnectErrors { get; init; }

    /// <summary><c>wretr</c>: connection retries.</summary>
    public long? Retries { get; init; }

    /// <summary><c>wredis</c>: redispatches to another server.</summary>
    public long? Redispatches { get; init; }

    /// <summary><c>status</c>: OPEN/STOP, UP/DOWN, MAINT, DRAIN, "no check", "UP 1/3", ...</summary>
    public required string Status { get; init; }

    /// <summary><c>weight</c>: the server's weight; the backend's sum of active weights.</summary>
    public int? Weight { get; init; }

    /// <summary><c>act</c>: active server (1/0) or the backend's count of active usable servers.</summary>
    public int? Active { get; init; }

    /// <summary><c>bck</c>: backup server (1/0) or the backend's count of usable backups.</summary>
    public int? Backup { get; init; }

    /// <summary><c>chkfail</c>: failed checks.</summary>
    public long? CheckFailures { get; init; }

    /// <summary><c>chkdown</c>: UP→DOWN transitions.</summary>
    public long? CheckDowns { get; init; }

    /// <summary><c>lastchg</c>: seconds since the last UP/DOWN change.</summary>
    public long? LastChangeSeconds { get; init; }

    /// <summary><c>downtime</c>: total seconds down.</summary>
    public long? DowntimeSeconds { get; init; }

    /// <summary><c>qlimit</c>: the server's maxqueue, if any.</summary>
    public long? QueueLimit { get; init; }

    /// <summary><c>iid</c>: the proxy's numeric id.</summary>
    public int ProxyId { get; init; }

    /// <summary><c>sid</c>: the server's numeric id (0 for frontends and backends).</summary>
    public int ServerId { get; init; }

    /// <summary><c>lbtot</c>: times the server was picked.</summary>
    public long? LoadBalancedTotal { get; init; }

    /// <summary><c>rate</c>: new sessions over the last second.</summary>
    public long SessionRate { get; init; }

    /// <summary><c>rate_lim</c>: the frontend's limit on new sessions per second (0: none; frontends only).</summary>
    public long? SessionRateLimit { get; init; }

    /// <summary><c>rate_max</c>: the most new sessions within one second.</summary>
    public long SessionRateMax { get; init; }

    /// <summary><c>check_status</c>: L4OK, L4CON, L7STS, ... (servers with checks).</summary>
    public string? CheckStatus { get; init; }

    /// <summary>A check of the server is running now: <c>show stat</c> prefixes <c>check_status</c> with <c>* </c>
    /// and leaves <c>last_chk</c> empty, as HAProxy does.</summary>
    public bool CheckInProgress { get; init; }

    /// <summary><c>check_code</c>: the protocol code of the last check.</summary>
    public int? CheckCode { get; init; }

    /// <summary><c>check_duration</c>: milliseconds the last check took.</summary>
    public long? CheckDurationMs { get; init; }

    /// <summary><c>cli_abrt</c>: transfers aborted by the client.</summary>
    public long? ClientAborts { get; init; }

    /// <summary><c>hanafail</c>: times observed errors on live connections were applied to the server's
    /// health (<see cref="Configuration.ServerCheckOptions.ObserveLayer4"/>); empty when not observed.</summary>
    public long? ObservedErrorReports { get; init; }

    /// <summary><c>srv_abrt</c>: transfers aborted by the server.</summary>
    public long? ServerAborts { get; init; }

    /// <summary><c>lastsess</c>: seconds since the last session (-1 = never).</summary>
    public long? LastSessionSeconds { get; init; }

    /// <summary><c>last_chk</c>: the last check's description.</summary>
    public string? LastCheck { get; init; }

    /// <summary><c>qtime</c>: average queue time (ms) over the last 1024 sessions.</summary>
    public long? QueueTimeMs { get; init; }

    /// <summary><c>ctime</c>: average connect time (ms) over the last 1024 sessions.</summary>
    public long? ConnectTimeMs { get; init; }

    /// <summary><c>ttime</c>: average total session time (ms) over the last 1024 sessions.</summary>
    public long? TotalTimeMs { get; init; }

    /// <summary><c>check_rise</c>.</summary>
    public int? CheckRise { get; init; }

    /// <summary><c>check_fall</c>.</summary>
    public int? CheckFall { get; init; }

    /// <summary><c>check_health</c>.</summary>
    public int? CheckHealth { get; init; }

    /// <summary><c>addr</c>: the server's address:port.</summary>
    public string? Address { get; init; }

    /// <summary><c>algo</c>: the backend's balance algorithm.</summary>
    public string? Algorithm { get; init; }

    /// <summary><c>conn_rate</c>: a frontend's new connections over the last second.</summary>
    public long? ConnectionRate { get; init; }

    /// <summary><c>conn_rate_max</c>: the highest <see cref="ConnectionRate"/> seen.</summary>
    public long? ConnectionRateMax { get; init; }

    /// <summary><c>connect</c>: connection attempts to servers, retries included (backends and servers).</summary>
    public long? ConnectAttempts { get; init; }

    /// <summary><c>qtime_max</c>: the longest queue time of a session, in ms (backends and servers).</summary>
    public long? QueueTimeMaxMs { get; init; }

    /// <summary><c>ctime_max</c>: the longest connect time of a session, in ms (backends and servers).</summary>
    public long? ConnectTimeMaxMs { get; init; }

    /// <summary><c>ttime_max</c>: the longest session, in ms (backends and servers).</summary>
    public long? TotalTimeMaxMs { get; init; }

    /// <summary><c>used_conn_cur</c>: connections to the server in use now (servers).</summary>
    public long? UsedConnections { get; init; }

    /// <summary><c>need_conn_est</c>: HAProxy's estimate of the connections the server needs: the most used at
    /// once, a checked server counting its check's (servers).</summary>
    public long? NeededConnections { get; init; }

    /// <summary><c>uweight</c>: the server's configured (user) weight; for a backend, the sum over the servers
    /// that take traffic now.</summary>
    public int? UserWeight { get; init; }

    /// <summary><c>conn_tot</c>: a frontend's accepted connections, including those that never became a
    /// session (a failed or missing PROXY header behind <c>accept-proxy</c>); <see cref="TotalSessions"/>
    /// counts only sessions.</summary>
    public long? TotalConnections { get; init; }
}
