using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Haproxy;
using Ha.Net.Testing.Files;
using Xunit.Abstractions;

namespace Ha.Net.Proxy.Tests.Configuration.Haproxy;

/// <summary>
/// #15 "never crash on input": mutants of every haproxy.cfg the seeds and the tests hold go through
/// the whole load path a reload takes (reader, mapper, options validation). Any exception, or an
/// input slower than the bound, fails the run and prints the input and the seed to replay it
/// (<c>HANET_FUZZ_SEED</c>).
/// </summary>
public sealed class HaproxyMutationFuzzTests(ITestOutputHelper output)
{
    /// <summary>Mutants per CI run through this reader (the keepalived reader runs as many).</summary>
    private const int Mutants = 60_000;

    internal static readonly string[] Keywords =
    [
        "global", "defaults", "frontend", "backend", "listen", "peers", "resolvers", "userlist", "mode", "tcp", "http",
        "health", "bind", "server", "default-server", "default_backend", "use_backend", "acl", "if", "unless", "balance",
        "roundrobin", "leastconn", "first", "source", "random", "random(2)", "static-rr", "hash-type", "consistent",
        "map-based", "option", "no", "tcplog", "httplog", "dontlognull", "redispatch", "smtpchk", "tcp-check", "httpchk",
        "splice-auto", "splice-request", "splice-response", "nosplice", "maxpipes", "tune.pipesize", "log", "global",
        "local2", "maxconn", "fullconn", "retries", "timeout", "connect", "client", "server", "queue", "tunnel",
        "client-fin", "server-fin", "check", "inter", "fastinter", "downinter", "rise", "fall", "weight", "backup",
        "disabled", "maxqueue", "slowstart", "send-proxy", "send-proxy-v2", "accept-proxy", "observe", "layer4",
        "on-error", "mark-down", "error-limit", "port", "addr", "stats", "enable", "uri", "realm", "auth", "admin",
        "refresh", "hide-version", "socket", "level", "user", "group", "uid", "gid", "expose-fd", "listeners",
        "ssl", "crt", "crt-base", "ca-base", "chroot", "daemon", "pidfile", "nbthread", "cpu-map", "description",
        "id", "LOCALHOST", "TRUE", "FALSE", "{", "}", "src", "dst", "127.0.0.1", "127.0.0.1:25", "*:25", ":::25",
        "[::1]:25", "ipv4@127.0.0.1:9", "/run/haproxy.sock", "mode", "660", "10s", "5000", "1m", "2h", "3d",
    ];

    [Fact]
    public void Mutants_OfEveryKnownConfig_NeverThrow_AndLoadInBoundedTime()
    {
        var corpus = Directory.GetFiles(HaproxyTestData.Directory, "*.cfg").Select(File.ReadAllText)
            .Append(HaproxyTestData.MinimalConfig)
            .Append(RichConfig)
            .ToList();
        var mutator = new ConfigMutator(corpus, Keywords, ConfigMutator.SeedFromEnvironment());
        var accepted = 0;

        var report = mutator.Run(Mutants, TimeSpan.FromSeconds(2), input =>
        {
            var result = HaproxyConfigReader.Parse(input, "fuzz.cfg");
            Assert.All(result.Diagnostics, d => Assert.True(d.Location.File == "fuzz.cfg" && d.Location.Line >= 0 && d.Message.Length > 0, d.ToString()));
            Assert.Equal(result.Config is null, result.Errors.Count > 0);
            if (result.Config is null)
            {
                return;
            }

            var mapping = HaproxyConfigMapper.ToProxyOptions(result.Config);
            Assert.Equal(mapping.Options is null, !mapping.IsValid);
            if (mapping.Options is { } options)
            {
                _ = ProxyOptionsValidator.Validate(options);
                accepted++;
            }
        });

        output.WriteLine(report.Summary("haproxy.cfg reader+mapper") + $", {accepted} mutants accepted");
        Assert.True(report.Failures == 0, report.ToString());
        Assert.InRange(accepted, 1, Mutants - 1); // the mutants reach both the accepting and the refusing paths
    }

    /// <summary>A configuration using most of what the reader knows, so mutants reach every keyword's parser.</summary>
    internal const string RichConfig = """
        global
            maxconn 2000
            maxpipes 100
            tune.pipesize 262144
            log 127.0.0.1:514 local2
            stats socket /run/hanet-fuzz.sock mode 660 level admin user root group root
            stats timeout 30s
            pidfile /run/hanet-fuzz.pid
            crt-base /etc/ssl
        defaults
            mode tcp
            log global
            option tcplog
            option dontlognull
            option redispatch
            option splice-auto
            retries 3
            timeout connect 5s
            timeout client 1m
            timeout server 1m
            timeout queue 10s
            timeout tunnel 1h
            timeout client-fin 5s
            timeout server-fin 5s
            default-server inter 2s fastinter 500ms downinter 5s rise 2 fall 3 slowstart 10s maxconn 50 maxqueue 20
        frontend smtp
            bind 127.0.0.1:2525 accept-proxy
            bind [::1]:2525
            maxconn 500
            acl local src 127.0.0.0/8
            use_backend backup_pool if local
            default_backend pool
        backend pool
            balance leastconn
            option smtpchk HELO example.org
            server s1 127.0.0.1:2526 check weight 10 observe layer4 error-limit 5 on-error mark-down
            server s2 127.0.0.1:2527 check port 2600 send-proxy-v2 id 7
            server s3 127.0.0.1:2528 backup disabled
        backend backup_pool
            balance source
            hash-type consistent
            option tcp-check
            server b1 127.0.0.1:2530 check send-proxy
        listen stats
            bind 127.0.0.1:9000
            mode http
            stats enable
            stats uri /
            stats realm Haproxy\ Statistics
            stats auth admin:secret
            stats admin if LOCALHOST
            stats refresh 10s
            stats hide-version

        """;
}
