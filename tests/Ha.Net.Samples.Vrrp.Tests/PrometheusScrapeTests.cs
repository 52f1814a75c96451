using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Ha.Net.Testing.Environment;
using Ha.Net.Testing.Files;

namespace Ha.Net.Samples.Vrrp.Tests;

/// <summary>
/// A real Prometheus server (Debian's <c>prometheus</c>) scrapes both daemons, all three in the test's network namespace:
/// hanet-proxyd's <c>http-request use-service prometheus-exporter</c> frontend and hanet-vrrpd's
/// <c>--metrics-address</c>. Prometheus's HTTP API must then return <c>haproxy_server_status</c> for the configured
/// servers (HAProxy's names and labels) and the VRRP state series of the running instance.
/// </summary>
public sealed class PrometheusScrapeTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [RequiresFact("netns", "cmd:prometheus")]
    public async Task Prometheus_scrapes_haproxy_server_status_from_hanet_proxyd_and_vrrp_state_from_hanet_vrrpd()
    {
        await using var lab = new Lab();
        var keepalived = lab.WriteFile("keepalived.conf", """
            vrrp_instance VI_1 {
                state BACKUP
                interface vd0
                virtual_router_id 51
                priority 150
                advert_int 1
                virtual_ipaddress {
                    198.18.0.100/24
                }
            }
            """);
        var haproxy = lab.WriteFile("haproxy.cfg", """
            defaults
                mode tcp
                timeout connect 5s
                timeout client 30s
                timeout server 30s
            frontend smtp
                bind 127.0.0.1:2525
                default_backend mail
            backend mail
                server mx1 127.0.0.1:2526
                server mx2 127.0.0.1:2527 disabled
            frontend prometheus
                mode http
                bind 127.0.0.1:8405
                http-request use-service prometheus-exporter if { path /metrics }
                stats enable
                stats uri /stats
            """);
        var prometheusYml = lab.WriteFile("prometheus.yml", """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: hanet-proxyd
                static_configs:
                  - targets: ['127.0.0.1:8405']
              - job_name: hanet-vrrpd
                static_configs:
                  - targets: ['127.0.0.1:9650']
            """);
        var data = Path.Combine(lab.Directory, "tsdb");

        using var vrrpd = Daemons.StartInNamespace(lab.Namespace, "vrrpd", "-f", keepalived, "-l", "-n", "--metrics-address", "127.0.0.1:9650");
        using var proxyd = Daemons.StartInNamespace(lab.Namespace, "proxyd", "-f", haproxy);
        using var prometheus = ChildProcess.Start("ip", ["netns", "exec", lab.Namespace, Prerequisites.FindExecutable("prometheus")!,
            "--config.file=" + prometheusYml, "--storage.tsdb.path=" + data, "--web.listen-address=127.0.0.1:9090"], "prometheus");
        try
        {
            await vrrpd.ExpectOutputAsync("(VI_1) Entering MASTER STATE", Bound);
            await proxyd.ExpectOutputAsync("Loading success", Bound);

            // haproxy_server_status: one series per state label, 1 for the current one (mx2 is configured 'disabled').
            var status = await QueryUntilAsync(lab, "haproxy_server_status", r => r.Count == 10);
            Assert.Equal("1", Value(status, ("proxy", "mail"), ("server", "mx1"), ("state", "UP")));
            Assert.Equal("0", Value(status, ("proxy", "mail"), ("server", "mx1"), ("state", "DOWN")));
            Assert.Equal("1", Value(status, ("proxy", "mail"), ("server", "mx2"), ("state", "MAINT")));
            Assert.All(status, s => Assert.Equal("hanet-proxyd", Label(s, "job")));
            var backend = await QueryUntilAsync(lab, "haproxy_backend_status", r => r.Count == 2);
            Assert.Equal("1", Value(backend, ("proxy", "mail"), ("state", "UP")));
            var frontend = await QueryUntilAsync(lab, "haproxy_frontend_status", r => r.Count == 2);
            Assert.Equal("1", Value(frontend, ("proxy", "smtp"), ("state", "UP")));

            // VRRP: keepalived-exporter's keepalived_vrrp_state (2 = MASTER) and hanet_vrrp_state per state label.
            var state = await QueryUntilAsync(lab, "keepalived_vrrp_state", r => r.Count == 1 && r[0].GetProperty("value")[1].GetString() == "2");
            Assert.Equal(("VI_1", "vd0", "51", "198.18.0.100"), (Label(state[0], "iname"), Label(state[0], "intf"), Label(state[0], "vrid"), Label(state[0], "ip_address")));
            Assert.Equal("hanet-vrrpd", Label(state[0], "job"));
            var hanetState = await QueryUntilAsync(lab, "hanet_vrrp_state", r => r.Count == 4);
            Assert.Equal("1", Value(hanetState, ("iname", "VI_1"), ("state", "MASTER")));
            Assert.Equal("0", Value(hanetState, ("iname", "VI_1"), ("state", "BACKUP")));
            var sent = await QueryUntilAsync(lab, "keepalived_advertisements_sent_total", r => r.Count == 1 && long.Parse(r[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 0);
            Assert.Equal("VI_1", Label(sent[0], "iname"));
            var becameMaster = await QueryUntilAsync(lab, "keepalived_become_master_total", r => r.Count == 1);
            Assert.Equal("1", becameMaster[0].GetProperty("value")[1].GetString());
        }
        finally
        {
            prometheus.Dispose();
            proxyd.Dispose();
            vrrpd.Dispose();
        }
    }

    private static string Label(JsonElement series, string name) => series.GetProperty("metric").GetProperty(name).GetString()!;

    private static string Value(List<JsonElement> series, params (string Name, string Value)[] labels) =>
        Assert.Single(series, s => labels.All(l => s.GetProperty("metric").TryGetProperty(l.Name, out var v) && v.GetString() == l.Value))
              .GetProperty("value")[1].GetString()!;

    /// <summary>Runs an instant query against Prometheus's HTTP API (inside the namespace) until <paramref name="done"/> holds; bounded.</summary>
    private static async Task<List<JsonElement>> QueryUntilAsync(Lab lab, string query, Func<List<JsonElement>, bool> done)
    {
        var deadline = DateTime.UtcNow + Bound;
        var last = "";
        while (true)
        {
            try
            {
                last = await lab.HttpGetInNamespaceAsync(new IPEndPoint(IPAddress.Loopback, 9090), "/api/v1/query?query=" + Uri.EscapeDataString(query));
                using var doc = JsonDocument.Parse(last);
                if (doc.RootElement.GetProperty("status").GetString() == "success")
                {
                    var result = doc.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Select(e => e.Clone()).ToList();
                    if (done(result))
                    {
                        return result;
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or JsonException or TimeoutException or KeyNotFoundException)
            {
                last = ex.Message;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Prometheus query '{query}' did not return the expected series within {Bound.TotalSeconds} s; last answer: {last}");
            }

            await Task.Delay(500);
        }
    }
}

/// <summary>The daemons as child processes inside a namespace: the native binary when one is published and newer than the JIT build, else <c>dotnet X.dll</c>.</summary>
internal static class Daemons
{
    public static ChildProcess StartInNamespace(string ns, string which, params string[] args)
    {
        var (folder, name) = which == "vrrpd" ? ("samples/VrrpDaemon", "hanet-vrrpd") : ("samples/ProxyDaemon", "hanet-proxyd");
        var dll = TestFiles.Built(folder, name + ".dll");
        var root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(dll)!, "..", "..", "..", "..", ".."));
        var native = Path.Combine(root, "artifacts", "native", name, name);
        string[] command = File.Exists(native) && File.GetLastWriteTimeUtc(native) >= File.GetLastWriteTimeUtc(dll) ? [native, .. args] : ["dotnet", dll, .. args];
        return ChildProcess.Start("ip", ["netns", "exec", ns, .. command], name);
    }
}

/// <summary>An HTTP GET from a socket made inside the lab's namespace (to reach what listens on its loopback).</summary>
internal sealed partial class Lab
{
    public async Task<string> HttpGetInNamespaceAsync(IPEndPoint endPoint, string target)
    {
        using var socket = await InNamespaceAsync(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(endPoint, timeout.Token);
        await using var stream = new NetworkStream(socket);
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.0\r\nHost: {endPoint}\r\n\r\n"), timeout.Token);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync(timeout.Token);
        var body = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return body < 0 ? response : response[(body + 4)..];
    }
}
