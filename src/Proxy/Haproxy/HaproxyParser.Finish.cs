namespace Ha.Net.Proxy.Haproxy;

internal sealed partial class HaproxyParser
{
    private void Finish()
    {
        var g = _config.Global;
        g.Logs = _globalLogs;
        g.StatsSockets = _statsSockets;
        g.SslDefaultBindOptions = _sslBindOptions;

        foreach (var d in _proxies)
        {
            var p = d.Proxy;
            p.Binds = d.Binds;
            p.Servers = d.Servers;
            p.Acls = d.Acls;
            p.UseBackends = d.UseBackends;
            p.HttpCheckExpects = d.Expects;
            p.TcpCheckRules = d.TcpChecks;
            p.Logs = d.Logs;
            if (d.Stats is { } stats)
            {
                stats.Users = d.StatsUsers;
                p.Stats = stats;
            }

            var id = 1;
            foreach (var server in d.Servers)
            {
                server.Id ??= id;
                id = server.Id.Value + 1;
            }

            if (d.Prometheus.Count > 0 && p.Mode != HaproxyMode.Http)
            {
                // HAProxy: "'http-request' rules ignored for proxy 'x' as they require HTTP mode".
                Warn(d.Prometheus[0].Location, "http-request", $"{p.Kind.ToString().ToLowerInvariant()} '{p.Name}': 'http-request use-service prometheus-exporter' requires mode http and is ignored in tcp mode");
                d.Prometheus.Clear();
            }

            p.PrometheusExporter = [.. d.Prometheus];
            p.IsStatsPage = (p.Stats is { Enabled: true } || d.Prometheus.Count > 0 || (d.PrometheusRefused && p.Mode == HaproxyMode.Http)) && d.Servers.Count == 0 && p.DefaultBackend is null && d.UseBackends.Count == 0
                            && p.Kind != HaproxySectionKind.Backend;
        }

        CheckNames();
        foreach (var d in _proxies)
        {
            CheckProxy(d);
        }

        _config.Proxies = _proxies.Select(d => d.Proxy).ToArray();
        _config.Files = _files;
    }

    private void CheckNames()
    {
        var frontends = new Dictionary<string, HaproxyProxy>(StringComparer.Ordinal);
        var backends = new Dictionary<string, HaproxyProxy>(StringComparer.Ordinal);
        foreach (var p in _proxies.Select(d => d.Proxy))
        {
            if (p.Kind is HaproxySectionKind.Frontend or HaproxySectionKind.Listen)
            {
                if (!frontends.TryAdd(p.Name, p))
                {
                    Error(p.Location, p.Kind.ToString().ToLowerInvariant(), $"proxy '{p.Name}' has the same name as the {frontends[p.Name].Kind.ToString().ToLowerInvariant()} at {frontends[p.Name].Location}");
                }
            }

            if (p.Kind is HaproxySectionKind.Backend or HaproxySectionKind.Listen)
            {
                if (!backends.TryAdd(p.Name, p) && p.Kind != HaproxySectionKind.Listen)
                {
                    Error(p.Location, p.Kind.ToString().ToLowerInvariant(), $"proxy '{p.Name}' has the same name as the {backends[p.Name].Kind.ToString().ToLowerInvariant()} at {backends[p.Name].Location}");
                }
            }
        }
    }

    private void CheckProxy(ProxyDraft d)
    {
        var p = d.Proxy;
        var section = $"{p.Kind.ToString().ToLowerInvariant()} '{p.Name}'";
        var backendNames = _proxies.Where(x => x.Proxy.Kind is HaproxySectionKind.Backend or HaproxySectionKind.Listen).Select(x => x.Name).ToHashSet(StringComparer.Ordinal);

        if (p.DefaultBackend is { } db && !backendNames.Contains(db))
        {
            Error(p.DirectiveLines.GetValueOrDefault("default_backend", p.Location), "default_backend", $"{section}: default_backend '{db}' does not name a backend or listen section");
        }

        var aclNames = d.Acls.Select(a => a.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var rule in d.UseBackends)
        {
            if (!backendNames.Contains(rule.Backend))
            {
                Error(rule.Location, "use_backend", $"{section}: use_backend '{rule.Backend}' does not name a backend or listen section");
            }

            if (rule.Condition is { } cond)
            {
                foreach (var term in cond.Terms)
                {
                    var name = term.TrimStart('!');
                    if (name is "TRUE" or "FALSE" or "LOCALHOST" or "||" or "or")
                    {
                        continue;
                    }

                    if (name is "{" or "}" || term.StartsWith('{'))
                    {
                        Error(rule.Location, "use_backend", $"{section}: anonymous ACLs ('{{ ... }}') in use_backend conditions are not supported; declare an 'acl'");
                        break;
                    }

                    if (!aclNames.Contains(name))
                    {
                        Error(rule.Location, "use_backend", $"{section}: use_backend condition uses unknown ACL '{name}'");
                    }
                }
            }
        }

        if (p.Disabled)
        {
            return;
        }

        var isFrontend = p.Kind is HaproxySectionKind.Frontend or HaproxySectionKind.Listen;
        if (isFrontend && d.Binds.Count == 0)
        {
            Error(p.Location, "bind", $"{section} has no 'bind' line: it would accept nothing");
        }

        if (p.IsStatsPage)
        {
            if (p.Mode == HaproxyMode.Tcp)
            {
                Warn(p.Location, "mode", $"{section} serves the statistics page but is 'mode tcp'; HAProxy serves stats only in mode http, Ha.Net serves it anyway");
            }
            else if (p.PrometheusExporter.Count > 0)
            {
                // A Prometheus frontend serves the exporter (and the stats page) only: any other layer-7 rule it
                // writes itself would be ignored, so it is refused at its line as on a proxying section.
                foreach (var f in d.L7.Where(f => !f.Inherited && f.Fatal))
                {
                    Error(f.Location, f.Name.Split(' ')[0], $"{section} serves the Prometheus exporter; '{f.Name}' needs layer-7 processing, which Ha.Net does not provide (only 'http-request use-service prometheus-exporter' and 'stats' lines are served here)");
                }
            }

            return;
        }

        if (p.Stats is { Enabled: true })
        {
            Error(p.Stats.Location, "stats", $"{section}: the statistics page on a section that also proxies traffic needs layer 7; put it in its own 'listen stats' section");
        }

        foreach (var bind in d.Binds.Where(b => b.Ssl && b.Certificates.Count > 0))
        {
            Error(bind.Location, "bind", $"{section}: TLS termination ('bind ... ssl crt') is only supported on the statistics page; Ha.Net forwards tcp unchanged");
        }

        if (isFrontend && p.DefaultBackend is null && d.UseBackends.Count == 0 && d.Servers.Count == 0)
        {
            Warn(p.Location, "default_backend", $"{section} has no default_backend or use_backend: connections will be closed");
        }

        if (p.Kind is HaproxySectionKind.Backend && d.Servers.Count == 0)
        {
            Warn(p.Location, "server", $"{section} has no servers: connections routed to it will be closed");
        }

        if (!p.TcpCheck && !d.TcpChecksInherited && d.TcpChecks.Count > 0)
        {
            Warn(d.TcpChecks[0].Location, "tcp-check", $"{section}: 'tcp-check' rules have no effect without 'option tcp-check'");
        }

        if (p.HttpCheck is null && d.Expects.Count > 0)
        {
            Warn(d.Expects[0].Location, "http-check expect", $"{section}: 'http-check expect' has no effect without 'option httpchk'");
        }

        // mode http: Ha.Net has no HTTP mode. Such a section used to run as tcp (no X-Forwarded-For, no httplog, no
        // layer-7 rules) with -c exiting 0; it is refused at its mode line (its own, or the defaults' it inherits),
        // and each layer-7 feature it asks for itself is named too. A section that only serves the statistics page
        // returned above and may stay mode http.
        if (p.Mode == HaproxyMode.Http)
        {
            var at = d.ModeLine ?? p.Location;
            var inherited = d.ModeInherited ? " (inherited from defaults)" : "";
            Error(at, "mode", $"{section}: 'mode http'{inherited} is not supported: Ha.Net has no HTTP mode and would forward this section's connections as tcp, without X-Forwarded-For, httplog or layer-7 rules; write 'mode tcp'{(d.ModeInherited ? " in the section or in its defaults" : "")} to forward them unchanged (only a 'listen' section that serves nothing but the statistics page may stay 'mode http')");
            var modeWhere = $" (mode http at {at}{(d.ModeInherited ? ", inherited from defaults" : "")})";
            foreach (var rule in p.PrometheusExporter)
            {
                Error(rule.Location, "http-request", $"{section}{modeWhere} proxies traffic too; 'http-request use-service prometheus-exporter' is served only by a frontend or listen without servers or backends (put it in its own section, e.g. 'frontend prometheus')");
            }

            foreach (var f in d.L7.Where(f => !f.Inherited && f.Fatal))
            {
                Error(f.Location, f.Name.Split(' ')[0], $"{section}{modeWhere} needs layer-7 processing for '{f.Name}', which Ha.Net does not provide (it proxies tcp only)");
            }
        }
        else
        {
            foreach (var f in d.L7)
            {
                if (f.Name.StartsWith("acl ", StringComparison.Ordinal) && !f.Inherited)
                {
                    Error(f.Location, "acl", $"{section}: '{f.Name}' cannot be evaluated in tcp mode");
                }
                else
                {
                    Warn(f.Location, f.Name.Split(' ')[0], $"{section}: '{f.Name}'{(f.Inherited ? " (inherited from defaults)" : "")} requires mode http and is ignored in tcp mode");
                }
            }
        }
    }
}
