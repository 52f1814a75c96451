using System.Net.Sockets;
using System.Text;
using Ha.Net.Testing.Environment;
using Ha.Net.Testing.HealthChecks;
using Ha.Net.Testing.Proxy;

namespace Ha.Net.ProxyDaemon.Tests;

/// <summary>
/// Seed 000's haproxy.cfg on loopback: frontend smtpdc1 → backend emailservice (roundrobin, smtpchk) with two
/// fake SMTP servers, <c>listen stats</c> with basic auth and admin, and the stats socket. Torn down on dispose.
/// </summary>
internal sealed class Seed000Setup : IAsyncDisposable
{
    public const string User = "admin";
    public const string Password = "p@ssw0rd";

    private Seed000Setup(string directory, TestServer server1, TestServer server2)
    {
        Directory = directory;
        Server1 = server1;
        Server2 = server2;
    }

    public string Directory { get; }

    public TestServer Server1 { get; }

    public TestServer Server2 { get; }

    public int SmtpPort { get; private set; }

    public int StatsPort { get; private set; }

    /// <summary>The second stats socket, TCP, without 'level' (HAProxy's default: operator).</summary>
    public int OperatorPort { get; private set; }

    public string SocketPath => Path.Combine(Directory, "stats");

    public string ConfigPath => Path.Combine(Directory, "haproxy.cfg");

    public ChildProcess Daemon { get; private set; } = null!;

    public string StatsUrl(string scheme = "http") => $"{scheme}://127.0.0.1:{StatsPort}/";

    public static string Config(string socketPath, int statsPort, int smtpPort, int port1, int port2, string statsBindExtra = "", int operatorPort = 9999) => $"""
        ##########################################################
        # GLOBAL SETTINGS (seed 000, addresses on loopback)
        ##########################################################
        global
            chroot /var/lib/haproxy
            pidfile {Path.Combine(Path.GetDirectoryName(socketPath)!, "haproxy.pid")}
            maxconn 4000
            user haproxy
            group haproxy
            daemon
            stats socket {socketPath} mode 600 level admin
            stats socket ipv4@127.0.0.1:{operatorPort}
            log 127.0.0.1 local2
        defaults
            mode tcp
            log global
            option tcplog
            option dontlognull
            option redispatch
            retries 3
            timeout queue 1m
            timeout connect 10s
            timeout client 1m
            timeout server 1m
            timeout check 10s
            maxconn 3000
        listen stats
            bind 127.0.0.1:{statsPort}{statsBindExtra}
            mode http
            stats enable
            stats hide-version
            stats uri /
            stats realm HAProxy\ Statistics
            stats auth {User}:{Password}
            stats admin if TRUE
        frontend smtpdc1
            bind 127.0.0.1:{smtpPort}
            use_backend emailservice
        backend emailservice
            description Emailservice
            balance roundrobin
            option tcplog
            option smtpchk HELO haproxy
            server dc1server01 127.0.0.1:{port1} check inter 300 rise 1
            server dc1server02 127.0.0.1:{port2} check inter 300 rise 1

        """;

    /// <param name="statsBindExtra">Appended to the stats page's bind line (<c>{dir}</c> = the setup's directory).</param>
    /// <param name="prepare">Run on the setup's directory before the daemon starts.</param>
    /// <param name="editConfig">Rewrites the configuration text before it is written.</param>
    public static async Task<Seed000Setup> StartAsync(string statsBindExtra = "", Action<string>? prepare = null, Func<string, string>? editConfig = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "hanet-proxyd-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(directory);
        var setup = new Seed000Setup(directory, FakeSmtp.Start("dc1server01"), FakeSmtp.Start("dc1server02"));
        try
        {
            prepare?.Invoke(directory);
            setup.SmtpPort = SparePort.Next();
            setup.StatsPort = SparePort.Next();
            setup.OperatorPort = SparePort.Next();
            var config = Config(setup.SocketPath, setup.StatsPort, setup.SmtpPort, setup.Server1.EndPoint.Port, setup.Server2.EndPoint.Port, statsBindExtra.Replace("{dir}", directory, StringComparison.Ordinal), setup.OperatorPort);
            await File.WriteAllTextAsync(setup.ConfigPath, editConfig is null ? config : editConfig(config));
            setup.Daemon = await ProxyDaemon.StartAsync("-f", setup.ConfigPath);
            await setup.WaitForStatusAsync("dc1server01", "UP");
            await setup.WaitForStatusAsync("dc1server02", "UP");
            return setup;
        }
        catch
        {
            await setup.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends one line to the stats socket and returns the whole answer.</summary>
    public async Task<string> SocketCommandAsync(string line, bool operatorSocket = false)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var socket = operatorSocket
            ? new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(operatorSocket ? new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, OperatorPort) : new UnixDomainSocketEndPoint(SocketPath), cts.Token);
        await socket.SendAsync(Encoding.ASCII.GetBytes(line + "\n"), SocketFlags.None, cts.Token);
        var answer = new StringBuilder();
        var buffer = new byte[8192];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
        {
            answer.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }

        return answer.ToString();
    }

    /// <summary>The <c>status</c> column of a server in <c>show stat</c>.</summary>
    public async Task<string> StatusAsync(string server)
    {
        var csv = await SocketCommandAsync("show stat");
        var row = csv.Split('\n').Select(l => l.Split(',')).First(f => f.Length > 18 && f[0] == "emailservice" && f[1] == server);
        return row[17];
    }

    public async Task WaitForStatusAsync(string server, string status)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string last;
        while ((last = await StatusAsync(server)) != status)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{server} stayed '{last}', expected '{status}':\n{Daemon.Output}");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Daemon is not null)
        {
            await Daemon.DisposeAsync();
        }

        await Server1.DisposeAsync();
        await Server2.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
