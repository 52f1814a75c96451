using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Hosting;
using Ha.Net.Testing.Logging;
using Ha.Net.Testing.Proxy;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Proxy.Tests.Functional;

public class ObservabilityTests
{
    /// <summary>Meters scoped to this factory, so a listener sees only this test's proxy (tests run in parallel).</summary>
    internal sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }

    private static ProxyOptions Options(IPEndPoint server, Func<FrontendOptions, FrontendOptions>? fe = null) => new()
    {
        Frontends = [(fe ?? (f => f))(new FrontendOptions { Name = "fe", Bind = new IPEndPoint(IPAddress.Loopback, 0), Backend = "be" })],
        Backends = [new BackendOptions { Name = "be", Servers = [new ServerOptions { Name = "s1", Address = server }] }],
        HardStopAfter = TimeSpan.FromSeconds(5),
    };

    [Fact]
    public async Task ClosedConnection_LogsOneTcplogLine()
    {
        await using var echo = TestServer.Echo();
        var logs = new ListLoggerProvider();
        await using var proxy = new TcpProxy(Options(echo.EndPoint), logs);
        await proxy.StartAsync();
        using (var client = await ProxyTestClient.ConnectAsync(proxy.GetFrontendEndPoint("fe")))
        {
            await client.SendAsync(Encoding.ASCII.GetBytes("hello\n"));
            Assert.Equal("hello", await ProxyTestClient.ReadLineAsync(client));
            client.Shutdown(SocketShutdown.Send);
            await ProxyTestClient.ReadToEndAsync(client);
        }

        await ProxyTestClient.WaitUntilAsync(() => logs.Entries.Any(e => e.Id.Id == 3001), "tcplog line");
        var line = Assert.Single(logs.Entries, e => e.Id.Id == 3001);
        // Tw is 0: the connection was never queued (Tw counts only time in queues).
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(line.Message, @"^127\.0\.0\.1:\d+ \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] fe be/s1 0/\d+/\d+ 6 -- 1/1/0/0/0 0/0$"), line.Message); // HAProxy's line: nothing after %sq/%bq; %ac and %fc count this connection, %bc and %sc do not
        var state = line.State.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("--", state["TerminationState"]);
        Assert.Equal(6L, state["BytesRead"]);
        Assert.Equal(6L, state["BytesUploaded"]);
        Assert.Equal("s1", state["Server"]);
    }

    [Fact]
    public async Task DontLogNull_SkipsTheLineOfAConnectionThatSentNothing_ButCountsIt()
    {
        await using var echo = TestServer.Echo();
        var logs = new ListLoggerProvider();
        await using var proxy = new TcpProxy(Options(echo.EndPoint, fe => fe with { DontLogNull = true }), logs);
        await proxy.StartAsync();
        var endPoint = proxy.GetFrontendEndPoint("fe");

        // A probe: connects and closes without a byte.
        using (var probe = await ProxyTestClient.ConnectAsync(endPoint))
        {
            probe.Shutdown(SocketShutdown.Send);
            await ProxyTestClient.ReadToEndAsync(probe);
        }

        using (var client = await ProxyTestClient.ConnectAsync(endPoint))
        {
            await client.SendAsync(Encoding.ASCII.GetBytes("hi\n"));
            Assert.Equal("hi", await ProxyTestClient.ReadLineAsync(client));
            client.Shutdown(SocketShutdown.Send);
            await ProxyTestClient.ReadToEndAsync(client);
        }

        await ProxyTestClient.WaitUntilAsync(() => logs.Entries.Any(e => e.Id.Id == 3001), "tcplog line");
        await ProxyTestClient.WaitUntilAsync(() => proxy.GetStats().Single(r => r.ServiceName == "FRONTEND").CurrentSessions == 0, "both sessions closed");
        var line = Assert.Single(logs.Entries, e => e.Id.Id == 3001); // the probe's is not there
        Assert.Equal(3L, line.State.Single(kv => kv.Key == "BytesUploaded").Value);
        Assert.Equal(2, proxy.GetStats().Single(r => r.ServiceName == "FRONTEND").TotalSessions);
    }

    [Fact]
    public async Task NoServer_LogsNosrvAndSC()
    {
        await using var echo = TestServer.Echo();
        var logs = new ListLoggerProvider();
        await using var proxy = new TcpProxy(Options(echo.EndPoint), logs);
        await proxy.StartAsync();
        proxy.SetServerState("be", "s1", ServerAdminState.Maintenance);
        using (var client = await ProxyTestClient.ConnectAsync(proxy.GetFrontendEndPoint("fe")))
        {
            Assert.Empty(await ProxyTestClient.ReadToEndAsync(client));
        }

        await ProxyTestClient.WaitUntilAsync(() => logs.Entries.Any(e => e.Id.Id == 3001), "tcplog line");
        var line = Assert.Single(logs.Entries, e => e.Id.Id == 3001);
        Assert.Contains(" fe be/<NOSRV> ", line.Message);
        Assert.Contains(" SC ", line.Message);
        Assert.Contains(logs.Entries, e => e.Id.Id == 3023 && e.Message.Contains("MAINTENANCE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Metrics_ActiveConnectionsAndDuration_AreRecorded()
    {
        await using var echo = TestServer.Echo();
        var measurements = new ConcurrentQueue<(string Name, double Value)>();
        using var meters = new TestMeterFactory();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ProxyNames.MeterName && instrument.Meter.Scope == meters)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => measurements.Enqueue((i.Name, v)));
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => measurements.Enqueue((i.Name, v)));
        listener.Start();

        await using var proxy = new TcpProxy(Options(echo.EndPoint), meterFactory: meters);
        await proxy.StartAsync();
        using (var client = await ProxyTestClient.ConnectAsync(proxy.GetFrontendEndPoint("fe")))
        {
            await client.SendAsync(Encoding.ASCII.GetBytes("x\n"));
            Assert.Equal("x", await ProxyTestClient.ReadLineAsync(client));
        }

        await ProxyTestClient.WaitUntilAsync(() => measurements.Any(m => m.Name == ProxyMetrics.ConnectionDurationName), "duration recorded");
        listener.RecordObservableInstruments();
        var active = measurements.Where(m => m.Name == ProxyMetrics.ActiveConnectionsName).Select(m => m.Value).ToList();
        Assert.Equal([1.0, -1.0], active);
        Assert.Contains(measurements, m => m.Name == ProxyMetrics.IoName && m.Value == 2);
    }

    [Fact]
    public async Task HalfClosedConnection_IsCutByClientFinTimeout_NotTheLongClientTimeout()
    {
        // The server never answers and never closes; the client sends its FIN.
        await using var silent = new TestServer(async (s, ct) => await Task.Delay(Timeout.Infinite, ct));
        await using var proxy = new TcpProxy(Options(silent.EndPoint, fe => fe with
        {
            ClientTimeout = TimeSpan.FromMinutes(5),
            ClientFinTimeout = TimeSpan.FromMilliseconds(300),
        }));
        await proxy.StartAsync();
        using var client = await ProxyTestClient.ConnectAsync(proxy.GetFrontendEndPoint("fe"));
        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await ProxyTestClient.ReadToEndAsync(client));
    }
}
