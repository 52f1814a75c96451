using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Testing.Proxy;
using static Ha.Net.Proxy.Tests.Functional.ProxyHarness;

namespace Ha.Net.Proxy.Tests.Functional;

/// <summary>The epoll engine's splice(2) path: what it moves arrives whole, it engages when it should,
/// and its pipes are bounded and given back.</summary>
public class SpliceTests
{
    private const int Bulk = 8 << 20;

    private static Task<ProxyHarness> StartAsync(TestServer server, SpliceModes splice, int maxPipes = 0) =>
        ProxyHarness.StartAsync([Server("s1", server)],
            proxy: p => WithSplice(p with { IoEngine = ProxyIoEngine.Epoll, MaxPipes = maxPipes }, splice));

    /// <summary>Sends <paramref name="size"/> random bytes through an echo, reading them back at the same
    /// time; true when what came back is what was sent.</summary>
    private static async Task<bool> EchoBulkAsync(System.Net.IPEndPoint endPoint, int size)
    {
        var data = RandomNumberGenerator.GetBytes(size);
        using var client = await ProxyTestClient.ConnectAsync(endPoint);
        var send = Task.Run(async () =>
        {
            for (int offset = 0; offset < size; offset += 64 * 1024)
            {
                await client.SendAsync(data.AsMemory(offset, Math.Min(64 * 1024, size - offset)), SocketFlags.None);
            }

            client.Shutdown(SocketShutdown.Send);
        });
        var received = new byte[size + 1];
        int total = 0;
        int n;
        using var cts = new CancellationTokenSource(ProxyTestClient.Generous);
        while ((n = await client.ReceiveAsync(received.AsMemory(total), SocketFlags.None, cts.Token)) > 0)
        {
            total += n;
        }

        await send;
        return total == size && SHA256.HashData(received.AsSpan(0, total)).SequenceEqual(SHA256.HashData(data));
    }

    [Fact]
    public async Task ForcedSplice_BulkBothWays_ArrivesWhole_AndIsCountedAsSpliced()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var echo = TestServer.Echo();
        await using var proxy = await StartAsync(echo, SpliceModes.Request | SpliceModes.Response);
        Assert.True(await EchoBulkAsync(proxy.EndPoint, Bulk));
        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "s1").CurrentSessions == 0, "session closed");
        var row = proxy.Row("fe", "FRONTEND");
        Assert.Equal(Bulk, row.BytesIn);
        Assert.Equal(Bulk, row.BytesOut);
        Assert.Equal(2L * Bulk, row.BytesSpliced);
        Assert.Equal(2L * Bulk, proxy.Row("be", "s1").BytesSpliced);

        // The pipes went back to the pool, empty, for the next connection.
        var info = proxy.Proxy.GetInfo();
        Assert.Equal(0, info.PipesUsed);
        Assert.InRange(info.PipesFree, 1, 2);
    }

    [Fact]
    public async Task SplicedBytes_AreReportedAsAMetric()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var echo = TestServer.Echo();
        using var meters = new ObservabilityTests.TestMeterFactory();
        var spliced = new System.Collections.Concurrent.ConcurrentQueue<long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Name == Ha.Net.Proxy.Hosting.ProxyMetrics.SplicedName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, v, _, _) => spliced.Enqueue(v));
        listener.Start();
        var options = WithSplice(new ProxyOptions
        {
            Frontends = [new FrontendOptions { Name = "fe", Bind = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0), Backend = "be" }],
            Backends = [new BackendOptions { Name = "be", Servers = [Server("s1", echo)] }],
            IoEngine = ProxyIoEngine.Epoll,
        }, SpliceModes.Request | SpliceModes.Response);
        await using var proxy = new Ha.Net.Proxy.Hosting.TcpProxy(options, meterFactory: meters);
        await proxy.StartAsync();
        Assert.True(await EchoBulkAsync(proxy.GetFrontendEndPoint("fe"), Bulk));
        await ProxyTestClient.WaitUntilAsync(() => proxy.GetStats().Single(r => r.ServiceName == "s1").CurrentSessions == 0, "session closed");
        listener.RecordObservableInstruments();
        Assert.Contains(2L * Bulk, spliced);
    }

    [Fact]
    public async Task Auto_KeepsRequestResponseOnTheCopyPath_AndSplicesAStream()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var echo = TestServer.Echo();
        await using var proxy = await StartAsync(echo, SpliceModes.Auto);
        using (var client = await ProxyTestClient.ConnectAsync(proxy.EndPoint))
        {
            for (int i = 0; i < 50; i++)
            {
                await client.SendAsync(Encoding.ASCII.GetBytes($"request {i}\n"));
                Assert.Equal($"request {i}", await ProxyTestClient.ReadLineAsync(client));
            }
        }

        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "s1").CurrentSessions == 0, "first session closed");
        Assert.Equal(0, proxy.Row("fe", "FRONTEND").BytesSpliced);

        Assert.True(await EchoBulkAsync(proxy.EndPoint, Bulk));
        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "s1").CurrentSessions == 0, "second session closed");
        var row = proxy.Row("fe", "FRONTEND");

        // A stream switches from its first full read: nearly all of it moved in the kernel.
        Assert.InRange(row.BytesSpliced, Bulk, 2L * Bulk);
    }

    [Fact]
    public async Task None_CopiesEveryByte()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var echo = TestServer.Echo();
        await using var proxy = await StartAsync(echo, SpliceModes.None);
        Assert.True(await EchoBulkAsync(proxy.EndPoint, Bulk));
        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "s1").CurrentSessions == 0, "session closed");
        Assert.Equal(0, proxy.Row("fe", "FRONTEND").BytesSpliced);
        Assert.Equal(0, proxy.Proxy.GetInfo().PipesFree);
    }

    [Fact]
    public async Task NoPipeFree_TheOtherDirectionsCopy_AndEverythingArrives()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // One pipe for four directions (two sessions, both ways, forced): whoever finds none copies.
        await using var echo = TestServer.Echo();
        await using var proxy = await StartAsync(echo, SpliceModes.Request | SpliceModes.Response, maxPipes: 1);
        var results = await Task.WhenAll(EchoBulkAsync(proxy.EndPoint, Bulk), EchoBulkAsync(proxy.EndPoint, Bulk));
        Assert.All(results, Assert.True);
        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "s1").CurrentSessions == 0, "sessions closed");
        var info = proxy.Proxy.GetInfo();
        Assert.Equal(1, info.MaxPipes);
        Assert.Equal(0, info.PipesUsed);
        Assert.InRange(info.PipesFree, 0, 1);
        var row = proxy.Row("fe", "FRONTEND");
        Assert.Equal(4L * Bulk, row.BytesIn + row.BytesOut);
        Assert.InRange(row.BytesSpliced, 1, (4L * Bulk) - 1);
    }

    [Fact]
    public async Task ServerResetMidStream_EndsTheSession_AndLeavesNoPipeHeld()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // The server sends a few MiB and resets; the pipe may hold bytes then: it is closed, not reused.
        await using var server = new TestServer(async (s, ct) =>
        {
            var chunk = new byte[256 * 1024];
            for (int i = 0; i < 16; i++)
            {
                await s.SendAsync(chunk, SocketFlags.None, ct);
            }

            s.LingerState = new LingerOption(true, 0);
            s.Close();
        });
        await using var proxy = await StartAsync(server, SpliceModes.Request | SpliceModes.Response);
        using var client = await ProxyTestClient.ConnectAsync(proxy.EndPoint);

        // Read slowly at first so bytes wait in the pipe, then drain to the end or the reset.
        await Task.Delay(200);
        var buffer = new byte[64 * 1024];
        try
        {
            using var cts = new CancellationTokenSource(ProxyTestClient.Generous);
            while (await client.ReceiveAsync(buffer, SocketFlags.None, cts.Token) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // The reset passed on.
        }

        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "s1").CurrentSessions == 0, "session closed");
        Assert.Equal(0, proxy.Proxy.GetInfo().PipesUsed);
    }
}
