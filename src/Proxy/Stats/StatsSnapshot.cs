using Ha.Net.Proxy.Backends;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Hosting;

namespace Ha.Net.Proxy.Stats;

/// <summary>Reads the live counters into <see cref="StatsRow"/>s, in HAProxy's order: each
/// frontend, then each backend's servers followed by the backend line.</summary>
internal static class StatsSnapshot
{
    public static IReadOnlyList<StatsRow> Build(TcpProxy proxy)
    {
        var time = proxy.Runtime.Time;
        long now = time.GetTimestamp();
        long nowMs = ProxyCounters.Milliseconds(now, time);
        var rows = new List<StatsRow>();
        int proxyId = 1;
        foreach (var frontend in proxy.Frontends)
        {
            var c = frontend.Counters;
            rows.Add(new StatsRow
            {
                ProxyName = frontend.Name,
                ServiceName = "FRONTEND",
                Type = StatsRowType.Frontend,
                CurrentSessions = Volatile.Read(ref c.CurrentSessions),
                MaxSessions = Volatile.Read(ref c.MaxSessions),
                SessionLimit = frontend.Options.MaxConnections > 0 ? frontend.Options.MaxConnections : null,
                TotalSessions = Volatile.Read(ref c.TotalSessions),
                BytesIn = Volatile.Read(ref c.BytesIn),
                BytesOut = Volatile.Read(ref c.BytesOut),
                BytesSpliced = Volatile.Read(ref c.BytesSpliced),
                DeniedRequests = 0,
                Status = frontend.IsListening ? "OPEN" : "STOP",
                SessionRate = c.Rate.Read(nowMs),
                SessionRateLimit = frontend.Options.RateLimitSessions,
                SessionRateMax = c.Rate.Max,
                ConnectionRate = c.ConnectionRate.Read(nowMs),
                ConnectionRateMax = c.ConnectionRate.Max,
                TotalConnections = Volatile.Read(ref c.TotalConnections),
                ProxyId = proxyId++,
                ClientAborts = null,
            });
        }

        foreach (var backend in proxy.Backends)
        {
            int id = proxyId++;
            int activeUp = 0, backupUp = 0, weight = 0;
            foreach (var server in backend.Servers)
            {
                rows.Add(ServerRow(backend, server, id, now, nowMs, time));
                if (server.IsUsable)
                {
                    if (server.Options.Backup)
                    {
                        backupUp++;
                    }
                    else
                    {
                        activeUp++;
                        weight += server.WeightNow;
                    }
                }
            }

            var c = backend.Counters;
            long lastSession = Volatile.Read(ref c.LastSessionTimestamp);
            rows.Add(new StatsRow
            {
                ProxyName = backend.Name,
                ServiceName = "BACKEND",
                Type = StatsRowType.Backend,
                QueueCurrent = Volatile.Read(ref c.QueueCurrent),
                QueueMax = Volatile.Read(ref c.QueueMax),
                CurrentSessions = Volatile.Read(ref c.CurrentSessions),
                MaxSessions = Volatile.Read(ref c.MaxSessions),
                TotalSessions = Volatile.Read(ref c.TotalSessions),
                BytesIn = Volatile.Read(ref c.BytesIn),
                BytesOut = Volatile.Read(ref c.BytesOut),
                BytesSpliced = Volatile.Read(ref c.BytesSpliced),
                DeniedRequests = Volatile.Read(ref c.DeniedConnections),
                ConnectErrors = Volatile.Read(ref c.ConnectErrors),
                Retries = Volatile.Read(ref c.Retries),
                Redispatches = Volatile.Read(ref c.Redispatches),
                Status = activeUp + backupUp > 0 ? "UP" : "DOWN",
                SessionRate = c.Rate.Read(nowMs),
                SessionRateMax = c.Rate.Max,
                Weight = weight,
                Active = activeUp,
                Backup = backupUp,
                ProxyId = id,
                LoadBalancedTotal = Volatile.Read(ref c.TotalSessions),
                ClientAborts = Volatile.Read(ref c.ClientAborts),
                ServerAborts = Volatile.Read(ref c.ServerAborts),
                LastSessionSeconds = lastSession == 0 ? -1 : (long)time.GetElapsedTime(lastSession, now).TotalSeconds,
                QueueTimeMs = c.AverageQueueTimeMs,
                ConnectTimeMs = c.AverageConnectTimeMs,
                TotalTimeMs = c.AverageTotalTimeMs,
                Algorithm = backend.Options.Balance switch
                {
                    BalanceAlgorithm.LeastConnections => "leastconn",
                    BalanceAlgorithm.First => "first",
                    BalanceAlgorithm.Random => "random",
                    BalanceAlgorithm.Source => "source",
                    _ => "roundrobin",
                },
            });
        }

        return rows;
    }

    private static StatsRow ServerRow(Backend backend, ServerState server, int proxyId, long now, long nowMs, TimeProvider time)
    {
        var c = server.Counters;
        var options = server.Options;
        var check = options.Check;
        long lastSession = Volatile.Read(ref c.LastSessionTimestamp);
        long downtime = server.DowntimeTicks + (server.DownSinceTimestamp >= 0 ? now - server.DownSinceTimestamp : 0);
        return new StatsRow
        {
            ProxyName = backend.Name,
            ServiceName = server.Name,
            Type = StatsRowType.Server,
            QueueCurrent = Volatile.Read(ref c.QueueCurrent),
            QueueMax = Volatile.Read(ref c.QueueMax),
            CurrentSessions = Volatile.Read(ref c.CurrentSessions),
            MaxSessions = Volatile.Read(ref c.MaxSessions),
            SessionLimit = options.MaxConnections > 0 ? options.MaxConnections : null,
            TotalSessions = Volatile.Read(ref c.TotalSessions),
            BytesIn = Volatile.Read(ref c.BytesIn),
            BytesOut = Volatile.Read(ref c.BytesOut),
            BytesSpliced = Volatile.Read(ref c.BytesSpliced),
            ConnectErrors = Volatile.Read(ref c.ConnectErrors),
            Retries = Volatile.Read(ref c.Retries),
            Redispatches = Volatile.Read(ref c.Redispatches),
            Status = ServerStatus(server),
            SessionRate = c.Rate.Read(nowMs),
            SessionRateMax = c.Rate.Max,
            Weight = server.WeightNow, // HAProxy shows the effective weight
            Active = options.Backup ? 0 : 1,
            Backup = options.Backup ? 1 : 0,
            CheckFailures = check is null ? null : Volatile.Read(ref server.FailedChecks),
            ObservedErrorReports = check is { ObserveLayer4: true } ? Volatile.Read(ref server.ObservedErrorReports) : null,
            CheckDowns = check is null ? null : server.UpToDownTransitions,
            LastChangeSeconds = (long)time.GetElapsedTime(server.LastChangeTimestamp, now).TotalSeconds,
            DowntimeSeconds = check is null ? null : (long)time.GetElapsedTime(0, downtime).TotalSeconds,
            QueueLimit = options.MaxQueue > 0 ? options.MaxQueue : null,
            ProxyId = proxyId,
            ServerId = server.Id,
            LoadBalancedTotal = Volatile.Read(ref c.TotalSessions),
            CheckStatus = check is null ? null : server.LastCheck?.HaproxyStatusName ?? "INI",
            CheckCode = server.LastCheck?.Code,
            CheckDurationMs = server.LastCheck is { } last ? (long)last.Duration.TotalMilliseconds : null,
            ClientAborts = Volatile.Read(ref c.ClientAborts),
            ServerAborts = Volatile.Read(ref c.ServerAborts),
            LastSessionSeconds = lastSession == 0 ? -1 : (long)time.GetElapsedTime(lastSession, now).TotalSeconds,
            LastCheck = server.LastCheck?.Description,
            QueueTimeMs = c.AverageQueueTimeMs,
            ConnectTimeMs = c.AverageConnectTimeMs,
            TotalTimeMs = c.AverageTotalTimeMs,
            CheckRise = check?.Rise,
            CheckFall = check?.Fall,
            CheckHealth = check is null ? null : server.CheckHealth,
            Address = options.Address.ToString(),
        };
    }

    /// <summary>HAProxy's server status words: MAINT, DRAIN, DOWN, UP, "no check".</summary>
    private static string ServerStatus(ServerState server)
    {
        if (server.AdminState == ServerAdminState.Maintenance)
        {
            return "MAINT";
        }

        if (!server.HealthUp)
        {
            return "DOWN";
        }

        if (server.AdminState == ServerAdminState.Drain || server.Weight == 0)
        {
            return "DRAIN";
        }

        return server.Options.Check is null ? "no check" : "UP";
    }
}
