using Ha.Net.Proxy.Configuration;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Ha.Net.Testing.Proxy;
using static Ha.Net.Proxy.Tests.Functional.ProxyHarness;

namespace Ha.Net.Proxy.Tests.Functional;

public class DataPathTests
{
    /// <summary>The engine these tests drive; a subclass runs them all again on the other one.</summary>
    protected virtual ProxyIoEngine Engine => ProxyIoEngine.Auto;

    /// <summary>Every frontend's and backend's splice modes; null = the library's default (splice-auto).</summary>
    protected virtual SpliceModes? Splice => null;

    private Task<ProxyHarness> StartAsync(
        IEnumerable<ServerOptions> servers,
        Func<BackendOptions, BackendOptions>? backend = null,
        Func<FrontendOptions, FrontendOptions>? frontend = null,
        Func<ProxyOptions, ProxyOptions>? proxy = null)
        => ProxyHarness.StartAsync(servers, backend, frontend, p => WithSplice((proxy?.Invoke(p) ?? p) with { IoEngine = Engine }, Splice));

    /// <summary>Reads until the peer's FIN; the number of bytes read.</summary>
    private static async Task<long> CountUntilFinAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[4096];
        long total = 0;
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0)
        {
            total += n;
        }

        return total;
    }

    [Fact]
    public async Task Echo_ThroughProxy_RoundTripsAndCountsBytes()
    {
        await using var echo = TestServer.Echo();
        await using var proxy = await StartAsync([Server("s1", echo)]);
        using var client = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
        await client.SendAsync(Encoding.ASCII.GetBytes("hello\n"));
        Assert.Equal("hello", await ProxyTestClient.ReadLineAsync(client));
        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await ProxyTestClient.ReadToEndAsync(client));
        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "s1").CurrentSessions == 0, "session closed");
        var row = proxy.Row("be", "s1");
        Assert.Equal(1, row.TotalSessions);
        Assert.Equal(6, row.BytesIn);
        Assert.Equal(6, row.BytesOut);
        Assert.Equal(6, proxy.Row("fe", "FRONTEND").BytesIn);
    }

    [Fact]
    public async Task ClientHalfClose_ReachesServer_WhileServerDataStillReachesClient()
    {
        // The server reads until the client's FIN, then answers with what it counted and closes.
        var serverSawFin = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new TestServer(async (s, ct) =>
        {
            long total = await CountUntilFinAsync(s, ct);

            serverSawFin.TrySetResult();
            for (int i = 0; i < 100; i++)
            {
                await s.SendAsync(Encoding.ASCII.GetBytes($"line {i} after fin, got {total}\n"), SocketFlags.None, ct);
            }

            s.Shutdown(SocketShutdown.Send);
        });
        await using var proxy = await StartAsync([Server("s1", server)]);
        using var client = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
        await client.SendAsync(new byte[1000]);
        client.Shutdown(SocketShutdown.Send);
        await serverSawFin.Task.WaitAsync(ProxyTestClient.Generous);
        var text = Encoding.ASCII.GetString(await ProxyTestClient.ReadToEndAsync(client));
        Assert.Equal(100, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("line 99 after fin, got 1000", text);
    }

    [Fact]
    public async Task ServerHalfClose_ReachesClient_WhileClientDataStillReachesServer()
    {
        // The server says hello and shuts its send side at once, then keeps reading.
        var received = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new TestServer(async (s, ct) =>
        {
            await s.SendAsync(Encoding.ASCII.GetBytes("bye\n"), SocketFlags.None, ct);
            s.Shutdown(SocketShutdown.Send);
            long total = await CountUntilFinAsync(s, ct);

            received.TrySetResult(total);
        });
        await using var proxy = await StartAsync([Server("s1", server)]);
        using var client = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
        Assert.Equal("bye\n", Encoding.ASCII.GetString(await ProxyTestClient.ReadToEndAsync(client)));

        // The client sees the server's FIN but can still send.
        for (int i = 0; i < 50; i++)
        {
            await client.SendAsync(new byte[1000]);
        }

        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(50_000, await received.Task.WaitAsync(ProxyTestClient.Generous));
        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "s1").CurrentSessions == 0, "session closed");
    }

    [Fact]
    public async Task DataFollowedAtOnceByFin_ArrivesWholeThenEnds_BothWays()
    {
        // Each side sends its message and its FIN back to back, so the proxy usually reads data
        // and end together (the data then leaves with MSG_MORE and the FIN rides on it): the other
        // side must still get every byte and then the end, without waiting on anything.
        await using var server = new TestServer(async (s, ct) =>
        {
            long total = await CountUntilFinAsync(s, ct);

            await s.SendAsync(Encoding.ASCII.GetBytes($"got {total}\n"), SocketFlags.None, ct);
            s.Shutdown(SocketShutdown.Send);
        });
        await using var proxy = await StartAsync([Server("s1", server)]);
        for (int i = 1; i <= 100; i++)
        {
            using var client = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
            await client.SendAsync(new byte[i * 37]);
            client.Shutdown(SocketShutdown.Send);
            var answer = Encoding.ASCII.GetString(await ProxyTestClient.ReadToEndAsync(client));
            Assert.Equal($"got {i * 37}\n", answer);
        }

        await ProxyTestClient.WaitUntilAsync(() => proxy.Row("be", "s1").CurrentSessions == 0, "sessions closed");
        Assert.Equal(100, proxy.Row("be", "s1").TotalSessions);
    }

    [Fact]
    public async Task OneGigabyte_BothWays_ArrivesIntact()
    {
        const long Size = 1L << 30;

        // Server: hashes what it receives, and streams Size generated bytes back.
        var serverHash = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new TestServer(async (s, ct) =>
        {
            var send = Task.Run(() => SendGeneratedAsync(s, Size, seed: 2), ct);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[256 * 1024];
            int n;
            while ((n = await s.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0)
            {
                hash.AppendData(buffer, 0, n);
            }

            serverHash.TrySetResult(hash.GetHashAndReset());
            await send;
            s.Shutdown(SocketShutdown.Send);
        });
        await using var proxy = await StartAsync([Server("s1", server)]);
        using var client = await ProxyTestClient.ConnectAsync(proxy.EndPoint);
        var upload = Task.Run(async () =>
        {
            var sent = await SendGeneratedAsync(client, Size, seed: 1);
            client.Shutdown(SocketShutdown.Send);
            return sent;
        });
        using var clientHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[256 * 1024];
        long received = 0;
        int n;
        while ((n = await client.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromMinutes(2))) > 0)
        {
            clientHash.AppendData(buffer, 0, n);
            received += n;
        }

        var uploadHash = await upload.WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(Size, received);
        Assert.Equal(uploadHash, await serverHash.Task.WaitAsync(TimeSpan.FromMinutes(2)));
        Assert.Equal(Generated(Size, seed: 2), clientHash.GetHashAndReset());
    }

    /// <summary>Sends <paramref name="size"/> bytes of a cheap seeded pattern; returns their SHA-256.</summary>
    private static async Task<byte[]> SendGeneratedAsync(Socket socket, long size, int seed)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var block = Block(seed);
        long left = size;
        int offset = 0;
        while (left > 0)
        {
            int n = (int)Math.Min(left, block.Length - offset);
            int chunk = Math.Min(n, 128 * 1024);
            await socket.SendAsync(block.AsMemory(offset, chunk), SocketFlags.None);
            hash.AppendData(block, offset, chunk);
            left -= chunk;
            offset = (offset + chunk) % block.Length;
        }

        return hash.GetHashAndReset();
    }

    private static byte[] Generated(long size, int seed)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var block = Block(seed);
        long left = size;
        int offset = 0;
        while (left > 0)
        {
            int chunk = (int)Math.Min(Math.Min(left, block.Length - offset), 128 * 1024);
            hash.AppendData(block, offset, chunk);
            left -= chunk;
            offset = (offset + chunk) % block.Length;
        }

        return hash.GetHashAndReset();
    }

    /// <summary>A 1 MiB + 7 block (odd length, so chunk boundaries drift across the pattern).</summary>
    private static byte[] Block(int seed)
    {
        var block = new byte[(1 << 20) + 7];
        new Random(seed).NextBytes(block);
        return block;
    }
}

/// <summary>The same tests on .NET's socket engine (the portable path, the default off Linux).</summary>
public sealed class DataPathSocketsEngineTests : DataPathTests
{
    protected override ProxyIoEngine Engine => ProxyIoEngine.Sockets;
}

/// <summary>The same tests on the epoll engine copying every byte (no splice).</summary>
public sealed class DataPathEpollCopyTests : DataPathTests
{
    protected override SpliceModes? Splice => SpliceModes.None;
}

/// <summary>The same tests on the epoll engine splicing both directions from the first byte
/// (<c>option splice-request</c> and <c>splice-response</c>).</summary>
public sealed class DataPathEpollSpliceTests : DataPathTests
{
    protected override SpliceModes? Splice => SpliceModes.Request | SpliceModes.Response;
}
