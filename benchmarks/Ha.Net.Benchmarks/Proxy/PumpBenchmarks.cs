using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Ha.Net.Proxy;
using Ha.Net.Proxy.Configuration;

namespace Ha.Net.Benchmarks.Proxy;

/// <summary>
/// One echo round trip of <see cref="Size"/> bytes through a proxy on 127.0.0.1: client → proxy →
/// echo server → proxy → client. <c>Plain</c> is Ha.Net.Proxy's data path (pooled buffer per
/// direction, zero-byte receive first); <c>Pipelines</c> is the same proxy shape built on
/// System.IO.Pipelines (one Pipe per direction, receive loop writing, send loop reading).
/// <c>Direct</c> (no proxy) is the baseline: the client's and echo server's own cost.
/// Allocated bytes per operation above Direct's are the proxy's cost per forwarded chunk.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 20)]
#pragma warning disable CA1001 // BenchmarkDotNet owns the lifetime: GlobalCleanup disposes.
public class PumpBenchmarks
#pragma warning restore CA1001
{
    private Socket _echoListener = null!;
    private Socket _client = null!;
    private ITcpProxy? _proxy;
    private PipelinesProxy? _pipelines;
    private byte[] _send = null!;
    private byte[] _receive = null!;

    [Params(1024, 65536)]
    public int Size { get; set; }

    [Params("Direct", "Plain", "Pipelines")]
    public string Pump { get; set; } = "Plain";

    [GlobalSetup]
    public async Task Setup()
    {
        _echoListener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _echoListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _echoListener.Listen(16);
        _ = EchoLoop(_echoListener);
        var echo = (IPEndPoint)_echoListener.LocalEndPoint!;
        IPEndPoint front;
        if (Pump == "Plain")
        {
            _proxy = TcpProxyFactory.Create(new ProxyOptions
            {
                Frontends = [new FrontendOptions { Name = "fe", Bind = new IPEndPoint(IPAddress.Loopback, 0), Backend = "be" }],
                Backends = [new BackendOptions { Name = "be", Servers = [new ServerOptions { Name = "echo", Address = echo }] }],
            });
            await _proxy.StartAsync();
            front = _proxy.GetFrontendEndPoint("fe");
        }
        else if (Pump == "Pipelines")
        {
            _pipelines = new PipelinesProxy(echo);
            front = _pipelines.EndPoint;
        }
        else
        {
            // No proxy: the client's own cost, to subtract.
            front = echo;
        }

        _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await _client.ConnectAsync(front);
        _send = new byte[Size];
        _receive = new byte[Size];
        new Random(1).NextBytes(_send);
    }

    [Benchmark]
    public async Task RoundTrip()
    {
        await _client.SendAsync(_send.AsMemory(), SocketFlags.None);
        int got = 0;
        while (got < Size)
        {
            got += await _client.ReceiveAsync(_receive.AsMemory(got), SocketFlags.None);
        }
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        _client.Dispose();
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        _pipelines?.Dispose();
        _echoListener.Dispose();
    }

    private static async Task EchoLoop(Socket listener)
    {
        while (true)
        {
            Socket s;
            try
            {
                s = await listener.AcceptAsync();
            }
            catch (Exception)
            {
                return;
            }

            s.NoDelay = true;
            _ = Task.Run(async () =>
            {
                var buffer = new byte[256 * 1024];
                try
                {
                    int n;
                    while ((n = await s.ReceiveAsync(buffer.AsMemory(), SocketFlags.None)) > 0)
                    {
                        await s.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
                    }
                }
                catch (SocketException)
                {
                }

                s.Dispose();
            });
        }
    }

    /// <summary>The alternative kept for comparison: a Pipelines-based proxy with the same shape.</summary>
    private sealed class PipelinesProxy : IDisposable
    {
        private readonly Socket _listener;
        private readonly IPEndPoint _server;

        public PipelinesProxy(IPEndPoint server)
        {
            _server = server;
            _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(16);
            EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
            _ = AcceptLoop();
        }

        public IPEndPoint EndPoint { get; }

        public void Dispose() => _listener.Dispose();

        private async Task AcceptLoop()
        {
            while (true)
            {
                Socket client;
                try
                {
                    client = await _listener.AcceptAsync();
                }
                catch (Exception)
                {
                    return;
                }

                client.NoDelay = true;
                var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await server.ConnectAsync(_server);
                var options = new PipeOptions(MemoryPool<byte>.Shared, PipeScheduler.Inline, PipeScheduler.Inline,
                    pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024, minimumSegmentSize: 64 * 1024,
                    useSynchronizationContext: false);
                var up = new Pipe(options);
                var down = new Pipe(options);
                _ = Receive(client, up.Writer);
                _ = Send(server, up.Reader);
                _ = Receive(server, down.Writer);
                _ = Send(client, down.Reader);
            }
        }

        private static async Task Receive(Socket socket, PipeWriter writer)
        {
            try
            {
                while (true)
                {
                    await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                    var memory = writer.GetMemory(64 * 1024);
                    int n = await socket.ReceiveAsync(memory, SocketFlags.None);
                    if (n == 0)
                    {
                        break;
                    }

                    writer.Advance(n);
                    var flush = await writer.FlushAsync();
                    if (flush.IsCompleted)
                    {
                        break;
                    }
                }
            }
            catch (SocketException)
            {
            }

            await writer.CompleteAsync();
        }

        private static async Task Send(Socket socket, PipeReader reader)
        {
            try
            {
                while (true)
                {
                    var result = await reader.ReadAsync();
                    foreach (var segment in result.Buffer)
                    {
                        await socket.SendAsync(segment, SocketFlags.None);
                    }

                    reader.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted)
                    {
                        break;
                    }
                }
            }
            catch (SocketException)
            {
            }

            await reader.CompleteAsync();
            socket.Shutdown(SocketShutdown.Send);
        }
    }
}
