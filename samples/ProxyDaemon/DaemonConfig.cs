using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Haproxy;
using Ha.Net.Samples.Shared.Syslog;

namespace Ha.Net.Samples.ProxyDaemon;

/// <summary>A stats page to serve: where it listens, its settings, and its TLS certificate if any.</summary>
internal sealed record StatsPageConfig(string Name, IReadOnlyList<IPEndPoint> Binds, HaproxyStats Stats,
    X509Certificate2? Certificate, bool AdminAllowedAnywhere, bool AdminLocalhostOnly, IReadOnlyList<HaproxyPrometheusRule>? Prometheus = null)
{
    /// <summary>The <c>http-request use-service prometheus-exporter</c> rules served on this section's binds.</summary>
    public IReadOnlyList<HaproxyPrometheusRule> PrometheusRules => Prometheus ?? [];
}

/// <summary>The runtime socket: a UNIX path or a TCP endpoint.</summary>
internal sealed record RuntimeSocketConfig(string? UnixPath, IPEndPoint? TcpEndPoint, UnixFileMode? Mode, bool Admin, TimeSpan Timeout, int? Uid = null, int? Gid = null);

/// <summary>
/// The syslog targets of a configuration: the global ones (process messages: start, stop, server state, reload) and
/// each frontend's (its connection lines, HAProxy's <c>sess-&gt;fe-&gt;loggers</c>: its own <c>log</c> lines plus the
/// global ones with <c>log global</c>).
/// </summary>
internal sealed record LogRouting(IReadOnlyList<SyslogTarget> Global, IReadOnlyDictionary<string, IReadOnlyList<SyslogTarget>> Frontends)
{
    public static LogRouting None { get; } = new([], new Dictionary<string, IReadOnlyList<SyslogTarget>>());

    /// <summary>Whether any line goes to syslog.</summary>
    public bool Any => Global.Count > 0 || Frontends.Values.Any(f => f.Count > 0);

    /// <summary>Where process messages go: the global targets, or when there are none every frontend's.</summary>
    public IReadOnlyList<SyslogTarget> Process { get; } = Global.Count > 0
        ? Global
        : [.. Frontends.Values.SelectMany(f => f).DistinctBy(t => (t.DestinationKey, t.Facility, t.Format))];
}

/// <summary>Everything the daemon runs, read from one or more haproxy.cfg files.</summary>
internal sealed class DaemonConfig
{
    public required HaproxyConfig Config { get; init; }

    public required HaproxyMapping Mapping { get; init; }

    public string? PidFile { get; init; }

    public required ProxyOptions Options { get; init; }

    public required IReadOnlyList<StatsPageConfig> StatsPages { get; init; }

    public required IReadOnlyList<RuntimeSocketConfig> RuntimeSockets { get; init; }

    /// <summary>Where log lines go besides stdout: the global <c>log</c> targets and each frontend's (its own plus <c>log global</c>).</summary>
    public LogRouting Logs { get; init; } = LogRouting.None;

    /// <summary>
    /// Reads the files as HAProxy does with several <c>-f</c>: one configuration, the files read in order.
    /// Returns the configuration, or null with the errors (each with file:line); warnings in both cases.
    /// </summary>
    public static DaemonConfig? Load(IReadOnlyList<string> files, List<string> errors, List<string> warnings)
    {
        // The reader parses one text; several files are concatenated and every finding is mapped back
        // to its own file and line.
        var text = new StringBuilder();
        var starts = new List<(int FirstLine, string File)>();
        var line = 1;
        foreach (var file in files)
        {
            if (HaproxyConfigReader.ReadFile(file, out var readError) is not { } content)
            {
                errors.Add($"{file}:0: error: cannot read configuration file: {readError}");
                continue;
            }

            starts.Add((line, file));
            text.Append(content);
            if (content.Length > 0 && content[^1] != '\n')
            {
                text.Append('\n');
            }

            line += content.Count(c => c == '\n') + (content.Length > 0 && content[^1] != '\n' ? 1 : 0);
        }

        if (errors.Count > 0)
        {
            return null;
        }

        const string combined = "<hanet-proxyd:combined>";
        HaproxyDiagnostic Locate(HaproxyDiagnostic d)
        {
            if (files.Count == 1 || d.Location.File != combined)
            {
                return d;
            }

            var at = starts.FindLast(s => s.FirstLine <= d.Location.Line);
            return at.File is null ? d : d with { Location = new HaproxySourceLine(at.File, d.Location.Line - at.FirstLine + 1) };
        }

        var result = HaproxyConfigReader.Parse(text.ToString(), files.Count == 1 ? files[0] : combined);
        foreach (var d in result.Diagnostics)
        {
            (d.Severity == HaproxyDiagnosticSeverity.Error ? errors : warnings).Add(Locate(d).ToString());
        }

        if (!result.IsValid || result.Config is null)
        {
            return null;
        }

        var mapping = HaproxyConfigMapper.ToProxyOptions(result.Config);
        foreach (var d in mapping.Diagnostics)
        {
            (d.Severity == HaproxyDiagnosticSeverity.Error ? errors : warnings).Add(Locate(d).ToString());
        }

        if (!mapping.IsValid || mapping.Options is null)
        {
            return null;
        }

        var global = result.Config.Global;
        foreach (var (key, advice) in new[]
                 {
                     ("user", "run hanet-proxyd as that user instead (systemd User= or DynamicUser=)"),
                     ("group", "run hanet-proxyd with that group instead (systemd Group=)"),
                     ("chroot", "use systemd's RootDirectory= / ProtectSystem= instead"),
                     ("daemon", "hanet-proxyd stays in the foreground (systemd Type=exec)"),
                 })
        {
            if (global.DirectiveLines.TryGetValue(key, out var at))
            {
                var where = Locate(new HaproxyDiagnostic(HaproxyDiagnosticSeverity.Warning, at, key, "")).Location;
                warnings.Add($"{where}: warning: global '{key}' is ignored: {advice}");
            }
        }

        var pages = new List<StatsPageConfig>();
        foreach (var page in result.Config.StatsPages)
        {
            // A frontend that only serves the Prometheus exporter has no (enabled) stats page of its own.
            var stats = page.Stats is { Enabled: true } s ? s : new HaproxyStats();
            var where = Locate(new HaproxyDiagnostic(HaproxyDiagnosticSeverity.Error, page.Location, null, "")).Location;
            if (!stats.Enabled && page.PrometheusExporter.Count == 0)
            {
                continue;
            }

            var binds = new List<IPEndPoint>();
            X509Certificate2? certificate = null;
            foreach (var bind in page.Binds)
            {
                var bindAt = Locate(new HaproxyDiagnostic(HaproxyDiagnosticSeverity.Error, bind.Location, null, "")).Location;
                foreach (var ep in bind.Endpoints)
                {
                    if (ep.IsAny && ep.Address.Contains(':', StringComparison.Ordinal))
                    {
                        binds.Add(new IPEndPoint(IPAddress.IPv6Any, ep.Port));
                    }
                    else if (ep.IsAny)
                    {
                        binds.Add(new IPEndPoint(IPAddress.Any, ep.Port));
                    }
                    else if (IPAddress.TryParse(ep.Address, out var address))
                    {
                        binds.Add(new IPEndPoint(address, ep.Port));
                    }
                    else
                    {
                        errors.Add($"{bindAt}: error: stats page '{page.Name}': bind address '{ep.Address}' is not an IP address (host names are not resolved)");
                    }
                }

                if (bind.AcceptProxy)
                {
                    errors.Add($"{bindAt}: error: stats page '{page.Name}': 'accept-proxy' is not implemented on the stats page (it is on proxying frontends)");
                }

                if (bind.Ssl)
                {
                    var crts = bind.Certificates.Select(c => Path.IsPathRooted(c) || global.CrtBase is null ? c : Path.Combine(global.CrtBase, c)).ToList();
                    certificate ??= LoadCertificate(crts, bindAt, page.Name, errors);
                }
            }

            if (binds.Count == 0)
            {
                warnings.Add($"{where}: warning: stats page '{page.Name}' has no bind address; it is not served");
                continue;
            }

            var (anywhere, localOnly) = AdminCondition(stats.Admin);
            pages.Add(new StatsPageConfig(page.Name, binds, stats, certificate, anywhere, localOnly, page.PrometheusExporter));
        }

        // log: each target read as HAProxy reads it; an unusable one is an error at its line.
        List<SyslogTarget> Targets(IEnumerable<HaproxyLogTarget> logs)
        {
            var list = new List<SyslogTarget>();
            foreach (var log in logs)
            {
                var args = new List<string> { log.Address };
                if (log.Length is { } len)
                {
                    args.AddRange(["len", len.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                }

                if (log.Format is { } format)
                {
                    args.AddRange(["format", format]);
                }

                args.Add(log.Facility);
                if (log.Level is { } level)
                {
                    args.Add(level);
                }

                if (log.MinLevel is { } min)
                {
                    args.Add(min);
                }

                if (SyslogTarget.Parse(args, out var error) is { } target)
                {
                    list.Add(target);
                }
                else
                {
                    var at = Locate(new HaproxyDiagnostic(HaproxyDiagnosticSeverity.Error, log.Location, "log", "")).Location;
                    errors.Add($"{at}: error: {error}");
                }
            }

            return list;
        }

        var globalLogs = Targets(global.Logs);
        var frontendLogs = new Dictionary<string, IReadOnlyList<SyslogTarget>>(StringComparer.Ordinal);
        foreach (var frontend in result.Config.Frontends)
        {
            var own = Targets(frontend.Logs);
            frontendLogs[frontend.Name] = frontend.LogGlobal ? [.. globalLogs, .. own] : own;
        }

        var sockets = new List<RuntimeSocketConfig>();
        foreach (var socket in result.Config.Global.StatsSockets)
        {
            var at = Locate(new HaproxyDiagnostic(HaproxyDiagnosticSeverity.Error, socket.Location, null, "")).Location;
            UnixFileMode? mode = null;
            if (socket.Mode is { } m)
            {
                try
                {
                    mode = (UnixFileMode)Convert.ToInt32(m, 8);
                }
                catch (FormatException)
                {
                    errors.Add($"{at}: error: stats socket: mode '{m}' is not an octal permission mode");
                }
            }

            // user/uid and group/gid: the UNIX socket's owner (HAProxy's bind options; a name must exist).
            int? uid = socket.User is { } u ? AccountId(u, "/etc/passwd", "user", at, errors) : null;
            int? gid = socket.Group is { } g ? AccountId(g, "/etc/group", "group", at, errors) : null;
            var timeout = result.Config.Global.StatsTimeout ?? TimeSpan.FromSeconds(10);
            var admin = socket.Level == "admin"; // HAProxy: "operator" is the default level (no server changes)
            if (socket.Path.StartsWith("ipv4@", StringComparison.Ordinal) || socket.Path.StartsWith("ipv6@", StringComparison.Ordinal))
            {
                if (IPEndPoint.TryParse(socket.Path[5..], out var ep) && ep.Port != 0)
                {
                    sockets.Add(new RuntimeSocketConfig(null, ep, mode, admin, timeout));
                }
                else
                {
                    errors.Add($"{at}: error: stats socket: '{socket.Path}' is not an address:port");
                }
            }
            else
            {
                var path = socket.Path.StartsWith("unix@", StringComparison.Ordinal) ? socket.Path[5..] : socket.Path;
                sockets.Add(new RuntimeSocketConfig(path, null, mode, admin, timeout, uid, gid));
            }
        }

        if (errors.Count > 0)
        {
            return null;
        }

        return new DaemonConfig
        {
            Config = result.Config,
            PidFile = global.PidFile,
            Mapping = mapping,
            Options = mapping.Options,
            StatsPages = pages,
            RuntimeSockets = sockets,
            Logs = new LogRouting(globalLogs, frontendLogs),
        };
    }

    private static (bool Anywhere, bool LocalOnly) AdminCondition(HaproxyCondition? admin)
    {
        if (admin is null)
        {
            return (false, false);
        }

        // The reader accepts TRUE, FALSE, LOCALHOST, '!' and '||' here.
        bool Eval(bool local)
        {
            var value = false;
            var term = true;
            var negate = false;
            foreach (var t in admin.Terms)
            {
                if (t is "||" or "or")
                {
                    value |= term;
                    term = true;
                    continue;
                }

                if (t == "!")
                {
                    negate = true;
                    continue;
                }

                var name = t.TrimStart('!');
                var neg = negate ^ (t.Length != name.Length);
                negate = false;
                var v = name.ToUpperInvariant() switch
                {
                    "TRUE" => true,
                    "LOCALHOST" => local,
                    _ => false,
                };
                term &= neg ? !v : v;
            }

            value |= term;
            return admin.Negated ? !value : value;
        }

        var remote = Eval(local: false);
        var localhost = Eval(local: true);
        return (remote && localhost, localhost && !remote);
    }

    private static X509Certificate2? LoadCertificate(IReadOnlyList<string> paths, HaproxySourceLine at, string page, List<string> errors)
    {
        // HAProxy's 'crt' takes a PEM file (certificate + key) or a directory of them; we take the first
        // file of a directory in name order that holds both.
        var candidates = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                candidates.AddRange(Directory.GetFiles(path).Where(f => !f.EndsWith(".key", StringComparison.Ordinal) &&
                    !f.EndsWith(".ocsp", StringComparison.Ordinal) && !f.EndsWith(".issuer", StringComparison.Ordinal) &&
                    !f.EndsWith(".sctl", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
            }
            else
            {
                candidates.Add(path);
            }
        }

        var reasons = new List<string>();
        foreach (var file in candidates)
        {
            try
            {
                var keyFile = File.Exists(file + ".key") ? file + ".key" : file;
                using var cert = X509Certificate2.CreateFromPemFile(file, keyFile);
                if (!cert.HasPrivateKey)
                {
                    reasons.Add($"{file}: no private key");
                    continue;
                }

                // SslStream on Linux needs an exportable key in a PKCS#12-backed certificate.
                return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                reasons.Add($"{file}: {ex.Message}");
            }
        }

        errors.Add($"{at}: error: stats page '{page}': 'bind ... ssl crt {string.Join(' ', paths)}': no PEM file with a certificate and its private key" +
            (reasons.Count > 0 ? $" ({string.Join("; ", reasons)})" : " (nothing found)"));
        return null;
    }

    /// <summary>A user or group id from a number or a name (its line in <paramref name="database"/>); null and an
    /// error in HAProxy's words ("unknown user name") when the name does not exist.</summary>
    private static int? AccountId(string value, string database, string kind, HaproxySourceLine at, List<string> errors)
    {
        if (int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id))
        {
            return id;
        }

        if (File.Exists(database))
        {
            foreach (var line in File.ReadLines(database))
            {
                var fields = line.Split(':');
                if (fields.Length > 2 && fields[0] == value && int.TryParse(fields[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out id))
                {
                    return id;
                }
            }
        }

        errors.Add($"{at}: error: stats socket: '{kind}' : unknown {kind} name '{value}'");
        return null;
    }
}
