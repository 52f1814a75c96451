using System.Net;
using Ha.Net.HealthChecks;
using Ha.Net.HealthChecks.Probes;
using Ha.Net.Proxy.Configuration;
using ProbeProxyVersion = Ha.Net.HealthChecks.Probes.ProxyProtocolVersion;
using RuntimeProxyVersion = Ha.Net.HealthChecks.Probes.ProxyProtocolVersion;

namespace Ha.Net.Proxy.Haproxy;

/// <summary>The runtime options mapped from an haproxy.cfg, the health probes its checks need, and every finding.</summary>
public sealed class HaproxyMapping
{
    private readonly Dictionary<(string Backend, string Server), Func<TimeProvider?, IHealthProbe>> _probes;

    internal HaproxyMapping(ProxyOptions? options, IReadOnlyList<HaproxyDiagnostic> diagnostics, Dictionary<(string, string), Func<TimeProvider?, IHealthProbe>> probes)
    {
        Diagnostics = diagnostics;
        Errors = diagnostics.Where(d => d.Severity == HaproxyDiagnosticSeverity.Error).ToArray();
        Warnings = diagnostics.Where(d => d.Severity == HaproxyDiagnosticSeverity.Warning).ToArray();
        Options = Errors.Count == 0 ? options : null;
        _probes = probes;
    }

    /// <summary>The proxy options, or <see langword="null"/> when the configuration cannot run.</summary>
    public ProxyOptions? Options { get; }

    /// <summary>Every mapping finding (the reader's findings are in <see cref="HaproxyConfigResult"/>).</summary>
    public IReadOnlyList<HaproxyDiagnostic> Diagnostics { get; }

    /// <summary>The errors: what the runtime cannot do.</summary>
    public IReadOnlyList<HaproxyDiagnostic> Errors { get; }

    /// <summary>The warnings: what is approximated or ignored.</summary>
    public IReadOnlyList<HaproxyDiagnostic> Warnings { get; }

    /// <summary>Whether the configuration can run.</summary>
    public bool IsValid => Errors.Count == 0;

    /// <summary>
    /// Makes the probe of a checked server as the configuration asks (<c>option smtpchk</c>, <c>option httpchk</c>
    /// with <c>http-check expect</c>, else a TCP connect), for <c>TcpProxyFactory.Create(..., probeFactory)</c>.
    /// </summary>
    /// <param name="timeProvider">The clock the probes use (null = system).</param>
    /// <returns>The factory; it throws <see cref="KeyNotFoundException"/> for a server the configuration does not check.</returns>
    public Func<string, ServerOptions, IHealthProbe> CreateProbeFactory(TimeProvider? timeProvider = null) =>
        (backend, server) => _probes.TryGetValue((backend, server.Name), out var make)
            ? make(timeProvider)
            : throw new KeyNotFoundException($"server {backend}/{server.Name} is not checked by the configuration");
}

/// <summary>Maps a read <see cref="HaproxyConfig"/> to the proxy runtime's <see cref="ProxyOptions"/>.</summary>
public static class HaproxyConfigMapper
{
    /// <summary>
    /// Maps the frontends and backends (stats pages are the daemon's: see <see cref="HaproxyConfig.StatsPages"/>).
    /// A frontend becomes one <see cref="FrontendOptions"/> per bind address; a <c>listen</c> section becomes a
    /// frontend and a backend of the same name. What the runtime cannot do is an error naming its line.
    /// </summary>
    /// <param name="config">A valid configuration from <see cref="HaproxyConfigReader"/>.</param>
    /// <returns>The options, the probe factory and the findings.</returns>
    public static HaproxyMapping ToProxyOptions(HaproxyConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var diagnostics = new List<HaproxyDiagnostic>();
        var probes = new Dictionary<(string, string), Func<TimeProvider?, IHealthProbe>>();
        void Error(HaproxySourceLine at, string directive, string message) => diagnostics.Add(new HaproxyDiagnostic(HaproxyDiagnosticSeverity.Error, at, directive, message));
        void Warn(HaproxySourceLine at, string directive, string message) => diagnostics.Add(new HaproxyDiagnostic(HaproxyDiagnosticSeverity.Warning, at, directive, message));

        var backends = new List<BackendOptions>();
        // HAProxy numbers its proxies (iid, be_id) in file order from 1; the CLI's GLOBAL proxy, made by a
        // 'stats socket', takes 1. A stats page is a proxy too and takes its number.
        var ids = new Dictionary<HaproxyProxy, int>();
        var nextId = config.Global.StatsSockets.Count > 0 ? 2 : 1;
        foreach (var p in config.Proxies)
        {
            ids[p] = nextId++;
        }

        foreach (var p in config.Backends.Where(p => !p.Disabled))
        {
            if (p.Kind == HaproxySectionKind.Listen && p.Servers.Count == 0)
            {
                continue;
            }

            var section = $"{p.Kind.ToString().ToLowerInvariant()} '{p.Name}'";
            var balance = BalanceAlgorithm.RoundRobin;
            switch (p.Balance.Algorithm)
            {
                case HaproxyBalanceAlgorithm.RoundRobin:
                    break;
                case HaproxyBalanceAlgorithm.StaticRoundRobin:
                    Warn(Line(p, "balance"), "balance", $"{section}: 'balance static-rr' runs as roundrobin");
                    break;
                case HaproxyBalanceAlgorithm.LeastConn:
                    balance = BalanceAlgorithm.LeastConnections;
                    break;
                case HaproxyBalanceAlgorithm.First:
                    balance = BalanceAlgorithm.First;
                    break;
                case HaproxyBalanceAlgorithm.Random:
                    balance = BalanceAlgorithm.Random;
                    break;
                case HaproxyBalanceAlgorithm.Source:
                    balance = BalanceAlgorithm.Source;
                    break;
            }

            var connectTimeout = Infinite0(p.Timeouts.Connect);
            if (connectTimeout is null)
            {
                Warn(Line(p, "timeout connect"), "timeout connect", $"{section}: no 'timeout connect' (infinite in HAProxy); the runtime uses 5 s");
            }

            if (p.ClientTcpKeepAlive || p.ServerTcpKeepAlive)
            {
                Warn(Line(p, "option tcpka"), "option", $"{section}: TCP keep-alive options are not applied by the proxy runtime");
            }

            var servers = new List<ServerOptions>();
            foreach (var s in p.Servers)
            {
                if (MapServer(p, s, section, Error, Warn) is not { } server)
                {
                    continue;
                }

                servers.Add(server);
                if (server.Check is not null)
                {
                    if (MakeProbe(p, s, server, section, Error) is { } make)
                    {
                        probes[(p.Name, s.Name)] = make;
                    }
                }
            }

            backends.Add(new BackendOptions
            {
                Name = p.Name,
                Id = ids[p],
                Balance = balance,
                RandomDraws = p.Balance.RandomDraws,
                HashType = p.HashType == HaproxyHashType.Consistent ? HashType.Consistent : HashType.MapBased,
                Servers = servers,
                Retries = p.Retries,
                Redispatch = p.Redispatch is { } r && r != 0,
                ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(5),
                QueueTimeout = Infinite0(p.Timeouts.Queue ?? p.Timeouts.Connect),
                ServerTimeout = Infinite0(p.Timeouts.Server),
                ServerFinTimeout = Infinite0(p.Timeouts.ServerFin),
                TunnelTimeout = Infinite0(p.Timeouts.Tunnel),
                Splice = Splice(p, config.Global),
            });
        }

        var frontends = new List<FrontendOptions>();
        foreach (var p in config.Frontends.Where(p => !p.Disabled))
        {
            var section = $"{p.Kind.ToString().ToLowerInvariant()} '{p.Name}'";
            string? backend = null;
            foreach (var rule in p.UseBackends)
            {
                if (rule.Condition is not null)
                {
                    Error(rule.Location, "use_backend", $"{section}: 'use_backend {rule.Backend} {rule.Condition}': the proxy runtime routes a frontend to one backend; conditions are not implemented");
                }
                else
                {
                    backend ??= rule.Backend;
                }
            }

            backend ??= p.DefaultBackend ?? (p.Kind == HaproxySectionKind.Listen && p.Servers.Count > 0 ? p.Name : null);
            if (backend is null)
            {
                Error(p.Location, "default_backend", $"{section}: no backend to send connections to (the runtime needs 'default_backend' or an unconditional 'use_backend')");
                continue;
            }

            var index = 0;
            foreach (var bind in p.Binds)
            {
                if (bind.Interface is not null)
                {
                    Error(bind.Location, "bind", $"{section}: 'bind ... interface {bind.Interface}' is not implemented by the proxy runtime");
                }

                foreach (var ep in bind.Endpoints)
                {
                    IPAddress address;
                    if (ep.Address is "" or "*")
                    {
                        address = IPAddress.Any;
                    }
                    else if (!IPAddress.TryParse(ep.Address, out address!))
                    {
                        Error(bind.Location, "bind", $"{section}: bind address '{ep.Address}' must be an IP address for the proxy runtime");
                        continue;
                    }

                    var name = index++ == 0 ? p.Name : $"{p.Name}#{index}";
                    frontends.Add(new FrontendOptions
                    {
                        Name = name,
                        Id = ids[p],
                        Bind = new IPEndPoint(address, ep.Port),
                        Backlog = bind.Backlog ?? 1024,
                        MaxConnections = bind.MaxConn ?? p.MaxConn ?? 0,
                        Backend = backend,
                        ClientTimeout = Infinite0(p.Timeouts.Client),
                        ClientFinTimeout = Infinite0(p.Timeouts.ClientFin),
                        DontLogNull = p.DontLogNull,
                        AcceptProxy = bind.AcceptProxy,
                        RateLimitSessions = p.RateLimitSessions,
                        Splice = Splice(p, config.Global),
                    });
                }
            }

            if (config.Backends.FirstOrDefault(b => b.Name == backend && !b.Disabled) is { } target && target != p && !config.Global.NoSplice)
            {
                WarnSpliceAutoKept(p, section, target, $"backend '{target.Name}'", Warn);
                WarnSpliceAutoKept(target, $"backend '{target.Name}'", p, section, Warn);
            }

            if (index > 1)
            {
                Warn(p.Location, "bind", $"{section} listens on {index} addresses: frontends '{p.Name}', '{p.Name}#2', ... share its settings");
            }

            if (index > 1 && p.RateLimitSessions > 0)
            {
                Warn(Line(p, "rate-limit"), "rate-limit", $"{section}: 'rate-limit sessions {p.RateLimitSessions}' applies to each of its {index} addresses, not to them together as in HAProxy");
            }
        }

        var options = new ProxyOptions
        {
            MaxConnections = config.Global.MaxConn ?? 0,
            MaxPipes = config.Global.MaxPipes ?? 0,
            Frontends = frontends,
            Backends = backends,
        };
        if (config.Global.PipeSize is { } pipeSize)
        {
            options = options with { PipeSize = pipeSize };
        }

        foreach (var problem in ProxyOptionsValidator.Validate(options))
        {
            var at = config.Proxies.FirstOrDefault(x => problem.Contains($"[{x.Name}]", StringComparison.Ordinal))?.Location
                     ?? config.Global.Location;
            Error(at, "proxy options", $"the mapped proxy options are invalid: {problem}");
        }

        return new HaproxyMapping(options, diagnostics, probes);
    }

    /// <summary>
    /// <c>option splice-auto|splice-request|splice-response</c> as <see cref="SpliceModes"/>; global <c>nosplice</c>
    /// turns every mode off. The runtime combines a frontend's modes with its backend's, as HAProxy does.
    /// </summary>
    private static SpliceModes Splice(HaproxyProxy p, HaproxyGlobal global) =>
        global.NoSplice ? SpliceModes.None
        : (p.SpliceAuto ? SpliceModes.Auto : SpliceModes.None)
          | (p.SpliceRequest ? SpliceModes.Request : SpliceModes.None)
          | (p.SpliceResponse ? SpliceModes.Response : SpliceModes.None);

    /// <summary>
    /// A side that clears splice-auto while the other side keeps Ha.Net's default (on, with no line of its own)
    /// still splices: either side enables a mode. HAProxy's default is off, so there the clear was enough.
    /// </summary>
    private static void WarnSpliceAutoKept(HaproxyProxy cleared, string clearedName, HaproxyProxy other, string otherName, Action<HaproxySourceLine, string, string> warn)
    {
        if (!cleared.SpliceAuto && other.SpliceAuto && !other.DirectiveLines.ContainsKey("option splice-auto"))
        {
            warn(Line(cleared, "option splice-auto"), "option splice-auto",
                $"{clearedName}: 'no option splice-auto' does not stop splice-auto between {clearedName} and {otherName}: {otherName} keeps Ha.Net's default " +
                "(splice a direction once it streams) and either side enables a mode; write 'no option splice-auto' there or in defaults too, or 'nosplice' in global");
        }
    }

    /// <summary>HAProxy reads a zero timeout as "no timeout".</summary>
    private static TimeSpan? Infinite0(TimeSpan? t) => t == TimeSpan.Zero ? null : t;

    private static HaproxySourceLine Line(HaproxyBlock block, string key) => block.DirectiveLines.GetValueOrDefault(key, block.Location);

    private static ServerOptions? MapServer(HaproxyProxy p, HaproxyServer s, string section, Action<HaproxySourceLine, string, string> error, Action<HaproxySourceLine, string, string> warn)
    {
        if (!IPAddress.TryParse(s.Address, out var ip))
        {
            error(s.Location, "server", $"{section}: server '{s.Name}' address '{s.Address}' must be an IP address for the proxy runtime (host names are not resolved)");
            return null;
        }

        if (s.Port is not { } port)
        {
            error(s.Location, "server", $"{section}: server '{s.Name}' has no port; forwarding to the client's destination port is not implemented");
            return null;
        }

        if (s.CheckAddress is not null)
        {
            error(s.Location, "server", $"{section}: server '{s.Name}': checking another address ('addr {s.CheckAddress}') is not implemented");
        }

        if (s.ShutdownBackupSessionsOnMarkedUp)
        {
            warn(s.Location, "server", $"{section}: server '{s.Name}': 'on-marked-up shutdown-backup-sessions' is not implemented; ignored");
        }

        ServerCheckOptions? check = null;
        if (s.Check)
        {
            // HAProxy: the check connect time is bounded by min(timeout connect, inter), then 'timeout check' reads.
            var connect = Infinite0(p.Timeouts.Connect) is { } c && c < s.Inter ? c : s.Inter;
            check = new ServerCheckOptions
            {
                Interval = s.Inter,
                FastInterval = s.FastInter == s.Inter ? null : s.FastInter,
                DownInterval = s.DownInter == s.Inter ? null : s.DownInter,
                Timeout = p.Timeouts.Check is { } read ? connect + read : null,
                Rise = s.Rise,
                Fall = s.Fall,
                Port = s.CheckPort,
                ObserveLayer4 = s.ObserveLayer4,
                ErrorLimit = s.ErrorLimit,
                OnError = s.OnError,
            };
        }
        else if (s.ObserveLayer4)
        {
            warn(s.Location, "server", $"{section}: server '{s.Name}': 'observe layer4' needs 'check' (the observed errors act on the health checks); ignored");
        }

        return new ServerOptions
        {
            Name = s.Name,
            Address = new IPEndPoint(ip, port),
            Weight = s.Weight,
            MaxConnections = s.MaxConn,
            MaxQueue = s.MaxQueue,
            SlowStart = s.SlowStart,
            Backup = s.Backup,
            InitialState = s.Disabled ? ServerAdminState.Maintenance : ServerAdminState.Ready,
            SendProxy = s.SendProxy switch
            {
                HaproxySendProxy.V1 => RuntimeProxyVersion.V1,
                HaproxySendProxy.V2 => RuntimeProxyVersion.V2,
                _ => RuntimeProxyVersion.None,
            },
            Check = check,
            ShutdownSessionsOnMarkedDown = s.ShutdownSessionsOnMarkedDown,
        };
    }

    private static Func<TimeProvider?, IHealthProbe>? MakeProbe(HaproxyProxy p, HaproxyServer s, ServerOptions server, string section, Action<HaproxySourceLine, string, string> error)
    {
        var endpoint = new IPEndPoint(server.Address.Address, s.CheckPort ?? server.Address.Port);
        var connectTimeout = Infinite0(p.Timeouts.Connect) is { } c && c < s.Inter ? c : s.Inter;

        // HAProxy: checks carry the server's PROXY header unless 'port'/'addr' redirect them; 'check-send-proxy' forces it.
        var sendProxy = s.SendProxy switch
        {
            HaproxySendProxy.V1 when s.CheckSendProxy || s.CheckPort is null => ProbeProxyVersion.V1,
            HaproxySendProxy.V2 when s.CheckSendProxy || s.CheckPort is null => ProbeProxyVersion.V2,
            HaproxySendProxy.None when s.CheckSendProxy => ProbeProxyVersion.V1,
            _ => ProbeProxyVersion.None,
        };

        if (p.TcpCheck)
        {
            var steps = new List<TcpCheckStep>();
            int port = endpoint.Port;
            foreach (var rule in p.TcpCheckRules)
            {
                switch (rule.Kind)
                {
                    case HaproxyTcpCheckKind.Connect:
                        port = rule.Pattern.Length > 0 ? int.Parse(rule.Pattern, System.Globalization.CultureInfo.InvariantCulture) : port;
                        break;
                    case HaproxyTcpCheckKind.Send:
                        steps.Add(TcpCheckStep.Send(rule.Pattern));
                        break;
                    case HaproxyTcpCheckKind.SendBinary:
                        steps.Add(TcpCheckStep.SendBinary(Convert.FromHexString(rule.Pattern)));
                        break;
                    case HaproxyTcpCheckKind.ExpectString:
                        steps.Add(TcpCheckStep.ExpectString(rule.Pattern));
                        break;
                    case HaproxyTcpCheckKind.ExpectRegex:
                        steps.Add(TcpCheckStep.ExpectRegex(rule.Pattern));
                        break;
                    case HaproxyTcpCheckKind.ExpectBinary:
                        steps.Add(TcpCheckStep.ExpectBinary(Convert.FromHexString(rule.Pattern)));
                        break;
                }
            }

            var options = new TcpCheckProbeOptions
            {
                EndPoint = new IPEndPoint(endpoint.Address, port),
                ConnectTimeout = connectTimeout,
                SendProxy = sendProxy,
                Steps = steps,
            };
            return time => HealthProbes.TcpCheck(options, time);
        }

        if (p.SmtpCheck is { } smtp)
        {
            var options = new SmtpProbeOptions
            {
                EndPoint = endpoint,
                ConnectTimeout = connectTimeout,
                SendProxy = sendProxy,
                Greeting = smtp.Verb == "EHLO" ? SmtpGreeting.Ehlo : SmtpGreeting.Helo,
                Domain = smtp.Domain,
            };
            return time => HealthProbes.Smtp(options, time);
        }

        if (p.HttpCheck is { } http)
        {
            var lines = http.Version.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
            var headers = new List<KeyValuePair<string, string>>();
            string? host = null;
            foreach (var header in lines.Skip(1))
            {
                var colon = header.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0)
                {
                    continue;
                }

                var name = header[..colon].Trim();
                var value = header[(colon + 1)..].Trim();
                if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
                {
                    host = value;
                }
                else
                {
                    headers.Add(new KeyValuePair<string, string>(name, value));
                }
            }

            IReadOnlyList<HttpStatusRange> expected = [new HttpStatusRange(200, 399)];
            string? body = null;
            foreach (var expect in p.HttpCheckExpects)
            {
                if (expect.Negated || expect.Kind is HaproxyHttpExpectKind.RStatus or HaproxyHttpExpectKind.BodyRegex)
                {
                    error(expect.Location, "http-check expect", $"{section}: 'http-check expect {(expect.Negated ? "! " : "")}{expect.Kind}' is not implemented by the HTTP probe (status lists and body substrings are)");
                    return null;
                }

                if (expect.Kind == HaproxyHttpExpectKind.Status)
                {
                    try
                    {
                        expected = HttpStatusRange.ParseList(expect.Pattern);
                    }
                    catch (FormatException ex)
                    {
                        error(expect.Location, "http-check expect", $"{section}: {ex.Message}");
                        return null;
                    }
                }
                else
                {
                    body = expect.Pattern;
                }
            }

            var options = new HttpProbeOptions
            {
                EndPoint = endpoint,
                ConnectTimeout = connectTimeout,
                SendProxy = sendProxy,
                Method = http.Method,
                Path = http.Uri,
                Host = host,
                Headers = headers,
                ExpectedStatus = expected,
                BodyContains = body,
                ReadTimeout = p.Timeouts.Check,
            };
            return time => HealthProbes.Http(options, time);
        }

        var tcp = new TcpProbeOptions { EndPoint = endpoint, ConnectTimeout = connectTimeout, SendProxy = sendProxy };
        return time => HealthProbes.Tcp(tcp, time);
    }
}
