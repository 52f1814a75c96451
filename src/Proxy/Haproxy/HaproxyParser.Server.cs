using Ha.Net.HealthChecks;
namespace Ha.Net.Proxy.Haproxy;

internal sealed partial class HaproxyParser
{
    private void ParseServer(Statement st, ProxyDraft d, string section)
    {
        if (!NeedArgs(st, 1, "a name and an address[:port]"))
        {
            return;
        }

        var server = new HaproxyServer { Name = st.Arg(0), Location = st.Location };
        if (st.ArgCount < 2)
        {
            Error(st.Location, "server", $"{section}: server '{server.Name}' has no address");
            return;
        }

        if (d.Servers.Any(s => s.Name == server.Name))
        {
            Error(st.Location, "server", $"{section}: server '{server.Name}' is defined twice");
        }

        var ok = true;
        if (ParseEndpoint(st.Arg(1), st.Location, "server", requirePort: false) is { } ep)
        {
            server.Address = ep.Address;
            server.Port = ep.Port == 0 ? null : ep.Port;
            if (ep.IsAny)
            {
                Error(st.Location, "server", $"{section}: server '{server.Name}' address '{st.Arg(1)}' is not a destination");
                ok = false;
            }
        }
        else
        {
            ok = false;
        }

        var inter = false;
        foreach (var (options, location) in d.DefaultServer)
        {
            inter |= ApplyServerOptions(options, server, location, section, "default-server");
        }

        inter |= ApplyServerOptions(st.Words.Skip(3).ToList(), server, st.Location, section, $"server {server.Name}", d);
        _ = inter;
        if (ok)
        {
            server.SetLine("server", st.Location);
            d.Servers.Add(server);
        }
    }

    /// <summary>Applies server options; returns whether any was read. <paramref name="owner"/> is null for default-server validation.</summary>
    private bool ApplyServerOptions(List<HaproxyToken> words, HaproxyServer server, HaproxySourceLine at, string section, string what, ProxyDraft? owner = null)
    {
        TimeSpan? fastInter = null, downInter = null;
        var tlsReported = false;
        var explicitFast = server.FastInter != server.Inter;
        var explicitDown = server.DownInter != server.Inter;
        for (var i = 0; i < words.Count; i++)
        {
            var option = words[i].Text;
            string? Next()
            {
                if (i + 1 < words.Count)
                {
                    return words[++i].Text;
                }

                Error(at, "server", $"{section}: {what}: option '{option}' needs a value");
                return null;
            }

            int? Int(int min, int max) => Next() is { } v && TryInt(at, $"{what} {option}", v, min, max, out var n) ? n : null;

            TimeSpan? Time() => Next() is { } v && TryTime(at, $"{what} {option}", v, out var t) ? t : null;

            switch (option)
            {
                case "check":
                    server.Check = true;
                    break;
                case "no-check":
                    server.Check = false;
                    break;
                case "inter":
                    if (Time() is { } interval)
                    {
                        if (interval <= TimeSpan.Zero)
                        {
                            Error(at, "server", $"{section}: {what}: 'inter' must be greater than 0");
                        }
                        else
                        {
                            server.Inter = interval;
                        }
                    }

                    break;
                case "fastinter":
                    fastInter = Time() ?? fastInter;
                    break;
                case "downinter":
                    downInter = Time() ?? downInter;
                    break;
                case "rise":
                    server.Rise = Int(1, 1_000_000) ?? server.Rise;
                    break;
                case "fall":
                    server.Fall = Int(1, 1_000_000) ?? server.Fall;
                    break;
                case "weight":
                    server.Weight = Int(0, 256) ?? server.Weight;
                    break;
                case "backup":
                    server.Backup = true;
                    break;
                case "no-backup":
                    server.Backup = false;
                    break;
                case "maxconn":
                    server.MaxConn = Int(0, int.MaxValue) ?? server.MaxConn;
                    break;
                case "maxqueue":
                    server.MaxQueue = Int(0, int.MaxValue) ?? server.MaxQueue;
                    break;
                case "slowstart":
                    server.SlowStart = Time() ?? server.SlowStart;
                    break;
                case "observe":
                    switch (Next())
                    {
                        case null:
                            break;
                        case "layer4":
                            server.ObserveLayer4 = true;
                            break;
                        case "none":
                            server.ObserveLayer4 = false;
                            break;
                        case "layer7":
                            Error(at, "server", $"{section}: {what}: 'observe layer7' needs HTTP processing; Ha.Net observes layer4 only");
                            break;
                        case var mode:
                            Error(at, "server", $"{section}: {what}: 'observe' expects 'none', 'layer4' or 'layer7', got '{mode}'");
                            break;
                    }

                    break;
                case "error-limit":
                    server.ErrorLimit = Int(1, 1_000_000) ?? server.ErrorLimit;
                    break;
                case "on-error":
                    switch (Next())
                    {
                        case null:
                            break;
                        case "fastinter":
                            server.OnError = ObservedErrorAction.FastInterval;
                            break;
                        case "fail-check":
                            server.OnError = ObservedErrorAction.FailCheck;
                            break;
                        case "sudden-death":
                            server.OnError = ObservedErrorAction.SuddenDeath;
                            break;
                        case "mark-down":
                            server.OnError = ObservedErrorAction.MarkDown;
                            break;
                        case var action:
                            Error(at, "server", $"{section}: {what}: 'on-error' expects 'fastinter', 'fail-check', 'sudden-death' or 'mark-down', got '{action}'");
                            break;
                    }

                    break;
                case "send-proxy":
                    server.SendProxy = HaproxySendProxy.V1;
                    break;
                case "send-proxy-v2":
                    server.SendProxy = HaproxySendProxy.V2;
                    break;
                case "no-send-proxy" or "no-send-proxy-v2":
                    server.SendProxy = HaproxySendProxy.None;
                    break;
                case "check-send-proxy":
                    server.CheckSendProxy = true;
                    break;
                case "disabled":
                    server.Disabled = true;
                    break;
                case "enabled":
                    server.Disabled = false;
                    break;
                case "on-marked-down":
                    if (Next() is { } down)
                    {
                        if (down == "shutdown-sessions")
                        {
                            server.ShutdownSessionsOnMarkedDown = true;
                        }
                        else
                        {
                            Error(at, "server", $"{section}: {what}: 'on-marked-down {down}' is not supported (only shutdown-sessions)");
                        }
                    }

                    break;
                case "on-marked-up":
                    if (Next() is { } up)
                    {
                        if (up == "shutdown-backup-sessions")
                        {
                            server.ShutdownBackupSessionsOnMarkedUp = true;
                        }
                        else
                        {
                            Error(at, "server", $"{section}: {what}: 'on-marked-up {up}' is not supported (only shutdown-backup-sessions)");
                        }
                    }

                    break;
                case "port":
                    server.CheckPort = Int(1, 65535) ?? server.CheckPort;
                    break;
                case "addr":
                    if (Next() is { } addr)
                    {
                        if (System.Net.IPAddress.TryParse(addr, out _) || IsHostName(addr))
                        {
                            server.CheckAddress = addr;
                        }
                        else
                        {
                            Error(at, "server", $"{section}: {what}: 'addr {addr}' is not an address");
                        }
                    }

                    break;
                case "id":
                    server.Id = Int(1, int.MaxValue) ?? server.Id;
                    break;
                case "cookie":
                    _ = Next();
                    owner?.L7.Add(new L7Feature($"{what} cookie", at, false, Fatal: true));
                    break;
                case "ssl" or "check-ssl" or "verify" or "ca-file" or "crt" or "sni" or "alpn" or "ciphers" or "no-ssl" or "force-tlsv12" or "ssl-min-ver" or "ssl-max-ver":
                    if (option is "verify" or "ca-file" or "crt" or "sni" or "alpn" or "ciphers" or "ssl-min-ver" or "ssl-max-ver")
                    {
                        _ = Next();
                    }

                    if (option != "no-ssl" && !tlsReported)
                    {
                        tlsReported = true;
                        Error(at, "server", $"{section}: {what}: TLS to servers ('{option}') is not supported");
                    }

                    break;
                case "minconn" or "agent-port" or "agent-inter" or "agent-send" or "agent-addr" or "track" or "resolvers" or "init-addr" or "resolve-prefer" or "source" or "usesrc" or "pool-max-conn" or "pool-purge-delay" or "max-reuse" or "proto" or "namespace" or "tfo" or "check-proto" or "check-sni" or "resolve-opts" or "shard" or "log-proto" or "redir":
                    if (option is not "tfo")
                    {
                        _ = Next();
                    }

                    Warn(at, "server", $"{section}: {what}: option '{option}' is not supported by Ha.Net; ignored");
                    break;
                case "agent-check" or "no-agent-check" or "non-stick" or "stick" or "allow-0rtt" or "tls-tickets" or "no-tls-tickets" or "check-via-socks4" or "socks4" or "ws":
                    Warn(at, "server", $"{section}: {what}: option '{option}' is not supported by Ha.Net; ignored");
                    break;
                default:
                    Error(at, "server", $"{section}: {what}: unknown server option '{option}'");
                    break;
            }
        }

        // fastinter/downinter fall back to inter unless set (here or by default-server).
        server.FastInter = fastInter ?? (explicitFast ? server.FastInter : server.Inter);
        server.DownInter = downInter ?? (explicitDown ? server.DownInter : server.Inter);
        return words.Count > 0;
    }
}
