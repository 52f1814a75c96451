using System.Globalization;
using System.Text;
using Ha.Net.Proxy;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Stats;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.ProxyDaemon;

/// <summary>
/// The runtime API shared by the stats socket and the stats page's admin form, with HAProxy's command
/// names and answers (management guide §9.3).
/// </summary>
internal sealed partial class AdminCommands(ITcpProxy proxy, Func<DaemonConfig> config, ILogger logger, DateTimeOffset started)
{
    public const string Version = "2.6-hanet";

    public ITcpProxy Proxy => proxy;

    public DaemonConfig Config => config();

    public DateTimeOffset Started => started;

    /// <summary>Runs one command line (several commands separated by ';') and returns the answer.</summary>
    public string Execute(string line, bool admin)
    {
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

        if (IsSet("weight") && w.Count == 5 || w.Count == 4 && w[0] == "set" && w[1] == "weight")
        {
            var value = w[^1];
            return WithServer(w[2], (b, s) => SetWeight(b, s, value));
        }

        if (w.Count == 3 && w[1] == "server" && w[0] is "disable" or "enable")
        {
            var state = w[0] == "disable" ? ServerAdminState.Maintenance : ServerAdminState.Ready;
            return WithServer(w[2], (b, s) => SetState(b, s, state, "cli"));
        }

        return Help();
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

    public string SetState(string backend, string server, ServerAdminState state, string by)
    {
        try
        {
            proxy.SetServerState(backend, server, state);
            LogAdmin(logger, backend, server, state switch
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

    private string SetWeight(string backend, string server, string value)
    {
        if (!int.TryParse(value.TrimEnd('%'), NumberStyles.None, CultureInfo.InvariantCulture, out var weight))
        {
            return "Require <weight> or <weight%>.\n\n";
        }

        if (value.EndsWith('%'))
        {
            // Relative to the configured (initial) weight, as HAProxy does.
            var initial = InitialWeight(backend, server);
            if (initial is null)
            {
                return NotFound(backend);
            }

            weight = (int)Math.Round(initial.Value * weight / 100.0);
        }

        if (weight > 256)
        {
            return "Weight must be between 0 and 256.\n\n";
        }

        try
        {
            proxy.SetServerWeight(backend, server, weight);
            LogWeight(logger, backend, server, weight);
            return "\n";
        }
        catch (KeyNotFoundException)
        {
            return NotFound(backend);
        }
    }

    private string NotFound(string backend) =>
        Config.Options.Backends.Any(b => b.Name == backend) ? "No such server.\n\n" : "No such backend.\n\n";

    private int? InitialWeight(string backend, string server) =>
        Config.Options.Backends.FirstOrDefault(b => b.Name == backend)?.Servers.FirstOrDefault(s => s.Name == server)?.Weight;

    public string ShowStat()
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        proxy.WriteStatCsv(writer);
        writer.Write('\n');
        return writer.ToString();
    }

    private string ShowInfo()
    {
        var stats = proxy.GetStats();
        var info = proxy.GetInfo();
        var uptime = DateTimeOffset.UtcNow - started;
        var current = stats.Where(r => r.Type == StatsRowType.Frontend).Sum(r => r.CurrentSessions);
        var total = stats.Where(r => r.Type == StatsRowType.Frontend).Sum(r => r.TotalSessions);
        var sb = new StringBuilder();
        sb.Append("Name: Ha.Net\n");
        sb.Append(CultureInfo.InvariantCulture, $"Version: {Version}\n");
        sb.Append(CultureInfo.InvariantCulture, $"Pid: {Environment.ProcessId}\n");
        sb.Append(CultureInfo.InvariantCulture, $"Uptime: {(int)uptime.TotalDays}d {uptime.Hours}h{uptime.Minutes:00}m{uptime.Seconds:00}s\n");
        sb.Append(CultureInfo.InvariantCulture, $"Uptime_sec: {(long)uptime.TotalSeconds}\n");
        sb.Append(CultureInfo.InvariantCulture, $"Maxconn: {Config.Options.MaxConnections}\n");
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
        var stats = proxy.GetStats();
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
            var initial = InitialWeight(row.ProxyName, row.ServiceName) ?? row.Weight ?? 0;
            var checkedServer = row.CheckStatus is not null;
            var healthUp = row.Status is not "DOWN" && !row.Status.StartsWith("DOWN ", StringComparison.Ordinal);
            if (row.Status == "MAINT")
            {
                healthUp = !checkedServer || row.CheckHealth >= row.CheckRise;
            }

            var opState = healthUp ? 2 : 0;
            var adminState = row.Status == "MAINT" ? 0x01 : row.Status == "DRAIN" && row.Weight > 0 ? 0x08 : 0;
            var checkResult = !checkedServer ? 0 : healthUp ? 3 : 1;
            var checkState = checkedServer ? 0x06 : 0;
            var (addr, port) = SplitAddress(row.Address);
            sb.Append(CultureInfo.InvariantCulture,
                $"{row.ProxyId} {row.ProxyName} {row.ServerId} {row.ServiceName} {addr} {opState} {adminState} {row.Weight ?? 0} {initial} " +
                $"{row.LastChangeSeconds ?? 0} {CheckStatusCode(row.CheckStatus)} {checkResult} {row.CheckHealth ?? 0} {checkState} 0 0 0 - {port} - 0 0 - - 0\n");
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

    // HAProxy's HCHK_STATUS_* numbers (include/haproxy/check-t.h).
    private static int CheckStatusCode(string? status) => status switch
    {
        null => 0,
        "INI" => 1,
        "SOCKERR" => 4,
        "L4OK" => 5,
        "L4TOUT" => 6,
        "L4CON" => 7,
        "L6OK" => 8,
        "L6TOUT" => 9,
        "L6RSP" => 10,
        "L7TOUT" => 11,
        "L7RSP" => 12,
        "L7OKD" => 13,
        "L7OK" => 14,
        "L7OKC" => 15,
        "L7STS" => 16,
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
        "  disable server <bk>/<srv>               : disable a server for maintenance (use 'set server' instead)\n" +
        "  enable server <bk>/<srv>                : enable a disabled server (use 'set server' instead)\n" +
        "\n";

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Server {Backend}/{Server} state set to '{State}' by {By}.")]
    private static partial void LogAdmin(ILogger logger, string backend, string server, string state, string by);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Server {Backend}/{Server} weight set to {Weight} by cli.")]
    private static partial void LogWeight(ILogger logger, string backend, string server, int weight);
}
