using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Ha.Net.Proxy.Backends;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Connections;
using Ha.Net.Proxy.Hosting;
using Ha.Net.Proxy.Listening;
using Ha.Net.Proxy.Stats;
using Ha.Net.Testing.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Ha.Net.Proxy.Tests.Connections;

/// <summary>
/// A proxy with no sockets for <see cref="InMemoryTransport"/> sessions: a <see cref="TcpProxy"/> built from
/// options and never started (so its <see cref="ProxyRuntime"/>, <see cref="Frontend"/> and
/// <see cref="Backend"/> are the real ones, the stats rows come from <see cref="StatsSnapshot"/>, and the
/// admin calls work), on a <see cref="FakeTimeProvider"/>, its log lines captured.
/// </summary>
internal sealed class SessionRig : IAsyncDisposable
{
    public static readonly IPEndPoint FrontendAddress = new(IPAddress.Parse("198.51.100.1"), 443);
    public static readonly IPEndPoint DefaultClient = new(IPAddress.Parse("192.0.2.7"), 40000);

    private int _nextClientPort = 40000;

    private SessionRig(ProxyOptions options)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Logs = new ListLoggerProvider();
        Meters = new RigMeterFactory();
        Proxy = new TcpProxy(options, Logs, Meters, timeProvider: Time, random: new Random(1));
        Frontend = Proxy.GetFrontend("fe");
        Backend = Proxy.GetBackend("be");
    }

    public FakeTimeProvider Time { get; }

    public ListLoggerProvider Logs { get; }

    /// <summary>This proxy's meters (to tell its instruments from other tests' in a <see cref="MeterListener"/>).</summary>
    public RigMeterFactory Meters { get; }

    public TcpProxy Proxy { get; }

    public ProxyRuntime Runtime => Proxy.Runtime;

    public Frontend Frontend { get; }

    public Backend Backend { get; }

    /// <summary>Server <c>name</c> at 203.0.113.1:(8000 + <paramref name="index"/>) (a documentation address: nothing is sent).</summary>
    public static ServerOptions ServerAt(string name, int index = 1) =>
        new() { Name = name, Address = new IPEndPoint(IPAddress.Parse("203.0.113.1"), 8000 + index) };

    /// <summary>Frontend "fe" → backend "be" with <paramref name="servers"/>; the sockets engine (no epoll loops).</summary>
    public static SessionRig Create(
        IEnumerable<ServerOptions> servers,
        Func<BackendOptions, BackendOptions>? backend = null,
        Func<FrontendOptions, FrontendOptions>? frontend = null)
    {
        var fe = new FrontendOptions { Name = "fe", Bind = FrontendAddress, Backend = "be" };
        var be = new BackendOptions { Name = "be", Servers = [.. servers] };
        return new SessionRig(new ProxyOptions
        {
            IoEngine = ProxyIoEngine.Sockets,
            Frontends = [frontend?.Invoke(fe) ?? fe],
            Backends = [backend?.Invoke(be) ?? be],
        });
    }

    /// <summary>Accepts a connection the way <see cref="Frontend"/> does (counters, metrics, then
    /// <c>new ProxySession</c>, <c>Bind</c>, <c>Start</c>) over a new <see cref="InMemoryTransport"/>.</summary>
    /// <param name="client">The client's address (default: <see cref="DefaultClient"/>'s address, a new port).</param>
    /// <param name="beforeStart">Runs after <c>Bind</c>, before <c>Start</c> (to script the transport's first answers).</param>
    public (ProxySession Session, InMemoryTransport Transport) Open(IPEndPoint? client = null, Action<ProxySession, InMemoryTransport>? beforeStart = null)
    {
        client ??= new IPEndPoint(DefaultClient.Address, Interlocked.Increment(ref _nextClientPort));
        var transport = new InMemoryTransport(client, FrontendAddress);

        // The global maxconn slot the accept loop takes (the session gives it back when it ends).
        Assert.True(Runtime.GlobalLimit?.Wait(0) ?? true, "global maxconn reached");
        Runtime.ConnectionOpened();
        long now = Time.GetTimestamp();
        Frontend.Counters.ConnectionAccepted(now, Time);
        if (!Frontend.Options.AcceptProxy)
        {
            Frontend.Counters.SessionCounted(now, Time);
        }

        Runtime.Metrics.ConnectionOpened(Frontend.Name);
        var session = new ProxySession(Runtime, Frontend, Backend, transport);
        transport.Bind(session);
        beforeStart?.Invoke(session, transport);
        session.Start();
        return (session, transport);
    }

    /// <summary>Opens a session and connects it to its server: it is in the data phase on return.</summary>
    public (ProxySession Session, InMemoryTransport Transport) OpenConnected()
    {
        var (session, transport) = Open();
        Assert.True(transport.ConnectPending, "a connection attempt");
        transport.CompleteConnect();
        Assert.True(transport.Forwarding, "the data phase");
        return (session, transport);
    }

    public void Advance(TimeSpan by) => Time.Advance(by);

    public ServerState Server(string name) => Backend.FindServer(name) ?? throw new KeyNotFoundException(name);

    /// <summary>The stats row of "FRONTEND", "BACKEND" or a server.</summary>
    public StatsRow Row(string service) => Proxy.GetStats().Single(r => r.ServiceName == service);

    /// <summary>The tcplog lines (event 3001), in order.</summary>
    public IReadOnlyList<TcpLog> TcpLogs => [.. Logs.Entries.Where(e => e.Id.Id == 3001).Select(e => new TcpLog(e.Message, e.State))];

    /// <summary>The PROXY-header failure lines (event 3003).</summary>
    public IReadOnlyList<string> HeaderFailures => [.. Logs.Entries.Where(e => e.Id.Id == 3003).Select(e => e.Message)];

    /// <summary>The "connection failed unexpectedly" errors (event 3002).</summary>
    public IReadOnlyList<string> SessionFailures => [.. Logs.Entries.Where(e => e.Id.Id == 3002 && e.Level == LogLevel.Error).Select(e => e.Message)];

    /// <summary>The one tcplog line (fails unless there is exactly one).</summary>
    public TcpLog SingleLog() => Assert.Single(TcpLogs);

    /// <summary>Every current-session and queue counter is back to 0: frontend, backend, servers, runtime.</summary>
    public void AssertAllReleased()
    {
        foreach (var row in Proxy.GetStats())
        {
            Assert.True(row.CurrentSessions == 0, $"{row.ProxyName}/{row.ServiceName} scur {row.CurrentSessions}");
            Assert.True(row.QueueCurrent is null or 0, $"{row.ProxyName}/{row.ServiceName} qcur {row.QueueCurrent}");
        }

        foreach (var server in Backend.Servers)
        {
            Assert.Equal(0, server.Active);
            Assert.Empty(server.SnapshotSessions());
        }

        Assert.Equal(0, Backend.QueueLength);
        Assert.Equal(0, Runtime.ActiveConnections);
    }

    /// <summary>Waits for what a pool thread does: the backend's queue answers its waiters asynchronously.</summary>
    public static void Until(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                Assert.Fail("Timed out waiting for " + what);
            }

            Thread.Sleep(1);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        Meters.Dispose();
    }

    internal sealed class RigMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public bool Owns(Meter meter)
        {
            lock (_meters)
            {
                return _meters.Contains(meter);
            }
        }

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            lock (_meters)
            {
                _meters.Add(meter);
            }

            return meter;
        }

        public void Dispose()
        {
            lock (_meters)
            {
                _meters.ForEach(m => m.Dispose());
            }
        }
    }

    /// <summary>One tcplog line: the formatted text and its fields.</summary>
    internal sealed class TcpLog(string message, IReadOnlyList<KeyValuePair<string, object?>> state)
    {
        public string Message { get; } = message;

        public string Termination => Field("TerminationState");

        public string Retries => Field("Retries");

        public string ServerName => Field("Server");

        public string ClientAddress => Field("ClientAddress");

        public string ClientPort => Field("ClientPort");

        public long QueueMs => long.Parse(Field("QueueMs"), System.Globalization.CultureInfo.InvariantCulture);

        public long ConnectMs => long.Parse(Field("ConnectMs"), System.Globalization.CultureInfo.InvariantCulture);

        public long TotalMs => long.Parse(Field("TotalMs"), System.Globalization.CultureInfo.InvariantCulture);

        /// <summary>Server → client bytes (tcplog's %B).</summary>
        public long BytesRead => long.Parse(Field("BytesRead"), System.Globalization.CultureInfo.InvariantCulture);

        public long BytesUploaded => long.Parse(Field("BytesUploaded"), System.Globalization.CultureInfo.InvariantCulture);

        public string Field(string name) =>
            Convert.ToString(state.Single(p => p.Key == name).Value, System.Globalization.CultureInfo.InvariantCulture)!;

        public override string ToString() => Message;
    }
}
