using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Ha.Net.HealthChecks;
using Ha.Net.HealthChecks.Probes;
using Microsoft.Extensions.Time.Testing;

namespace Ha.Net.Benchmarks.HealthChecks;

/// <summary>
/// Allocations and time per probe: one TCP connect check against a loopback listener, and the
/// scheduler's own cost per check (1,000 monitors with a synchronous probe on FakeTimeProvider).
/// <code>dotnet run -c Release --project benchmarks/Ha.Net.Benchmarks -- --filter '*ProbeAllocationBenchmarks*'</code>
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class ProbeAllocationBenchmarks : IDisposable
{
    private const int Monitors = 1000;
    private Socket _listener = null!;
    private CancellationTokenSource _stop = null!;
    private IHealthProbe _tcp = null!;
    private FakeTimeProvider _clock = null!;
    private IHealthCheckScheduler _scheduler = null!;

    [GlobalSetup]
    public void Setup()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(4096);
        _stop = new CancellationTokenSource();
        _ = AcceptLoop(_listener, _stop.Token);
        _tcp = HealthProbes.Tcp(new TcpProbeOptions { EndPoint = _listener.LocalEndPoint! });

        _clock = new FakeTimeProvider();
        _scheduler = HealthCheckScheduler.Create(_clock, new Random(1));
        var probe = new PassingProbe();
        for (var i = 0; i < Monitors; i++)
        {
            _scheduler.Add("m" + i, probe, new HealthMonitorOptions { Interval = TimeSpan.FromSeconds(1) });
        }

        _clock.Advance(TimeSpan.FromSeconds(2)); // past the start jitter, into the steady state
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop.Cancel();
        _listener.Dispose();
        _scheduler.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        _stop?.Dispose();
        _listener?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>One TCP connect check (connect, RST close) on loopback.</summary>
    [Benchmark]
    public async Task<CheckResult> TcpProbe() => await _tcp.ProbeAsync(CancellationToken.None);

    /// <summary>The scheduler's cost per check: queue, timeout entry, rise/fall, reschedule (probe completes synchronously).</summary>
    [Benchmark(OperationsPerInvoke = Monitors)]
    public void SchedulerPerCheck() => _clock.Advance(TimeSpan.FromSeconds(1));

    internal static async Task AcceptLoop(Socket listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var s = await listener.AcceptAsync(stop);
                s.Dispose();
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
        }
    }

    private sealed class PassingProbe : IHealthProbe
    {
        private static readonly CheckResult Pass = new(CheckStatus.L4Ok, null, "ok", TimeSpan.Zero);

        public ValueTask<CheckResult> ProbeAsync(CancellationToken cancellationToken) => new(Pass);
    }
}
