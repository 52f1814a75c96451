using System.Globalization;
using System.Net;
using System.Text;
using Ha.Net.Proxy.Stats;

namespace Ha.Net.Samples.ProxyDaemon;

/// <summary>
/// HAProxy's Prometheus exporter (<c>http-request use-service prometheus-exporter</c>, addons/promex in HAProxy 2.6)
/// over Ha.Net's stats rows, in the text exposition format 0.0.4 written directly: the metric names, HELP texts, TYPE
/// lines, labels (<c>proxy</c>, <c>server</c>, <c>state</c>) and value conventions are HAProxy's, so the dashboards and
/// alerts written against <c>haproxy_frontend_*</c>, <c>haproxy_backend_*</c> and <c>haproxy_server_*</c> keep working.
/// Metrics come out grouped by name in HAProxy's field order (frontends, then backends, then servers); <c>status</c>
/// and <c>check_status</c> are one series per state label with the value 1 for the current one. Only the fields
/// Ha.Net has data for are written: layer-7 fields (HTTP responses, compression, cache) are for mode http proxies,
/// which HAProxy skips in tcp mode too; listener, process and stick-table metrics are not written.
/// The query string takes HAProxy's <c>scope=global|frontend|listener|backend|server|sticktable|*|</c> (repeatable)
/// and <c>no-maint</c>.
/// </summary>
internal static class PrometheusExporter
{
    [Flags]
    private enum Scope
    {
        None = 0,
        Global = 1,
        Frontend = 2,
        Listener = 4,
        Backend = 8,
        Server = 16,
        StickTable = 32,
        All = Global | Frontend | Listener | Backend | Server | StickTable,
    }

    private enum Kind
    {
        Gauge,
        Counter,
    }

    /// <summary>A value: a number, a float (HAProxy's "%f"), or empty (HAProxy prints NaN).</summary>
    private readonly record struct Value(long? Integer, double? Float)
    {
        public static Value Of(long? v) => new(v, null);

        public static Value Seconds(long? milliseconds) => new(null, milliseconds / 1000.0);

        public void WriteTo(StringBuilder sb)
        {
            if (Integer is { } i)
            {
                sb.Append(i.ToString(CultureInfo.InvariantCulture));
            }
            else if (Float is { } f)
            {
                sb.Append(f.ToString("F6", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append("NaN");
            }
        }
    }

    private sealed record Metric(string Name, Kind Type, string Help, Func<StatsRow, Value>? Get);

    // HAProxy 2.6 addons/promex/service-prometheus.c promex_st_metrics (names, types, which objects) and the HELP
    // texts: promex_st_metric_desc where it has one, otherwise stats.c stat_fields[].desc. In ST_F_* order.
    private static readonly Metric[] FrontendMetrics =
    [
        new("current_sessions", Kind.Gauge, "Number of current sessions on the frontend, backend or server", r => Value.Of(r.CurrentSessions)),
        new("max_sessions", Kind.Gauge, "Highest value of current sessions encountered since process started", r => Value.Of(r.MaxSessions)),
        new("limit_sessions", Kind.Gauge, "Frontend/listener/server's maxconn, backend's fullconn", r => Value.Of(r.SessionLimit)),
        new("sessions_total", Kind.Counter, "Total number of sessions since process started", r => Value.Of(r.TotalSessions)),
        new("bytes_in_total", Kind.Counter, "Total number of request bytes since process started", r => Value.Of(r.BytesIn)),
        new("bytes_out_total", Kind.Counter, "Total number of response bytes since process started", r => Value.Of(r.BytesOut)),
        new("requests_denied_total", Kind.Counter, "Total number of denied requests since process started", r => Value.Of(r.DeniedRequests ?? 0)),
        new("status", Kind.Gauge, "Current status of the service, per state label value.", null),
        new("limit_session_rate", Kind.Gauge, "Limit on the number of sessions accepted in a second (frontend only, 'rate-limit sessions' setting)", r => Value.Of(r.SessionRateLimit ?? 0)),
        new("max_session_rate", Kind.Gauge, "Highest value of sessions per second observed since the worker process started", r => Value.Of(r.SessionRateMax)),
        new("connections_rate_max", Kind.Gauge, "Highest value of connections per second observed since the worker process started", r => Value.Of(r.ConnectionRateMax)),
        new("connections_total", Kind.Counter, "Total number of new connections accepted on this frontend since the worker process started", r => Value.Of(r.TotalConnections)),
    ];

    private static readonly Metric[] BackendMetrics =
    [
        new("current_queue", Kind.Gauge, "Number of current queued connections", r => Value.Of(r.QueueCurrent)),
        new("max_queue", Kind.Gauge, "Highest value of queued connections encountered since process started", r => Value.Of(r.QueueMax)),
        new("current_sessions", Kind.Gauge, "Number of current sessions on the frontend, backend or server", r => Value.Of(r.CurrentSessions)),
        new("max_sessions", Kind.Gauge, "Highest value of current sessions encountered since process started", r => Value.Of(r.MaxSessions)),
        new("sessions_total", Kind.Counter, "Total number of sessions since process started", r => Value.Of(r.TotalSessions)),
        new("bytes_in_total", Kind.Counter, "Total number of request bytes since process started", r => Value.Of(r.BytesIn)),
        new("bytes_out_total", Kind.Counter, "Total number of response bytes since process started", r => Value.Of(r.BytesOut)),
        new("requests_denied_total", Kind.Counter, "Total number of denied requests since process started", r => Value.Of(r.DeniedRequests ?? 0)),
        new("connection_errors_total", Kind.Counter, "Total number of failed connections to server since the worker process started", r => Value.Of(r.ConnectErrors)),
        new("retry_warnings_total", Kind.Counter, "Total number of server connection retries since the worker process started", r => Value.Of(r.Retries)),
        new("redispatch_warnings_total", Kind.Counter, "Total number of server redispatches due to connection failures since the worker process started", r => Value.Of(r.Redispatches)),
        new("status", Kind.Gauge, "Current status of the service, per state label value.", null),
        new("weight", Kind.Gauge, "Server's effective weight, or sum of active servers' effective weights for a backend", r => Value.Of(r.Weight)),
        new("active_servers", Kind.Gauge, "Total number of active UP servers with a non-zero weight", r => Value.Of(r.Active)),
        new("backup_servers", Kind.Gauge, "Total number of backup UP servers with a non-zero weight", r => Value.Of(r.Backup)),
        new("loadbalanced_total", Kind.Counter, "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)", r => Value.Of(r.LoadBalancedTotal)),
        new("max_session_rate", Kind.Gauge, "Highest value of sessions per second observed since the worker process started", r => Value.Of(r.SessionRateMax)),
        new("client_aborts_total", Kind.Counter, "Total number of requests or connections aborted by the client since the worker process started", r => Value.Of(r.ClientAborts)),
        new("server_aborts_total", Kind.Counter, "Total number of requests or connections aborted by the server since the worker process started", r => Value.Of(r.ServerAborts)),
        new("last_session_seconds", Kind.Gauge, "How long ago some traffic was seen on this object on this worker process, in seconds", r => Value.Of(r.LastSessionSeconds)),
        new("queue_time_average_seconds", Kind.Gauge, "Avg. queue time for last 1024 successful connections.", r => Value.Seconds(r.QueueTimeMs ?? 0)),
        new("connect_time_average_seconds", Kind.Gauge, "Avg. connect time for last 1024 successful connections.", r => Value.Seconds(r.ConnectTimeMs ?? 0)),
        new("total_time_average_seconds", Kind.Gauge, "Avg. total time for last 1024 successful connections.", r => Value.Seconds(r.TotalTimeMs ?? 0)),
        new("agg_server_check_status", Kind.Gauge, "Backend's aggregated gauge of servers' state check status", null),
    ];

    private static readonly Metric[] ServerMetrics =
    [
        new("current_queue", Kind.Gauge, "Number of current queued connections", r => Value.Of(r.QueueCurrent)),
        new("max_queue", Kind.Gauge, "Highest value of queued connections encountered since process started", r => Value.Of(r.QueueMax)),
        new("current_sessions", Kind.Gauge, "Number of current sessions on the frontend, backend or server", r => Value.Of(r.CurrentSessions)),
        new("max_sessions", Kind.Gauge, "Highest value of current sessions encountered since process started", r => Value.Of(r.MaxSessions)),
        new("limit_sessions", Kind.Gauge, "Frontend/listener/server's maxconn, backend's fullconn", r => Value.Of(r.SessionLimit)),
        new("sessions_total", Kind.Counter, "Total number of sessions since process started", r => Value.Of(r.TotalSessions)),
        new("bytes_in_total", Kind.Counter, "Total number of request bytes since process started", r => Value.Of(r.BytesIn)),
        new("bytes_out_total", Kind.Counter, "Total number of response bytes since process started", r => Value.Of(r.BytesOut)),
        new("connection_errors_total", Kind.Counter, "Total number of failed connections to server since the worker process started", r => Value.Of(r.ConnectErrors)),
        new("retry_warnings_total", Kind.Counter, "Total number of server connection retries since the worker process started", r => Value.Of(r.Retries)),
        new("redispatch_warnings_total", Kind.Counter, "Total number of server redispatches due to connection failures since the worker process started", r => Value.Of(r.Redispatches)),
        new("status", Kind.Gauge, "Current status of the service, per state label value.", null),
        new("weight", Kind.Gauge, "Server's effective weight, or sum of active servers' effective weights for a backend", r => Value.Of(r.Weight)),
        new("check_failures_total", Kind.Counter, "Total number of failed individual health checks per server/backend, since the worker process started", r => Value.Of(r.CheckFailures)),
        new("check_up_down_total", Kind.Counter, "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started", r => Value.Of(r.CheckDowns)),
        new("check_last_change_seconds", Kind.Gauge, "How long ago the last server state changed, in seconds", r => Value.Of(r.LastChangeSeconds)),
        new("downtime_seconds_total", Kind.Counter, "Total time spent in DOWN state, for server or backend", r => Value.Of(r.DowntimeSeconds)),
        new("queue_limit", Kind.Gauge, "Limit on the number of connections in queue, for servers only (maxqueue argument)", r => Value.Of(r.QueueLimit)),
        new("loadbalanced_total", Kind.Counter, "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)", r => Value.Of(r.LoadBalancedTotal)),
        new("max_session_rate", Kind.Gauge, "Highest value of sessions per second observed since the worker process started", r => Value.Of(r.SessionRateMax)),
        new("check_status", Kind.Gauge, "Status of last health check, per state label value.", null),
        new("check_code", Kind.Gauge, "layer5-7 code, if available of the last health check.", null),
        new("check_duration_seconds", Kind.Gauge, "Total duration of the latest server health check, in seconds.", null),
        new("client_aborts_total", Kind.Counter, "Total number of requests or connections aborted by the client since the worker process started", r => Value.Of(r.ClientAborts)),
        new("server_aborts_total", Kind.Counter, "Total number of requests or connections aborted by the server since the worker process started", r => Value.Of(r.ServerAborts)),
        new("last_session_seconds", Kind.Gauge, "How long ago some traffic was seen on this object on this worker process, in seconds", r => Value.Of(r.LastSessionSeconds)),
        new("queue_time_average_seconds", Kind.Gauge, "Avg. queue time for last 1024 successful connections.", r => Value.Seconds(r.QueueTimeMs ?? 0)),
        new("connect_time_average_seconds", Kind.Gauge, "Avg. connect time for last 1024 successful connections.", r => Value.Seconds(r.ConnectTimeMs ?? 0)),
        new("total_time_average_seconds", Kind.Gauge, "Avg. total time for last 1024 successful connections.", r => Value.Seconds(r.TotalTimeMs ?? 0)),
    ];

    private static readonly string[] FrontendStates = ["DOWN", "UP"];
    private static readonly string[] BackendStates = ["DOWN", "UP"];
    private static readonly string[] ServerStates = ["DOWN", "UP", "MAINT", "DRAIN", "NOLB"];

    // HAProxy 2.6 check.c check_statuses[] in HCHK_STATUS_* order, those whose result is at least CHK_RES_FAILED (the
    // labels promex writes); 'Data' marks those at or after HCHK_STATUS_L57DATA (the ones that carry a check_code).
    private static readonly (string Name, bool Data)[] CheckStates =
    [
        ("HANA", false), ("SOCKERR", false), ("L4OK", false), ("L4TOUT", false), ("L4CON", false), ("L6OK", false),
        ("L6TOUT", false), ("L6RSP", false), ("L7TOUT", false), ("L7RSP", false), ("L7OK", true), ("L7OKC", true),
        ("L7STS", true), ("PROCERR", true), ("PROCTOUT", true), ("PROCOK", true),
    ];

    /// <summary>The response to a request for the exporter: 200 with the metrics, or 400 for a bad query string.</summary>
    public static (int Code, string Body) Render(IReadOnlyList<StatsRow> rows, string target)
    {
        var query = target.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? target[(q + 1)..] : "";
        if (!TryParseQuery(query, out var scope, out var noMaint))
        {
            return (400, "<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n");
        }

        var sb = new StringBuilder(16 * 1024);
        if (scope.HasFlag(Scope.Frontend))
        {
            WriteFrontends(sb, rows.Where(r => r.Type == StatsRowType.Frontend).ToList());
        }

        if (scope.HasFlag(Scope.Backend))
        {
            WriteBackends(sb, rows);
        }

        if (scope.HasFlag(Scope.Server))
        {
            WriteServers(sb, rows.Where(r => r.Type == StatsRowType.Server && !(noMaint && r.Status == "MAINT")).ToList());
        }

        return (200, sb.ToString());
    }

    /// <summary>The path of a request target (without its query string), for the rules' conditions.</summary>
    public static string PathOf(string target) =>
        target.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? target[..q] : target;

    private static bool TryParseQuery(string query, out Scope scope, out bool noMaint)
    {
        scope = Scope.None;
        noMaint = false;
        var scoped = false;
        var hash = query.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            query = query[..hash];
        }

        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = WebUtility.UrlDecode(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? null : WebUtility.UrlDecode(pair[(eq + 1)..]);
            if (value is not null && value.Contains('=', StringComparison.Ordinal))
            {
                return false;
            }

            if (key == "scope")
            {
                scoped = true;
                switch (value)
                {
                    case null: return false;
                    case "": scope = Scope.None; break;
                    case "*": scope |= Scope.All; break;
                    case "global": scope |= Scope.Global; break;
                    case "frontend": scope |= Scope.Frontend; break;
                    case "listener": scope |= Scope.Listener; break;
                    case "backend": scope |= Scope.Backend; break;
                    case "server": scope |= Scope.Server; break;
                    case "sticktable": scope |= Scope.StickTable; break;
                    default: return false;
                }
            }
            else if (key == "no-maint")
            {
                noMaint = true;
            }
        }

        if (!scoped)
        {
            scope = Scope.All;
        }

        return true;
    }

    private static void WriteFrontends(StringBuilder sb, List<StatsRow> frontends)
    {
        foreach (var m in FrontendMetrics)
        {
            var header = true;
            foreach (var r in frontends)
            {
                if (m.Get is { } get)
                {
                    Line(sb, "haproxy_frontend_", m, ref header, r.ProxyName, null, null, get(r));
                    continue;
                }

                // status: UP unless the frontend is stopped.
                var up = r.Status != "STOP" ? 1 : 0;
                for (var s = 0; s < FrontendStates.Length; s++)
                {
                    Line(sb, "haproxy_frontend_", m, ref header, r.ProxyName, null, ("state", FrontendStates[s]), Value.Of(up == s ? 1 : 0));
                }
            }
        }
    }

    private static void WriteBackends(StringBuilder sb, IReadOnlyList<StatsRow> rows)
    {
        var backends = rows.Where(r => r.Type == StatsRowType.Backend).ToList();
        var servers = rows.Where(r => r.Type == StatsRowType.Server).ToLookup(r => r.ProxyName, StringComparer.Ordinal);
        foreach (var m in BackendMetrics)
        {
            var header = true;
            foreach (var r in backends)
            {
                if (m.Get is { } get)
                {
                    Line(sb, "haproxy_backend_", m, ref header, r.ProxyName, null, null, get(r));
                    continue;
                }

                var own = servers[r.ProxyName].ToList();
                if (m.Name == "status")
                {
                    // promex: UP when the backend has usable weight, or no servers at all.
                    var up = own.Count == 0 || r.Status == "UP" ? 1 : 0;
                    for (var s = 0; s < BackendStates.Length; s++)
                    {
                        Line(sb, "haproxy_backend_", m, ref header, r.ProxyName, null, ("state", BackendStates[s]), Value.Of(up == s ? 1 : 0));
                    }

                    continue;
                }

                // agg_server_check_status: how many of the backend's servers are in each state (none: not written).
                if (own.Count == 0)
                {
                    continue;
                }

                var counts = new long[ServerStates.Length];
                foreach (var server in own)
                {
                    counts[ServerState(server)]++;
                }

                for (var s = 0; s < ServerStates.Length; s++)
                {
                    Line(sb, "haproxy_backend_", m, ref header, r.ProxyName, null, ("state", ServerStates[s]), Value.Of(counts[s]));
                }
            }
        }
    }

    private static void WriteServers(StringBuilder sb, List<StatsRow> servers)
    {
        foreach (var m in ServerMetrics)
        {
            var header = true;
            foreach (var r in servers)
            {
                if (m.Get is { } get)
                {
                    Line(sb, "haproxy_server_", m, ref header, r.ProxyName, r.ServiceName, null, get(r));
                    continue;
                }

                var checkStatus = r.CheckStatus?.TrimStart('*', ' ');
                var checking = checkStatus is not null && r.Status != "MAINT"; // promex: check enabled and not paused
                switch (m.Name)
                {
                    case "status":
                        var state = ServerState(r);
                        for (var s = 0; s < ServerStates.Length; s++)
                        {
                            Line(sb, "haproxy_server_", m, ref header, r.ProxyName, r.ServiceName, ("state", ServerStates[s]), Value.Of(state == s ? 1 : 0));
                        }

                        break;
                    case "check_status" when checking:
                        foreach (var (name, _) in CheckStates)
                        {
                            Line(sb, "haproxy_server_", m, ref header, r.ProxyName, r.ServiceName, ("state", name), Value.Of(name == checkStatus ? 1 : 0));
                        }

                        break;
                    case "check_code" when checking:
                        var data = Array.Exists(CheckStates, c => c.Data && c.Name == checkStatus);
                        Line(sb, "haproxy_server_", m, ref header, r.ProxyName, r.ServiceName, null, Value.Of(data ? r.CheckCode ?? 0 : 0));
                        break;
                    case "check_duration_seconds" when checkStatus is not null and not ("INI" or "UNK"):
                        Line(sb, "haproxy_server_", m, ref header, r.ProxyName, r.ServiceName, null, Value.Seconds(r.CheckDurationMs ?? 0));
                        break;
                }
            }
        }
    }

    /// <summary>promex_srv_status: 0 DOWN, 1 UP, 2 MAINT, 3 DRAIN, 4 NOLB (Ha.Net has no NOLB: no agent checks).</summary>
    private static int ServerState(StatsRow server) => server.Status switch
    {
        "MAINT" => 2,
        "DRAIN" => 3,
        "DOWN" => 0,
        _ => 1,
    };

    private static void Line(StringBuilder sb, string prefix, Metric m, ref bool header, string proxy, string? server, (string Name, string Value)? extra, Value value)
    {
        if (header)
        {
            sb.Append("# HELP ").Append(prefix).Append(m.Name).Append(' ').Append(m.Help).Append('\n');
            sb.Append("# TYPE ").Append(prefix).Append(m.Name).Append(' ').Append(m.Type == Kind.Counter ? "counter" : "gauge").Append('\n');
            header = false;
        }

        sb.Append(prefix).Append(m.Name).Append("{proxy=\"").Append(Escape(proxy)).Append('"');
        if (server is not null)
        {
            sb.Append(",server=\"").Append(Escape(server)).Append('"');
        }

        if (extra is { } e)
        {
            sb.Append(',').Append(e.Name).Append("=\"").Append(e.Value).Append('"');
        }

        sb.Append("} ");
        value.WriteTo(sb);
        sb.Append('\n');
    }

    /// <summary>A label value as the text format requires (HAProxy writes names verbatim; its names never need this).</summary>
    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
