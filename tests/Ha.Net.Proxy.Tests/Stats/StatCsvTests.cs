using System.Net;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Haproxy;
using Ha.Net.Proxy.Hosting;
using Ha.Net.Proxy.Stats;
using Ha.Net.Testing.Proxy;
using Microsoft.Extensions.Time.Testing;

namespace Ha.Net.Proxy.Tests.Stats;

public class StatCsvTests
{
    [Fact]
    public async Task ShowStat_HasHaproxyHeaderAndOneLinePerFrontendServerBackend()
    {
        var options = new ProxyOptions
        {
            Frontends = [new FrontendOptions { Name = "smtpdc1", Bind = new IPEndPoint(IPAddress.Loopback, 0), Backend = "emailservice", MaxConnections = 3000 }],
            Backends =
            [
                new BackendOptions
                {
                    Name = "emailservice",
                    Servers =
                    [
                        new ServerOptions { Name = "dc1server01", Address = IPEndPoint.Parse("127.0.0.1:2525"), Check = new ServerCheckOptions() },
                        new ServerOptions { Name = "dc1server02", Address = IPEndPoint.Parse("127.0.0.1:2526"), MaxConnections = 10, MaxQueue = 5 },
                    ],
                },
            ],
        };
        await using var proxy = new TcpProxy(options);
        var writer = new StringWriter();
        proxy.WriteStatCsv(writer);
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,", lines[0]);
        Assert.Contains(",addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,", lines[0]);
        Assert.EndsWith(",agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,", lines[0].Split("h2_data_rcvd")[0]);
        Assert.EndsWith(",h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,", lines[0]); // Debian's HAProxy 2.6.12, field for field
        Assert.Equal(5, lines.Length);
        var header = lines[0][2..].Split(',');
        var fields = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.All(fields, f => Assert.Equal(header.Length, f.Length));
        string Field(int line, string column) => fields[line][Array.IndexOf(header, column)];

        Assert.Equal("smtpdc1", Field(0, "pxname"));
        Assert.Equal("FRONTEND", Field(0, "svname"));
        Assert.Equal("STOP", Field(0, "status"));
        Assert.Equal("3000", Field(0, "slim"));
        Assert.Equal("0", Field(0, "type"));
        Assert.Equal("dc1server01", Field(1, "svname"));
        Assert.Equal("UP", Field(1, "status"));
        Assert.Equal("INI", Field(1, "check_status"));
        Assert.Equal("2", Field(1, "check_rise"));
        Assert.Equal("3", Field(1, "check_fall"));
        Assert.Equal("127.0.0.1:2525", Field(1, "addr"));
        Assert.Equal("no check", Field(2, "status"));
        Assert.Equal("10", Field(2, "slim"));
        Assert.Equal("5", Field(2, "qlimit"));
        Assert.Equal("2", Field(2, "type"));
        Assert.Equal("BACKEND", Field(3, "svname"));
        Assert.Equal("UP", Field(3, "status"));
        Assert.Equal("2", Field(3, "act"));
        Assert.Equal("roundrobin", Field(3, "algo"));
        Assert.Equal("tcp", Field(3, "mode"));

        // HAProxy's fullconn default: a tenth of the feeding frontends' maxconn; uweight; "-" on every line.
        Assert.Equal(("300", "2", "0", "0"), (Field(3, "slim"), Field(3, "uweight"), Field(3, "chkdown"), Field(3, "agg_check_status")));
        Assert.All(fields, f => Assert.Equal("-", f[Array.IndexOf(header, "-")]));
        Assert.Equal(("0", "1", "1"), (Field(1, "connect"), Field(1, "uweight"), Field(1, "need_conn_est"))); // a checked server needs its check's
        Assert.Equal(("", ""), (Field(1, "h1_bytes_in"), Field(0, "connect"))); // h1/h2 modules: frontends and backends only
    }

    [Fact]
    public async Task CountersHaproxyPrintsAsZeroInTcpMode_AreZero_NotEmpty()
    {
        // HAProxy 2.6.12 'show stat' in tcp mode (fe, be with a checked and an unchecked server): dresp is 0 on
        // every line, ereq and req_rate/req_rate_max/req_tot on the frontend, eresp on backends and servers,
        // comp_in/comp_out/comp_byp/comp_rsp on frontends and backends; the rest of these stay empty.
        var options = new ProxyOptions
        {
            Frontends = [new FrontendOptions { Name = "fe", Bind = new IPEndPoint(IPAddress.Loopback, 0), Backend = "be" }],
            Backends =
            [
                new BackendOptions
                {
                    Name = "be",
                    Servers =
                    [
                        new ServerOptions { Name = "s1", Address = IPEndPoint.Parse("127.0.0.1:2525"), Check = new ServerCheckOptions() },
                        new ServerOptions { Name = "s3", Address = IPEndPoint.Parse("127.0.0.1:2526") },
                    ],
                },
            ],
        };
        await using var proxy = new TcpProxy(options);
        var writer = new StringWriter();
        proxy.WriteStatCsv(writer);
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0][2..].Split(',');
        string[] Columns(string svname, params string[] columns)
        {
            var line = lines.Skip(1).Select(l => l.Split(',')).Single(f => f[1] == svname);
            return [.. columns.Select(c => line[Array.IndexOf(header, c)])];
        }

        string[] zeroOrEmpty = ["dresp", "ereq", "eresp", "req_rate", "req_rate_max", "req_tot", "comp_in", "comp_out", "comp_byp", "comp_rsp"];
        Assert.Equal(["0", "0", "", "0", "0", "0", "0", "0", "0", "0"], Columns("FRONTEND", zeroOrEmpty));
        Assert.Equal(["0", "", "0", "", "", "", "", "", "", ""], Columns("s1", zeroOrEmpty));
        Assert.Equal(["0", "", "0", "", "", "", "", "", "", ""], Columns("s3", zeroOrEmpty));
        Assert.Equal(["0", "", "0", "", "", "", "0", "0", "0", "0"], Columns("BACKEND", zeroOrEmpty));
    }

    [Fact]
    public async Task RateColumns_CountNewSessionsOverTheLastSecond()
    {
        var clock = new FakeTimeProvider();
        await using var a = TestServer.Named("a");
        var options = new ProxyOptions
        {
            Frontends = [new FrontendOptions { Name = "fe", Bind = new IPEndPoint(IPAddress.Loopback, 0), Backend = "be" }],
            Backends = [new BackendOptions { Name = "be", Servers = [new ServerOptions { Name = "a", Address = a.EndPoint }] }],
            HardStopAfter = TimeSpan.FromSeconds(5),
        };
        await using var proxy = new TcpProxy(options, timeProvider: clock);
        await proxy.StartAsync();
        var clients = new List<System.Net.Sockets.Socket>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var client = await ProxyTestClient.ConnectAsync(proxy.GetFrontendEndPoint("fe"));
                clients.Add(client);
                Assert.Equal("a", await ProxyTestClient.ReadLineAsync(client));
            }

            string[] Columns(string svname)
            {
                var writer = new StringWriter();
                proxy.WriteStatCsv(writer);
                var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
                var header = lines[0][2..].Split(',');
                var line = lines.Select(l => l.Split(',')).Single(f => f[1] == svname);
                return [line[Array.IndexOf(header, "rate")], line[Array.IndexOf(header, "rate_lim")], line[Array.IndexOf(header, "rate_max")]];
            }

            string[] ConnectionColumns() =>
                [.. new[] { "conn_rate", "conn_rate_max", "conn_tot" }.Select(column =>
                {
                    var writer = new StringWriter();
                    proxy.WriteStatCsv(writer);
                    var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
                    var header = lines[0][2..].Split(',');
                    return lines.Select(l => l.Split(',')).Single(f => f[1] == "FRONTEND")[Array.IndexOf(header, column)];
                })];

            Assert.Equal(["3", "0", "3"], Columns("FRONTEND"));
            Assert.Equal(["3", "3", "3"], ConnectionColumns());
            Assert.Equal(["3", "", "3"], Columns("a"));
            Assert.Equal(["3", "", "3"], Columns("BACKEND"));

            clock.Advance(TimeSpan.FromMilliseconds(1500)); // half of the last period is still inside the last second
            Assert.Equal(["1", "0", "3"], Columns("FRONTEND"));
            clock.Advance(TimeSpan.FromSeconds(2));
            Assert.Equal(["0", "0", "3"], Columns("FRONTEND"));
            Assert.Equal(["0", "3", "3"], ConnectionColumns());
            Assert.Equal(["0", "", "3"], Columns("a"));
        }
        finally
        {
            foreach (var c in clients)
            {
                c.Dispose();
            }
        }
    }
}
