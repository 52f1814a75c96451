using System.Globalization;
using Ha.Net.Proxy.Stats;

namespace Ha.Net.Proxy.Haproxy;

/// <summary>
/// Writes <see cref="StatsRow"/>s as HAProxy 2.6's <c>show stat</c> CSV: the header line starts
/// with <c># </c>, the columns keep HAProxy's names and order (management guide §9.1: "Please do
/// not insert any column before these ones"), fields we have no data for stay empty as HAProxy
/// leaves them, counters HAProxy fills in tcp mode but Ha.Net never increments (HTTP ones) are 0 as
/// HAProxy prints them, and every line ends with a comma.
/// </summary>
public static class StatCsv
{
    /// <summary>Writes <paramref name="proxy"/>'s stats as HAProxy's <c>show stat</c> CSV (same column names and order).</summary>
    /// <param name="proxy">The proxy whose <see cref="ITcpProxy.GetStats"/> to write.</param>
    /// <param name="writer">Where to write.</param>
    public static void WriteStatCsv(this ITcpProxy proxy, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        Write(proxy.GetStats(), writer);
    }

    /// <summary>
    /// HAProxy 2.6's columns as Debian's 2.6.12 prints them: the 103 proxy fields (<c>pxname</c> …
    /// <c>agg_check_status</c>), then <c>-</c> and the fields of the ssl, h2 and h1 stats modules.
    /// </summary>
    internal static readonly string[] Columns =
    [
        "pxname", "svname", "qcur", "qmax", "scur", "smax", "slim", "stot", "bin", "bout",
        "dreq", "dresp", "ereq", "econ", "eresp", "wretr", "wredis", "status", "weight", "act",
        "bck", "chkfail", "chkdown", "lastchg", "downtime", "qlimit", "pid", "iid", "sid", "throttle",
        "lbtot", "tracked", "type", "rate", "rate_lim", "rate_max", "check_status", "check_code", "check_duration", "hrsp_1xx",
        "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other", "hanafail", "req_rate", "req_rate_max", "req_tot", "cli_abrt",
        "srv_abrt", "comp_in", "comp_out", "comp_byp", "comp_rsp", "lastsess", "last_chk", "last_agt", "qtime", "ctime",
        "rtime", "ttime", "agent_status", "agent_code", "agent_duration", "check_desc", "agent_desc", "check_rise", "check_fall", "check_health",
        "agent_rise", "agent_fall", "agent_health", "addr", "cookie", "mode", "algo",
        "conn_rate", "conn_rate_max", "conn_tot", "intercepted", "dcon", "dses", "wrew", "connect", "reuse", "cache_lookups",
        "cache_hits", "srv_icur", "src_ilim", "qtime_max", "ctime_max", "rtime_max", "ttime_max", "eint", "idle_conn_cur", "safe_conn_cur",
        "used_conn_cur", "need_conn_est", "uweight", "agg_server_status", "agg_server_check_status", "agg_check_status",
        "-",
        "ssl_sess", "ssl_reused_sess", "ssl_failed_handshake",
        "h2_headers_rcvd", "h2_data_rcvd", "h2_settings_rcvd", "h2_rst_stream_rcvd", "h2_goaway_rcvd",
        "h2_detected_conn_protocol_errors", "h2_detected_strm_protocol_errors", "h2_rst_stream_resp", "h2_goaway_resp",
        "h2_open_connections", "h2_backend_open_streams", "h2_total_connections", "h2_backend_total_streams",
        "h1_open_connections", "h1_open_streams", "h1_total_connections", "h1_total_streams", "h1_bytes_in", "h1_bytes_out",
        "h1_spliced_bytes_in", "h1_spliced_bytes_out",
    ];

    private const int ModuleStart = 104; // ssl_sess: the stats modules' fields follow the "-" column
    private const int H2Start = 107;

    /// <summary>Writes the header line and one line per row, in HAProxy's <c>show stat</c> format.</summary>
    /// <param name="rows">The rows to write, usually <see cref="ITcpProxy.GetStats"/>.</param>
    /// <param name="writer">Where to write.</param>
    public static void Write(IEnumerable<StatsRow> rows, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("# ");
        foreach (var column in Columns)
        {
            writer.Write(column);
            writer.Write(',');
        }

        writer.Write('\n');
        var fields = new string?[Columns.Length];
        foreach (var row in rows)
        {
            Array.Clear(fields);
            Fill(row, fields);
            foreach (var field in fields)
            {
                if (field is not null)
                {
                    writer.Write(Escape(field));
                }

                writer.Write(',');
            }

            writer.Write('\n');
        }
    }

    private static void Fill(StatsRow row, string?[] f)
    {
        f[0] = row.ProxyName;
        f[1] = row.ServiceName;
        f[2] = N(row.QueueCurrent);
        f[3] = N(row.QueueMax);
        f[4] = N(row.CurrentSessions);
        f[5] = N(row.MaxSessions);
        f[6] = N(row.SessionLimit);
        f[7] = N(row.TotalSessions);
        f[8] = N(row.BytesIn);
        f[9] = N(row.BytesOut);
        f[10] = N(row.DeniedRequests);

        // Counters Ha.Net never increments (they count HTTP denials, bad requests and responses, requests and
        // compression) but HAProxy 2.6 prints as 0 in tcp mode, where it fills them: dresp on every line, ereq,
        // req_rate, req_rate_max and req_tot on frontends, eresp on backends and servers, comp_* on frontends
        // and backends.
        var frontend = row.Type == StatsRowType.Frontend;
        f[11] = "0";
        f[12] = frontend ? "0" : null;
        f[14] = frontend ? null : "0";
        if (frontend)
        {
            f[46] = f[47] = f[48] = "0";
        }

        if (row.Type != StatsRowType.Server)
        {
            f[51] = f[52] = f[53] = f[54] = "0";
        }

        f[13] = N(row.ConnectErrors);
        f[15] = N(row.Retries);
        f[16] = N(row.Redispatches);
        f[17] = row.Status;
        f[18] = N(row.Weight);
        f[19] = N(row.Active);
        f[20] = N(row.Backup);
        f[21] = N(row.CheckFailures);
        f[22] = N(row.CheckDowns);
        f[23] = N(row.LastChangeSeconds);
        f[24] = N(row.DowntimeSeconds);
        f[25] = N(row.QueueLimit);
        f[26] = "1";
        f[27] = N(row.ProxyId);
        f[28] = N(row.ServerId);
        f[30] = N(row.LoadBalancedTotal);
        f[32] = N((int)row.Type);
        f[33] = N(row.SessionRate);
        f[34] = N(row.SessionRateLimit);
        f[35] = N(row.SessionRateMax);
        f[36] = row.CheckInProgress && row.CheckStatus is not null ? "* " + row.CheckStatus : row.CheckStatus;
        f[37] = N(row.CheckCode);
        f[38] = N(row.CheckDurationMs);
        f[45] = N(row.ObservedErrorReports);
        f[49] = N(row.ClientAborts);
        f[50] = N(row.ServerAborts);
        f[55] = N(row.LastSessionSeconds);
        f[56] = row.LastCheck;
        f[58] = N(row.QueueTimeMs);
        f[59] = N(row.ConnectTimeMs);
        f[60] = row.Type == StatsRowType.Frontend ? null : "0";
        f[61] = N(row.TotalTimeMs);
        f[65] = row.CheckStatus is null ? null : CheckDescription(row.CheckStatus);
        f[67] = N(row.CheckRise);
        f[68] = N(row.CheckFall);
        f[69] = N(row.CheckHealth);
        f[73] = row.Address;
        f[75] = "tcp";
        f[76] = row.Algorithm;
        f[77] = N(row.ConnectionRate);
        f[78] = N(row.ConnectionRateMax);
        f[79] = N(row.TotalConnections);

        // 80–102 as HAProxy 2.6 fills them in tcp mode. Counters Ha.Net has no cause to increment (layer-7
        // denials and rewrites, internal errors, connection reuse, idle pools) are 0 where HAProxy prints them.
        f[83] = "0"; // wrew
        f[94] = "0"; // eint
        if (frontend)
        {
            f[81] = f[82] = "0"; // dcon, dses: no tcp-request rules
        }
        else
        {
            f[84] = N(row.ConnectAttempts);
            f[85] = "0"; // reuse
            f[90] = N(row.QueueTimeMaxMs);
            f[91] = N(row.ConnectTimeMaxMs);
            f[92] = "0"; // rtime_max: no response time in tcp mode
            f[93] = N(row.TotalTimeMaxMs);
            f[99] = N(row.UserWeight);
        }

        if (row.Type == StatsRowType.Server)
        {
            f[88] = "0"; // srv_icur
            f[95] = f[96] = "0"; // idle_conn_cur, safe_conn_cur
            f[97] = N(row.UsedConnections);
            f[98] = N(row.NeededConnections);
        }
        else if (row.Type == StatsRowType.Backend)
        {
            f[100] = f[101] = f[102] = "0"; // agg_*: deprecated in 2.6, always 0
        }

        // The stats modules: "-" on every line, ssl on every line, h2 and h1 on frontends and backends.
        f[ModuleStart - 1] = "-";
        int end = row.Type == StatsRowType.Server ? H2Start : Columns.Length;
        for (int i = ModuleStart; i < end; i++)
        {
            f[i] = "0";
        }
    }

    private static string CheckDescription(string status) => status switch
    {
        "INI" => "Initializing",
        "SOCKERR" => "Socket error",
        "L4OK" => "Layer4 check passed",
        "L4TOUT" => "Layer4 timeout",
        "L4CON" => "Layer4 connection problem",
        "L6OK" => "Layer6 check passed",
        "L6TOUT" => "Layer6 timeout",
        "L6RSP" => "Layer6 invalid response",
        "L7OK" => "Layer7 check passed",
        "L7OKC" => "Layer7 check conditionally passed",
        "L7TOUT" => "Layer7 timeout",
        "L7RSP" => "Layer7 invalid response",
        "L7STS" => "Layer7 wrong status",
        "PROCOK" => "External check passed",
        "PROCERR" => "External check error",
        "PROCTOUT" => "External check timeout",
        _ => "Unknown",
    };

    private static string? N(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string Escape(string field) =>
        field.AsSpan().IndexOfAny(",\"\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
