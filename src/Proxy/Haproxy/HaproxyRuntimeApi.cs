using System.Globalization;
using System.Reflection;
using System.Text;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Stats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ha.Net.Proxy.Haproxy;

/// <summary>
/// HAProxy's runtime API over an <see cref="ITcpProxy"/>: the commands of the stats socket (and of the stats page's
/// admin form) with HAProxy 2.6's command names and answers (management guide §9.3): <c>show stat</c>,
/// <c>show info</c>, <c>show servers state</c>, <c>set server … state|weight</c>, <c>set weight</c>,
/// <c>enable|disable server</c>, <c>enable|disable frontend</c>, <c>help</c>. It answers text; the host owns the transport (a UNIX or TCP socket,
/// an HTTP form).
/// </summary>
public sealed partial class HaproxyRuntimeApi
{
    private readonly ITcpProxy _proxy;
    private readonly Func<HaproxyConfig> _config;
    private readonly Func<ProxyOptions> _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <summary>The admin state last set at run time per backend/server: a server drained and then weighted
    /// to 0 still shows DRAIN (the stats status alone cannot tell), so <c>show servers state</c> reads it here.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Backend, string Server), ServerAdminState> _adminSet = new();

    /// <summary>Creates the command set for <paramref name="proxy"/>.</summary>
    /// <param name="proxy">The proxy the commands read and change.</param>
    /// <param name="config">The haproxy.cfg the proxy runs (read on every command, so a host that reloads returns the new one).</param>
    /// <param name="options">The options the proxy runs, mapped from <paramref name="config"/> (read on every command).</param>
    /// <param name="logger">Where administrative changes are logged (HAProxy's "Server b/s state set to … by …"); none when null.</param>
    /// <param name="timeProvider">The clock of <see cref="Started"/> and of <c>show info</c>'s uptime; the system clock when null.</param>
    public HaproxyRuntimeApi(ITcpProxy proxy, Func<HaproxyConfig> config, Func<ProxyOptions> options, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        _proxy = proxy;
        _config = config;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        Started = _time.GetUtcNow();
    }

    /// <summary>The proxy the commands act on.</summary>
    public ITcpProxy Proxy => _proxy;

    /// <summary>The configuration the proxy runs now.</summary>
    public HaproxyConfig Config => _config();

    /// <summary>The options the proxy runs now.</summary>
    public ProxyOptions Options => _options();

    /// <summary>When the process started, for <c>show info</c>'s <c>Uptime</c>; by default when this object was created.</summary>
    public DateTimeOffset Started { get; init; }

    /// <summary>What <c>show info</c> prints as <c>Version</c>; by default this package's informational version.</summary>
    public string Version { get; init; } = typeof(HaproxyRuntimeApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "";

    /// <summary>Runs one command line (several commands separated by ';') and returns the answer.</summary>
    /// <param name="line">The command line as the client sent it.</param>
    /// <param name="admin">Whether the client has HAProxy's <c>admin</c> level (changes are refused otherwise).</param>
    /// <returns>The answer, as HAProxy prints it.</returns>
    public string Execute(string line, bool admin)
    {
        ArgumentNullException.ThrowIfNull(line);
        var output = new StringBuilder();
        foreach (var command in SplitCommands(line))
        {
            if (command.Count == 0)
            {
                continue;
            }

            output.Append(ExecuteOne(command, admin));
        }

        return output.ToString();
    }

    /// <summary>Splits at unescaped ';' and blanks, honouring '\' escapes as HAProxy's CLI does.</summary>
    internal static List<List<string>> SplitCommands(string line)
    {
        var commands = new List<List<string>>();
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\\' && i + 1 < line.Length)
            {
                word.Append(line[++i]);
                inWord = true;
            }
            else if (c == ';')
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                }

                word.Clear();
                inWord = false;
                commands.Add(words);
                words = [];
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                }

                word.Clear();
                inWord = false;
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        commands.Add(words);
        return commands;
    }

    private string ExecuteOne(List<string> w, bool admin)
    {
        string Arg(int i) => i < w.Count ? w[i] : "";
        var verb = string.Join(' ', w.Take(2));
        switch (verb)
        {
            case "show stat":
                return ShowStat();
            case "show info":
                return ShowInfo();
            case "show servers":
                return Arg(2) == "state" ? ShowServersState(Arg(3)) : Help();
        }

        if (w[0] == "help")
        {
            return Help();
        }

        bool IsSet(string what) => w.Count >= 3 && w[0] == "set" && w[1] == "server" && w.Count > 3 && w[3] == what;
        if (!admin && (w[0] is "set" or "enable" or "disable"))
        {
            return "Permission denied\n\n";
        }

        if (IsSet("state") && w.Count == 5)
        {
            var state = w[4] switch
            {
                "ready" => ServerAdminState.Ready,
                "drain" => ServerAdminState.Drain,
                "maint" => ServerAdminState.Maintenance,
                _ => (ServerAdminState?)null,
            };
            return state is null
                ? "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n"
                : WithServer(w[2], (b, s) => SetState(b, s, state.Value, "cli"));
        }

        if (IsSet("weight") && w.Count == 4)
        {
            return "Require <weight> or <weight%>.\n\n";
        }

        if (IsSet("weight") && w.Count == 5 || w.Count == 4 && w[0] == "set" && w[1] == "weight")
        {
            var value = w[^1];
            return WithServer(w[2], (b, s) => SetWeight(b, s, value));
        }

        if (w.Count >= 2 && w[1] == "frontend" && w[0] is "disable" or "enable")
        {
            return SetFrontendListening(Arg(2), pause: w[0] == "disable");
        }

        if (w.Count == 3 && w[1] == "server" && w[0] is "disable" or "enable")
        {
            var state = w[0] == "disable" ? ServerAdminState.Maintenance : ServerAdminState.Ready;
            return WithServer(w[2], (b, s) => SetState(b, s, state, "cli"));
        }

        return Help();
    }

    /// <summary><c>disable frontend</c> / <c>enable frontend</c>, answered as HAProxy 2.6's
    /// <c>cli_parse_disable_frontend</c> and <c>cli_parse_enable_frontend</c> (proxy.c) answer.</summary>
    private string SetFrontendListening(string name, bool pause)
    {
        if (name.Length == 0)
        {
            return "A frontend name is expected.\n\n";
        }

        if (!_options().Frontends.Any(f => f.Name == name))
        {
            return "No such frontend.\n\n";
        }

        try
        {
            return pause
                ? _proxy.PauseFrontend(name) ? "\n" : "All sockets are already disabled.\n\n"
                : _proxy.ResumeFrontend(name) ? "\n" : "All sockets are already enabled.\n\n";
        }
        catch (System.Net.Sockets.SocketException e)
        {
            LogFrontendRefused(_logger, e.Message);
            return pause
                ? "Failed to pause frontend, check logs for precise cause.\n\n"
                : "Failed to resume frontend, check logs for precise cause (port conflict?).\n\n";
        }
    }

    private static string WithServer(string target, Func<string, string, string> action)
    {
        var slash = target.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == target.Length - 1)
        {
            return "Require 'backend/server'.\n\n";
        }

        return action(target[..slash], target[(slash + 1)..]);
    }

    /// <summary>Sets a server's administrative state and logs it as HAProxy does; the stats page's admin form calls this.</summary>
    /// <param name="backend">The backend's name.</param>
    /// <param name="server">The server's name.</param>
    /// <param name="state">The new state.</param>
    /// <param name="by">Who set it, for the log line (<c>cli</c>, <c>stats page NAME</c>).</param>
    /// <returns><c>"\n"</c> when done, else HAProxy's answer (<c>No such server.</c>, <c>No such backend.</c>).</returns>
    public string SetState(string backend, string server, ServerAdminState state, string by)
    {
        try
        {
            _proxy.SetServerState(backend, server, state);
            _adminSet[(backend, server)] = state;
            LogAdmin(_logger, backend, server, state switch
            {
                ServerAdminState.Ready => "ready",
                ServerAdminState.Drain => "drain",
                _ => "maint",
            }, by);
            return "\n";
        }
        catch (KeyNotFoundException)
        {
            return NotFound(backend);
        }
    }

    /// <summary>HAProxy 2.6's <c>server_parse_weight_change_request</c>, answers included: <c>N%</c> is
    /// relative to the configured weight, truncated (<c>iweight * N / 100</c>, at most 256), so 50% of 1 is 0.</summary>
    private string SetWeight(string backend, string server, string value)
    {
        var end = value.Length > 0 && value[0] is '+' or '-' ? 1 : 0;
        var digits = end;
        while (end < value.Length && char.IsAsciiDigit(value[end]))
        {
            end++;
        }

        if (end == digits)
        {
            return "Empty weight string empty or preceded by garbage\n";
        }

        // strtol saturates: a number too long for a long reads as the largest (or smallest) one.
        if (!long.TryParse(value.AsSpan(0, end), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var weight))
        {
            weight = value[0] == '-' ? long.MinValue : long.MaxValue;
        }

        var rest = value[end..];
        if (rest == "%")
        {
            if (weight < 0)
            {
                return "Relative weight must be positive.\n\n";
            }

            var initial = InitialWeight(backend, server);
            if (initial is null)
            {
                return NotFound(backend);
            }

            weight = Math.Min(initial.Value * Math.Min(weight, 25600) / 100, 256);
        }
        else if (weight is < 0 or > 256)
        {
            return "Absolute weight can only be between 0 and 256 inclusive.\n\n";
        }
        else if (rest.Length > 0)
        {
            return "Trailing garbage in weight string\n";
        }

        try
        {
            _proxy.SetServerWeight(backend, server, (int)weight);
            LogWeight(_logger, backend, server, (int)weight);
            return "\n";
        }
        catch (KeyNotFoundException)
        {
            return NotFound(backend);
        }
    }

    private string NotFound(string backend) =>
        Options.Backends.Any(b => b.Name == backend) ? "No such server.\n\n" : "No such backend.\n\n";

    private int? InitialWeight(string backend, string server) =>
        Options.Backends.FirstOrDefault(b => b.Name == backend)?.Servers.FirstOrDefault(s => s.Name == server)?.Weight;

    /// <summary>
    /// The <c>show stat</c> CSV. <paramref name="legends"/>: HAProxy fills <c>addr</c>, <c>cookie</c> and
    /// <c>algo</c> only on the CLI (operator and admin levels) or on a stats page with <c>stats show-legends</c>.
    /// </summary>
    public string ShowStat(bool legends = true)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        _proxy.WriteStatCsv(writer);
        writer.Write('\n');
        var csv = writer.ToString();
        if (legends)
        {
            return csv;
        }

        var lines = csv.Split('\n');
        var header = lines[0].TrimStart('#', ' ').Split(',');
        int[] hidden = [Array.IndexOf(header, "addr"), Array.IndexOf(header, "cookie"), Array.IndexOf(header, "algo")];
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0 || lines[i].Contains('"', StringComparison.Ordinal))
            {
                continue; // a quoted field (a comma in a description) would shift the columns: leave the line whole
            }

            var fields = lines[i].Split(',');
            foreach (var at in hidden)
            {
                if (at >= 0 && at < fields.Length)
                {
                    fields[at] = "";
                }
            }

            lines[i] = string.Join(',', fields);
        }

        return string.Join('\n', lines);
    }

    private string ShowInfo()
    {
        var stats = _proxy.GetStats();
        var info = _proxy.GetInfo();
        var uptime = _time.GetUtcNow() - Started;
        var current = stats.Where(r => r.Type == StatsRowType.Frontend).Sum(r => r.CurrentSessions);
        var total = stats.Where(r => r.Type == StatsRowType.Frontend).Sum(r => r.TotalSessions);
        var sb = new StringBuilder();
        sb.Append("Name: Ha.Net\n");
        sb.Append(CultureInfo.InvariantCulture, $"Version: {Version}\n");
        sb.Append(CultureInfo.InvariantCulture, $"Pid: {Environment.ProcessId}\n");
        sb.Append(CultureInfo.InvariantCulture, $"Uptime: {(int)uptime.TotalDays}d {uptime.Hours}h{uptime.Minutes:00}m{uptime.Seconds:00}s\n");
        sb.Append(CultureInfo.InvariantCulture, $"Uptime_sec: {(long)uptime.TotalSeconds}\n");
        sb.Append(CultureInfo.InvariantCulture, $"Maxconn: {info.MaxConnections}\n");
        sb.Append(CultureInfo.InvariantCulture, $"CurrConns: {current}\n");
        sb.Append(CultureInfo.InvariantCulture, $"CumConns: {total}\n");
        sb.Append(CultureInfo.InvariantCulture, $"Maxpipes: {info.MaxPipes}\n");
        sb.Append(CultureInfo.InvariantCulture, $"PipesUsed: {info.PipesUsed}\n");
        sb.Append(CultureInfo.InvariantCulture, $"PipesFree: {info.PipesFree}\n");
        sb.Append(CultureInfo.InvariantCulture, $"Nbthread: {Environment.ProcessorCount}\n");
        sb.Append('\n');
        return sb.ToString();
    }

    private string ShowServersState(string onlyBackend)
    {
        var stats = _proxy.GetStats();
        if (onlyBackend.Length > 0 && !stats.Any(r => r.Type == StatsRowType.Backend && r.ProxyName == onlyBackend))
        {
            return "Can't find backend.\n\n";
        }

        var sb = new StringBuilder();
        sb.Append("1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight " +
                  "srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state " +
                  "srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port " +
                  "srv_check_addr srv_agent_addr srv_agent_port\n");
        foreach (var row in stats.Where(r => r.Type == StatsRowType.Server && (onlyBackend.Length == 0 || r.ProxyName == onlyBackend)))
        {
            var configured = Options.Backends.FirstOrDefault(b => b.Name == row.ProxyName)?.Servers.FirstOrDefault(s => s.Name == row.ServiceName);
            var initial = configured?.Weight ?? row.Weight ?? 0;
            var checkedServer = row.CheckStatus is not null;
            var maint = row.Status == "MAINT";

            // srv_op_state: SRV_ST_STOPPED (0) when down or in maintenance, SRV_ST_RUNNING (2) otherwise.
            var opState = maint || row.Status == "DOWN" || row.Status.StartsWith("DOWN ", StringComparison.Ordinal) ? 0 : 2;

            // srv_admin_state, HAProxy's SRV_ADMF_* flags: FMAINT 0x01 (maintenance), CMAINT 0x04 (configured
            // 'disabled', kept for good), FDRAIN 0x08 (drain, whatever the weight: a weight of 0 alone is not drain).
            var drained = !maint && (row.Status == "DRAIN"
                || _adminSet.TryGetValue((row.ProxyName, row.ServiceName), out var set) && set == ServerAdminState.Drain);
            var adminState = (maint ? 0x01 : 0) | (configured?.InitialState == ServerAdminState.Maintenance ? 0x04 : 0) | (drained ? 0x08 : 0);

            // srv_check_status (HCHK_STATUS_*; a server without check stays INI), srv_check_result (CHK_RES_* of
            // the last check), srv_check_health (0 in maintenance; rise for a server without check), srv_check_state
            // (CHK_ST_CONFIGURED|CHK_ST_ENABLED, plus CHK_ST_PAUSED in maintenance).
            var checkStatus = checkedServer ? CheckStatusCode(row.CheckStatus) : 1;
            var checkResult = row.CheckStatus switch
            {
                null or "INI" => 0,
                "L4OK" or "L6OK" or "L7OK" => 3,
                "L7OKC" => 4,
                _ => 2,
            };
            var checkHealth = maint ? 0 : checkedServer ? row.CheckHealth ?? 0 : Rise(row.ProxyName, row.ServiceName);
            var checkState = (checkedServer ? 0x06 : 0) | (maint ? 0x08 : 0);
            var (addr, port) = SplitAddress(row.Address);
            sb.Append(CultureInfo.InvariantCulture,
                $"{row.ProxyId} {row.ProxyName} {row.ServerId} {row.ServiceName} {addr} {opState} {adminState} {row.Weight ?? 0} {initial} " +
                $"{row.LastChangeSeconds ?? 0} {checkStatus} {checkResult} {checkHealth} {checkState} 0 0 0 - {port} - 0 0 - - 0\n");
        }

        sb.Append('\n');
        return sb.ToString();
    }

    private static (string Address, string Port) SplitAddress(string? address)
    {
        if (address is null)
        {
            return ("-", "0");
        }

        var colon = address.LastIndexOf(':');
        return colon < 0 ? (address, "0") : (address[..colon].Trim('[', ']'), address[(colon + 1)..]);
    }

    /// <summary>The configured <c>rise</c> of a server (HAProxy shows it as the health of a server without check).</summary>
    private int Rise(string backend, string server) =>
        Config.Backends.FirstOrDefault(b => b.Name == backend)?.Servers.FirstOrDefault(s => s.Name == server)?.Rise ?? 2;

    // HAProxy 2.6's enum healthcheck_status (include/haproxy/check-t.h): UNKNOWN 0, INI 1, START 2, CHECKED 3,
    // HANA 4, SOCKERR 5, L4OK 6, L4TOUT 7, L4CON 8, L6OK 9, L6TOUT 10, L6RSP 11, L7TOUT 12, L7RSP 13, L57DATA 14,
    // L7OKD 15 (shown "L7OK"), L7OKCD 16 ("L7OKC"), L7STS 17, PROCERR 18, PROCTOUT 19, PROCOK 20.
    private static int CheckStatusCode(string? status) => status switch
    {
        "INI" => 1,
        "SOCKERR" => 5,
        "L4OK" => 6,
        "L4TOUT" => 7,
        "L4CON" => 8,
        "L6OK" => 9,
        "L6TOUT" => 10,
        "L6RSP" => 11,
        "L7TOUT" => 12,
        "L7RSP" => 13,
        "L7OK" => 15,
        "L7OKC" => 16,
        "L7STS" => 17,
        "PROCERR" => 18,
        "PROCTOUT" => 19,
        "PROCOK" => 20,
        _ => 0,
    };

    private static string Help() =>
        "The following commands are valid at this level:\n" +
        "  help                                    : full commands list\n" +
        "  prompt                                  : toggle interactive mode with prompt\n" +
        "  quit                                    : disconnect\n" +
        "  show info                               : report information about the running process\n" +
        "  show stat                               : report counters for each proxy and server (CSV)\n" +
        "  show servers state [<backend>]          : dump volatile server information\n" +
        "  set server <bk>/<srv> state ready|drain|maint : change a server's administrative state\n" +
        "  set server <bk>/<srv> weight <w>[%]     : change a server's weight\n" +
        "  set weight <bk>/<srv> <w>[%]            : change a server's weight (deprecated)\n" +
        "  disable frontend <frontend>             : temporarily disable specific frontend\n" +
        "  enable frontend <frontend>              : re-enable specific frontend\n" +
        "  disable server <bk>/<srv>               : disable a server for maintenance (use 'set server' instead)\n" +
        "  enable server <bk>/<srv>                : enable a disabled server (use 'set server' instead)\n" +
        "\n";

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Server {Backend}/{Server} state set to '{State}' by {By}.")]
    private static partial void LogAdmin(ILogger logger, string backend, string server, string state, string by);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "{Reason}")]
    private static partial void LogFrontendRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Server {Backend}/{Server} weight set to {Weight} by cli.")]
    private static partial void LogWeight(ILogger logger, string backend, string server, int weight);
}
