using Ha.Net.Proxy.Configuration;

namespace Ha.Net.Proxy.Haproxy;

internal sealed partial class HaproxyParser
{
    /// <summary>A layer-7 feature met in a section: refused in mode http, ignored with a warning in tcp terms.</summary>
    private sealed record L7Feature(string Name, HaproxySourceLine Location, bool Inherited, bool Fatal);

    /// <summary>The mutable state of a defaults or proxy section; proxies start as a copy of the last defaults.</summary>
    private sealed class ProxyDraft
    {
        public HaproxyProxy Proxy { get; private set; } = new();
        public bool IsDefaults { get; private set; }
        public HaproxySourceLine Location { get => Proxy.Location; set => Proxy.Location = value; }
        public string Name { get => Proxy.Name; set => Proxy.Name = value; }
        public List<HaproxyBind> Binds { get; } = [];
        public List<HaproxyServer> Servers { get; } = [];
        public List<HaproxyAcl> Acls { get; } = [];
        public List<HaproxyUseBackend> UseBackends { get; } = [];
        public List<HaproxyHttpCheckExpect> Expects { get; private set; } = [];
        public List<HaproxyTcpCheckRule> TcpChecks { get; private set; } = [];

        /// <summary>Whether <see cref="TcpChecks"/> came from defaults (a section's own first rule replaces them).</summary>
        public bool TcpChecksInherited { get; set; }
        public List<HaproxyLogTarget> Logs { get; private set; } = [];
        public List<(List<HaproxyToken> Options, HaproxySourceLine Location)> DefaultServer { get; private set; } = [];
        public List<L7Feature> L7 { get; private set; } = [];

        /// <summary><c>http-request use-service prometheus-exporter</c> rules (never inherited: a section's own).</summary>
        public List<HaproxyPrometheusRule> Prometheus { get; } = [];

        /// <summary>A use-service prometheus-exporter line was refused (its error is the section's only one).</summary>
        public bool PrometheusRefused { get; set; }
        public HaproxyStats? Stats { get; set; }
        public List<KeyValuePair<string, string>> StatsUsers { get; private set; } = [];

        /// <summary>Where each of <see cref="StatsUsers"/> was declared (a second <c>stats auth</c> for a user is ignored).</summary>
        public Dictionary<string, HaproxySourceLine> StatsUserLines { get; private set; } = new(StringComparer.Ordinal);

        /// <summary>Whether <see cref="StatsUsers"/> came from defaults (a section's own first <c>stats auth</c> replaces them).</summary>
        public bool StatsUsersInherited { get; set; }
        public HaproxySourceLine? ModeLine { get; set; }
        public bool ModeInherited { get; set; }

        public static ProxyDraft NewDefaults() => new() { IsDefaults = true };

        public ProxyDraft CloneFor(HaproxySectionKind kind, HaproxySourceLine location)
        {
            var d = Proxy;
            var p = new HaproxyProxy
            {
                Kind = kind,
                Location = location,
                Mode = d.Mode,
                Balance = d.Balance,
                HashType = d.HashType,
                Timeouts = d.Timeouts,
                Retries = d.Retries,
                MaxConn = d.MaxConn,
                RateLimitSessions = kind == HaproxySectionKind.Backend ? 0 : d.RateLimitSessions,
                LogGlobal = d.LogGlobal,
                TcpLog = d.TcpLog,
                DontLogNull = d.DontLogNull,
                Redispatch = d.Redispatch,
                ClientTcpKeepAlive = d.ClientTcpKeepAlive,
                ServerTcpKeepAlive = d.ServerTcpKeepAlive,
                SpliceAuto = d.SpliceAuto,
                SpliceRequest = d.SpliceRequest,
                SpliceResponse = d.SpliceResponse,
                SmtpCheck = d.SmtpCheck,
                HttpCheck = d.HttpCheck,
                TcpCheck = d.TcpCheck,
                DefaultBackend = kind == HaproxySectionKind.Backend ? null : d.DefaultBackend,
                Description = null,
            };
            p.CopyLinesFrom(d);
            if (kind == HaproxySectionKind.Backend)
            {
                // default_backend does not apply to backends.
                p.RemoveLine("default_backend");
            }

            var clone = new ProxyDraft
            {
                Proxy = p,
                Expects = [.. Expects],
                TcpChecks = [.. TcpChecks],
                TcpChecksInherited = TcpChecks.Count > 0,
                Logs = [.. Logs],
                DefaultServer = [.. DefaultServer],
                L7 = [.. L7.Select(f => f with { Inherited = true })],
                StatsUsers = [.. StatsUsers],
                StatsUserLines = new(StatsUserLines, StringComparer.Ordinal),
                StatsUsersInherited = StatsUsers.Count > 0,
                ModeLine = ModeLine,
                ModeInherited = ModeLine is not null,
            };
            if (Stats is not null)
            {
                clone.Stats = new HaproxyStats
                {
                    Location = Stats.Location,
                    Enabled = Stats.Enabled,
                    Uri = Stats.Uri,
                    Realm = Stats.Realm,
                    Admin = Stats.Admin,
                    HideVersion = Stats.HideVersion,
                    Refresh = Stats.Refresh,
                    ShowLegends = Stats.ShowLegends,
                    ShowNode = Stats.ShowNode,
                    ShowDescription = Stats.ShowDescription,
                };
                clone.Stats.CopyLinesFrom(Stats);
            }

            return clone;
        }

        public HaproxyStats EnsureStats(HaproxySourceLine at) => Stats ??= new HaproxyStats { Location = at };
    }
}
