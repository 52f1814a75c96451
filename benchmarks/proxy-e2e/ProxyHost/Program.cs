using System.Net;
using System.Runtime;
using System.Runtime.InteropServices;
using Ha.Net.Proxy;
using Ha.Net.Proxy.Configuration;

// ProxyHost LISTEN=SERVER[,SERVER...] [LISTEN=SERVER ...] [--balance roundrobin|leastconn] [--buffer BYTES]
// One frontend per LISTEN=SERVERS pair, mode tcp, like:
//   frontend fN / bind LISTEN / default_backend bN; backend bN / server sK SERVER
// SIGHUP prints "splice <bytes spliced> total <bytes in + out>" (the FRONTEND rows, since start),
// "pipes used <n> free <n> max <n>" (GetInfo), then "heap <bytes> active <connections>" after a
// full GC (idle-memory measurement); the heap line comes last, so a reader that waits for it
// finds the others already written.
var pairs = new List<(IPEndPoint Listen, IPEndPoint[] Servers)>();
var balance = BalanceAlgorithm.RoundRobin;
int? buffer = null; // default: the library's ProxyOptions.BufferSize
int? pipeSize = null; // default: the library's ProxyOptions.PipeSize (experiments only)
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--balance":
            balance = args[++i] == "leastconn" ? BalanceAlgorithm.LeastConnections : BalanceAlgorithm.RoundRobin;
            break;
        case "--buffer":
            buffer = int.Parse(args[++i]);
            break;
        case "--pipesize":
            pipeSize = int.Parse(args[++i]);
            break;
        default:
            var parts = args[i].Split('=');
            pairs.Add((IPEndPoint.Parse(parts[0]), [.. parts[1].Split(',').Select(IPEndPoint.Parse)]));
            break;
    }
}

if (pairs.Count == 0)
{
    Console.Error.WriteLine("usage: ProxyHost LISTEN=SERVER[,SERVER...] ... [--balance roundrobin|leastconn] [--buffer BYTES]");
    return 2;
}

var options = new ProxyOptions
{
    // What fits in the 20,000 descriptors run.sh gets (2 per connection, 2 per pipe, a reserve of 100):
    // a larger maxconn is refused at start, as HAProxy refuses it ("Cannot raise FD limit").
    MaxConnections = 9_800,
    MaxPipes = 64,
    HardStopAfter = TimeSpan.FromSeconds(1),
    Frontends = [.. pairs.Select((p, i) => new FrontendOptions
    {
        Name = "f" + i,
        Bind = p.Listen,
        Backend = "b" + i,
        Backlog = 4096,
        ClientTimeout = TimeSpan.FromMinutes(5),
    })],
    Backends = [.. pairs.Select((p, i) => new BackendOptions
    {
        Name = "b" + i,
        Balance = balance,
        ServerTimeout = TimeSpan.FromMinutes(5),
        Servers = [.. p.Servers.Select((s, k) => new ServerOptions { Name = "s" + k, Address = s })],
    })],
};
if (buffer is { } bytes)
{
    options = options with { BufferSize = bytes };
}

if (pipeSize is { } size)
{
    options = options with { PipeSize = size };
}

// HANET_ALLOC_SAMPLE=1: the runtime's allocation ticks (one per ~100 KB allocated) counted by type, printed on SIGHUP:
// which types the per-connection bytes are.
using var allocations = Environment.GetEnvironmentVariable("HANET_ALLOC_SAMPLE") == "1" ? new AllocationSampler() : null;

await using var proxy = TcpProxyFactory.Create(options);
await proxy.StartAsync();
Console.WriteLine($"ready pid {Environment.ProcessId} gc {(GCSettings.IsServerGC ? "server" : "workstation")} cpus {Environment.ProcessorCount}");

var stop = new TaskCompletionSource();
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c =>
{
    c.Cancel = true;
    var frontends = proxy.GetStats().Where(r => r.ServiceName == "FRONTEND").ToList();
    Console.WriteLine($"splice {frontends.Sum(r => r.BytesSpliced)} total {frontends.Sum(r => r.BytesIn + r.BytesOut)}");
    var info = proxy.GetInfo();
    Console.WriteLine($"pipes used {info.PipesUsed} free {info.PipesFree} max {info.MaxPipes}");
    allocations?.Print();
    Console.WriteLine($"gc0 {GC.CollectionCount(0)} gc1 {GC.CollectionCount(1)} gc2 {GC.CollectionCount(2)} allocated {GC.GetTotalAllocatedBytes(precise: true)}");
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    long active = proxy.GetStats().Where(r => r.ServiceName == "FRONTEND").Sum(r => r.CurrentSessions);
    Console.WriteLine($"heap {GC.GetTotalMemory(false)} active {active}");
});
await stop.Task;
await proxy.StopAsync();
return 0;

/// <summary>Counts GCAllocationTick events (Microsoft-Windows-DotNETRuntime, GC keyword, verbose) by allocated type.</summary>
internal sealed class AllocationSampler : System.Diagnostics.Tracing.EventListener
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _bytes = new();

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
    {
        if (e.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.PayloadNames is null)
        {
            return;
        }

        var type = e.PayloadNames.IndexOf("TypeName") is var t and >= 0 ? e.Payload![t] as string ?? "?" : "?";
        var amount = e.PayloadNames.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(e.Payload![a]) : 100_000;
        _bytes.AddOrUpdate(type, amount, (_, v) => v + amount);
    }

    public void Print()
    {
        foreach (var (type, bytes) in _bytes.OrderByDescending(p => p.Value).Take(25))
        {
            Console.WriteLine($"alloc {bytes,12} {type}");
        }
    }
}
