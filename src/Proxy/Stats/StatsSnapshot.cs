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
        int globalLimit = proxy.Runtime.Budget.MaxConnections;

        // A frontend without maxconn takes the global one; a backend's fullconn (slim) is a tenth of the
        // maxconn of the frontends sending to it, at least 1 (HAProxy proxy.c, proxy_adjust_all_maxconn).
        var feeding = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var frontend in proxy.Frontends.DistinctBy(f => f.Name.Split('#')[0]))
        {
            feeding[frontend.Options.Backend] = feeding.GetValueOrDefault(frontend.Options.Backend) + FrontendLimit(frontend.Options, globalLimit);
        }

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
                SessionLimit = FrontendLimit(frontend.Options, globalLimit) is > 0 and var limit ? limit : null,
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
                ProxyId = frontend.Options.Id > 0 ? frontend.Options.Id : proxyId++,
                ClientAborts = null,
            });
        }

        foreach (var backend in proxy.Backends)
        {
            int id = backend.Options.Id > 0 ? backend.Options.Id : proxyId++;
            int activeUp = 0, backupUp = 0, weight = 0, userWeight = 0, firstBackupWeight = -1;
            foreach (var server in backend.Servers)
            {
                rows.Add(ServerRow(backend, server, id, now, nowMs, time));
                if (server.IsUsable)
                {
                    if (server.Options.Backup)
                    {
                        backupUp++;
                        firstBackupWeight = firstBackupWeight < 0 ? server.Weight : firstBackupWeight;
                    }
                    else
                    {
                        activeUp++;
                        weight += server.WeightNow;
                        userWeight += server.Weight;
                    }
                }
            }

            var c = backend.Counters;
            long lastSession = Volatile.Read(ref c.LastSessionTimestamp);
            long fullConn = Math.Max(1, (feeding.GetValueOrDefault(backend.Name) + 9) / 10);
            long backendDowntime, backendLastChange, backendDowns;
            lock (backend.Lock)
            {
                backendDowntime = backend.DowntimeTicks + (backend.DownSinceTimestamp >= 0 ? now - backend.DownSinceTimestamp : 0);
                backendLastChange = backend.LastChangeTimestamp;
                backendDowns = backend.DownTransitions;
            }

            rows.Add(new StatsRow
            {
                ProxyName = backend.Name,
                ServiceName = "BACKEND",
                Type = StatsRowType.Backend,
                QueueCurrent = Volatile.Read(ref c.QueueCurrent),
                QueueMax = Volatile.Read(ref c.QueueMax),
                CurrentSessions = Volatile.Read(ref c.CurrentSessions),
                MaxSessions = Volatile.Read(ref c.MaxSessions),
                SessionLimit = fullConn,
                TotalSessions = Volatile.Read(ref c.TotalSessions),
                BytesIn = Volatile.Read(ref c.BytesIn),
                BytesOut = Volatile.Read(ref c.BytesOut),
                BytesSpliced = Volatile.Read(ref c.BytesSpliced),
                DeniedRequests = Volatile.Read(ref c.DeniedConnections),
                CheckDowns = backendDowns,
                LastChangeSeconds = (long)time.GetElapsedTime(backendLastChange, now).TotalSeconds,
                DowntimeSeconds = backend.Servers.Length == 0 ? null : (long)time.GetElapsedTime(0, backendDowntime).TotalSeconds,
                ConnectAttempts = Volatile.Read(ref c.ConnectAttempts),
                QueueTimeMaxMs = Volatile.Read(ref c.QueueTimeMax),
                ConnectTimeMaxMs = Volatile.Read(ref c.ConnectTimeMax),
                TotalTimeMaxMs = Volatile.Read(ref c.TotalTimeMax),
                UserWeight = activeUp > 0 ? userWeight : Math.Max(0, firstBackupWeight),
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
        bool checking = check is not null && server.Monitor?.Snapshot.IsChecking == true;
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
            CheckInProgress = checking,
            CheckCode = server.LastCheck?.Code,
            CheckDurationMs = server.LastCheck is { } last ? (long)last.Duration.TotalMilliseconds : null,
            ClientAborts = Volatile.Read(ref c.ClientAborts),
            ServerAborts = Volatile.Read(ref c.ServerAborts),
            LastSessionSeconds = lastSession == 0 ? -1 : (long)time.GetElapsedTime(lastSession, now).TotalSeconds,
            LastCheck = checking ? null : server.LastCheck?.Description,
            ConnectAttempts = Volatile.Read(ref c.ConnectAttempts),
            QueueTimeMaxMs = Volatile.Read(ref c.QueueTimeMax),
            ConnectTimeMaxMs = Volatile.Read(ref c.ConnectTimeMax),
            TotalTimeMaxMs = Volatile.Read(ref c.TotalTimeMax),
            UsedConnections = Volatile.Read(ref c.CurrentSessions),
            NeededConnections = Math.Max(Volatile.Read(ref c.MaxSessions), check is null ? 0 : 1),
            UserWeight = server.Weight,
            QueueTimeMs = c.AverageQueueTimeMs,
            ConnectTimeMs = c.AverageConnectTimeMs,
            TotalTimeMs = c.AverageTotalTimeMs,
            CheckRise = check?.Rise,
            CheckFall = check?.Fall,
            CheckHealth = check is null ? null : server.CheckHealth,
            Address = options.Address.ToString(),
        };
    }

    private static long FrontendLimit(FrontendOptions options, int globalLimit) =>
        options.MaxConnections > 0 ? options.MaxConnections : Math.Max(0, globalLimit);

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

        // HAProxy 2.6 (stats.c): DRAIN is the admin state only; a weight of 0 alone still shows UP.
        if (server.AdminState == ServerAdminState.Drain)
        {
            return "DRAIN";
        }

        return server.Options.Check is null ? "no check" : "UP";
    }
}
