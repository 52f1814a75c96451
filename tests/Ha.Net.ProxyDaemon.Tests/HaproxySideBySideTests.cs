using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Ha.Net.Testing.Environment;
using Ha.Net.Testing.Files;
using Ha.Net.Testing.HealthChecks;
using Ha.Net.Testing.Proxy;
using Xunit.Abstractions;

namespace Ha.Net.ProxyDaemon.Tests;

/// <summary>
/// #15 "fidelity by diff, not by reading": the real HAProxy (Debian's 2.6) and hanet-proxyd run the same
/// haproxy.cfg side by side on loopback, see the same servers (one answering, one refusing, one weighted
/// 0, one unchecked backup) and the same client connection, and their answers are compared field by
/// field: <c>show stat</c>, the stats page's CSV, <c>show servers state</c>, the tcplog line, and
/// <c>-c</c>'s verdict and exit code on good and bad files. The columns that legitimately differ are
/// masked and listed in <see cref="MaskedStatColumns"/> and beside each comparison.
/// </summary>
public sealed class HaproxySideBySideTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    /// <summary>
    /// <c>show stat</c> columns compared only for presence (both empty or both set), never by value: times
    /// and rates that depend on when the check or the connection happened to run.
    /// </summary>
    internal static readonly string[] MaskedStatColumns =
    [
        "lastchg", "downtime", "rate", "rate_max", "conn_rate", "conn_rate_max", "req_rate", "req_rate_max", "check_duration",
        "lastsess", "qtime", "ctime", "rtime", "ttime", "qtime_max", "ctime_max", "rtime_max", "ttime_max",
    ];

    /// <summary>The stats page's own proxy: HAProxy counts its HTTP sessions in <c>show stat</c>; hanet-proxyd serves
    /// the page outside the proxy, so it has no rows (its number is kept, so the other proxies' ids still match).</summary>
    private const string StatsProxy = "stats";

    private readonly TempDir _dir = new();
    private readonly List<IAsyncDisposable> _owned = [];
    private Socket? _refusing;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        Dispose();
    }

    public void Dispose()
    {
        _refusing?.Dispose();
        _dir.Dispose();
    }

    [RequiresFact("cmd:haproxy")]
    public async Task SameConfig_SameEvents_ShowStat_StatsCsv_ServersState_AndTcplog_MatchFieldByField()
    {
        var live = TestServer.Echo();
        _owned.Add(live);
        _refusing = SparePort.Refusing(out var refused);
        var haproxy = await StartAsync("haproxy", live.EndPoint, refused);
        var hanet = await StartAsync("hanet", live.EndPoint, refused);

        // Both have checked their servers (down1 DOWN, the others UP) before anything is compared.
        foreach (var side in new[] { haproxy, hanet })
        {
            await side.WaitForAsync(stat => stat.StartsWith("# pxname", StringComparison.Ordinal) && Field(stat, "be_smtp", "down1", "status") == "DOWN" && Field(stat, "be_smtp", "up1", "status") == "UP"
                && Field(stat, "be_smtp", "w0", "status") == "UP" && Field(stat, "be_smtp", "up1", "check_status")?.EndsWith("L4OK", StringComparison.Ordinal) == true
                && Field(stat, "be_smtp", "w0", "check_status")?.EndsWith("L4OK", StringComparison.Ordinal) == true
                && Field(stat, "be_smtp", "down1", "check_status")?.EndsWith("L4CON", StringComparison.Ordinal) == true);
        }

        // One client connection through each: 6 bytes up, echoed back.
        foreach (var side in new[] { haproxy, hanet })
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, side.FrontendPort));
            await client.SendAsync("hello\n"u8.ToArray(), SocketFlags.None);
            var echoed = new byte[6];
            var got = 0;
            while (got < 6 && await client.ReceiveAsync(echoed.AsMemory(got), SocketFlags.None) is > 0 and var read)
            {
                got += read;
            }

            Assert.Equal("hello\n", Encoding.ASCII.GetString(echoed, 0, got));
            client.Shutdown(SocketShutdown.Send);
            while (await client.ReceiveAsync(echoed, SocketFlags.None) > 0)
            {
            }
        }

        var lines = new Dictionary<string, string>();
        foreach (var side in new[] { haproxy, hanet })
        {
            Assert.True(await side.Process.WaitForOutputAsync(" fe_smtp be_smtp/up1 ", TimeSpan.FromSeconds(20)), side.Name + " logged no tcplog line:\n" + side.Process.Output);
            await side.WaitForAsync(stat => Field(stat, "be_smtp", "up1", "scur") == "0" && Field(stat, "fe_smtp", "FRONTEND", "scur") == "0");
            lines[side.Name] = side.Process.Output.Split('\n').Last(l => l.Contains(" fe_smtp be_smtp/up1 ", StringComparison.Ordinal));
        }

        // The tcplog line: everything but the client port, the accept date and the three timers (%Tw/%Tc/%Tt).
        var tcplog = new Regex(@"127\.0\.0\.1:\d+ \[[^\]]+\] (fe_smtp be_smtp/up1) (-?\d+/-?\d+/)?-?\d+ (.*)$");
        var (h, n) = (tcplog.Match(lines["haproxy"]), tcplog.Match(lines["hanet"]));
        Assert.True(h.Success && n.Success, $"tcplog lines:\nhaproxy: {lines["haproxy"]}\nhanet:   {lines["hanet"]}");
        Assert.Equal(h.Groups[1].Value + " " + h.Groups[3].Value.TrimEnd('\r'), n.Groups[1].Value + " " + n.Groups[3].Value.TrimEnd('\r'));

        // show stat and the stats page's CSV: the same header, the same rows, field by field.
        var differences = new List<string>();
        CompareStat("show stat", await haproxy.SocketAsync("show stat"), await hanet.SocketAsync("show stat"), differences);
        CompareStat("stats page ;csv", await haproxy.StatsCsvAsync(), await hanet.StatsCsvAsync(), differences);

        // show servers state: the same lines but for srv_time_since_last_change (seconds, timing).
        var hs = (await haproxy.SocketAsync("show servers state")).Split('\n');
        var ns = (await hanet.SocketAsync("show servers state")).Split('\n');
        Assert.Equal(hs[..2], ns[..2]);
        Assert.Equal(hs.Length, ns.Length);
        for (var i = 2; i < hs.Length; i++)
        {
            var (a, b) = (hs[i].Split(' '), ns[i].Split(' '));
            if (a.Length > 9 && b.Length > 9)
            {
                a[9] = b[9] = "*";
            }

            if (!a.SequenceEqual(b))
            {
                differences.Add($"show servers state line {i}:\n  haproxy: {hs[i]}\n  hanet:   {ns[i]}");
            }
        }

        Assert.True(differences.Count == 0, string.Join('\n', differences));
        output.WriteLine($"compared show stat, stats CSV, show servers state and the tcplog line; masked: {string.Join(',', MaskedStatColumns)}");
    }

    /// <summary><c>-c</c> on a file: HAProxy's exit code (0 valid, 1 refused), and a refusal names the same line.</summary>
    public static TheoryData<string, string> CheckCases => new()
    {
        { "valid", "" },
        { "unknown keyword in a backend", "    frobnicate 1\n" },
        { "server without an address", "    server bad\n" },
        { "invalid balance algorithm", "    balance nosuchalgo\n" },
        { "invalid timeout", "    timeout server 10parsecs\n" },
        { "invalid weight", "    server heavy 127.0.0.1:9 weight 1000\n" },
        { "duplicate server name", "    server up1 127.0.0.1:9\n" },
    };

    [RequiresTheory("cmd:haproxy")]
    [MemberData(nameof(CheckCases))]
    public async Task CheckMode_ExitCodeAndLine_MatchHaproxy(string name, string backendExtra)
    {
        var text = Config(backendPort: 9, refusedPort: 10, frontendPort: 11, statsPort: 12, socket: Path.Combine(_dir.Path, "c.sock"), logToStdout: false)
            + backendExtra;
        var path = Path.Combine(_dir.Path, "check.cfg");
        await File.WriteAllTextAsync(path, text);
        var lastLine = text.TrimEnd('\n').Split('\n').Length;

        var real = ProcessRunner.TryRun("haproxy", ["-c", "-f", path], TimeSpan.FromSeconds(30));
        var ours = await ProxyDaemon.RunToEndAsync("-c", "-f", path);
        output.WriteLine($"{name}: haproxy exit {real.Code}\n{real.Stdout}{real.Stderr}\nhanet-proxyd exit {ours.ExitCode}\n{ours.StdOut}{ours.StdErr}");

        Assert.True(real.Code is 0 or 1, $"haproxy -c exited {real.Code}");
        Assert.Equal(real.Code, ours.ExitCode);
        if (real.Code != 0)
        {
            var cited = $"{path}:{lastLine}";
            Assert.Contains(cited, real.Stdout + real.Stderr, StringComparison.Ordinal); // the case is built so HAProxy names the added line
            Assert.Contains(cited, ours.StdOut + ours.StdErr, StringComparison.Ordinal);
        }
    }

    private static void CompareStat(string what, string haproxyCsv, string hanetCsv, List<string> differences)
    {
        var (hLines, nLines) = (Rows(haproxyCsv), Rows(hanetCsv));
        if (hLines[0] != nLines[0])
        {
            differences.Add($"{what}: headers differ:\n  haproxy: {hLines[0]}\n  hanet:   {nLines[0]}");
            return;
        }

        var header = hLines[0][2..].Split(',');
        var hRows = hLines.Skip(1).Select(l => l.Split(',')).Where(r => r[0] != StatsProxy).ToList();
        var nRows = nLines.Skip(1).Select(l => l.Split(',')).ToList();
        var hKeys = hRows.Select(r => r[0] + "/" + r[1]).ToList();
        var nKeys = nRows.Select(r => r[0] + "/" + r[1]).ToList();
        if (!hKeys.SequenceEqual(nKeys))
        {
            differences.Add($"{what}: rows differ: haproxy {string.Join(' ', hKeys)}; hanet {string.Join(' ', nKeys)}");
            return;
        }

        var (status, lastCheck) = (Array.IndexOf(header, "check_status"), Array.IndexOf(header, "last_chk"));
        for (var r = 0; r < hRows.Count; r++)
        {
            // A check running on either side as the answer was written: "* " before its check_status and an empty
            // last_chk (HAProxy's in-progress marking, which hanet-proxyd shares): compare the status without it.
            var running = hRows[r][status].StartsWith("* ", StringComparison.Ordinal) || nRows[r][status].StartsWith("* ", StringComparison.Ordinal);
            for (var c = 0; c < header.Length; c++)
            {
                var (a, b) = (hRows[r][c], nRows[r][c]);
                if (running && (c == status || c == lastCheck))
                {
                    (a, b) = c == status ? (a.Replace("* ", "", StringComparison.Ordinal), b.Replace("* ", "", StringComparison.Ordinal)) : ("", "");
                }

                var same = MaskedStatColumns.Contains(header[c]) ? (a.Length == 0) == (b.Length == 0) : a == b;
                if (!same)
                {
                    differences.Add($"{what} {hKeys[r]} {header[c]}: haproxy '{a}', hanet '{b}'");
                }
            }
        }
    }

    private static List<string> Rows(string csv) =>
        csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();

    private static string? Field(string csv, string proxy, string service, string column)
    {
        var lines = Rows(csv);
        if (lines.Count == 0 || !lines[0].StartsWith("# ", StringComparison.Ordinal))
        {
            return null;
        }

        var header = lines[0][2..].Split(',');
        var row = lines.Skip(1).Select(l => l.Split(',')).FirstOrDefault(r => r.Length > 1 && r[0] == proxy && r[1] == service);
        var at = Array.IndexOf(header, column);
        return row is null || at < 0 || at >= row.Length ? null : row[at];
    }

    /// <summary>
    /// The configuration both run. HAProxy prints tcplog lines only to a log target, so its copy adds
    /// <c>log stdout format raw local0</c>; hanet-proxyd prints them on its standard output.
    /// </summary>
    private static string Config(int backendPort, int refusedPort, int frontendPort, int statsPort, string socket, bool logToStdout) => $"""
        global
            maxconn 1000
            stats socket {socket} mode 600 level admin
        defaults
            mode tcp
        {(logToStdout ? "    log stdout format raw local0\n" : "")}    option tcplog
            timeout connect 2s
            timeout client 20s
            timeout server 20s
            retries 2
            option redispatch
        frontend fe_smtp
            bind 127.0.0.1:{frontendPort}
            default_backend be_smtp
        listen stats
            bind 127.0.0.1:{statsPort}
            mode http
            stats enable
            stats uri /
        backend be_smtp
            balance roundrobin
            server up1 127.0.0.1:{backendPort} check inter 300ms rise 2 fall 2
            server down1 127.0.0.1:{refusedPort} check inter 300ms rise 2 fall 2
            server w0 127.0.0.1:{backendPort} check inter 300ms weight 0
            server spare 127.0.0.1:{backendPort} backup

        """;

    private async Task<Side> StartAsync(string name, IPEndPoint live, IPEndPoint refused)
    {
        var socket = Path.Combine(_dir.Path, name + ".sock");
        var (frontendPort, statsPort) = (SparePort.Next(), SparePort.Next());
        var path = Path.Combine(_dir.Path, name + ".cfg");
        await File.WriteAllTextAsync(path, Config(live.Port, refused.Port, frontendPort, statsPort, socket, logToStdout: name == "haproxy"));
        var process = name == "haproxy"
            ? ChildProcess.Start("haproxy", ["-db", "-f", path], "haproxy")
            : await ProxyDaemon.StartAsync("-f", path);
        _owned.Add(process);
        // No probe connection to see it listen: it would be logged and counted. hanet-proxyd has bound its
        // listeners when it says "Loading success"; HAProxy before its CLI answers (WaitForAsync polls it).
        return new Side(name, process, socket, frontendPort, statsPort);
    }

    private sealed record Side(string Name, ChildProcess Process, string SocketPath, int FrontendPort, int StatsPort)
    {
        public async Task<string> SocketAsync(string command)
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cts.Token);
            await socket.SendAsync(Encoding.ASCII.GetBytes(command + "\n"), SocketFlags.None, cts.Token);
            var answer = new StringBuilder();
            var buffer = new byte[8192];
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
            {
                answer.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }

            return answer.ToString();
        }

        /// <summary>The answer, or "" while the socket is not there yet.</summary>
        private async Task<string> TrySocketAsync(string command)
        {
            try
            {
                return await SocketAsync(command);
            }
            catch (SocketException)
            {
                return "";
            }
        }

        public async Task<string> StatsCsvAsync()
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
            return await http.GetStringAsync($"http://127.0.0.1:{StatsPort}/;csv");
        }

        /// <summary>Polls <c>show stat</c> until <paramref name="ready"/> holds (bounded at 30 s).</summary>
        public async Task WaitForAsync(Func<string, bool> ready)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            string stat;
            while (!ready(stat = await TrySocketAsync("show stat")))
            {
                Assert.True(DateTime.UtcNow < deadline, $"{Name} never reached the expected state:\n{stat}\n{Process.Output}");
                await Task.Delay(100);
            }
        }
    }
}
