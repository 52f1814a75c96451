using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Ha.Net.HealthChecks;
using Ha.Net.HealthChecks.Probes;

namespace Ha.Net.Benchmarks.HealthChecks;

/// <summary>
/// 1,000 TCP targets on loopback (1,000 listening ports) checked every second by one scheduler on
/// the real clock, for <see cref="Seconds"/> seconds after a warm-up: CPU% of one core (process CPU
/// time / wall time, from <see cref="Process.TotalProcessorTime"/>, which is /proc/self/stat's
/// utime+stime), checks per second, bytes allocated per check, threads. The listeners' accept
/// loops run in the same process, so the CPU figure includes the "servers" too: an upper bound.
/// <code>dotnet run -c Release --project benchmarks/Ha.Net.Benchmarks -- --filter '*LoopbackCpuBenchmark*'</code>
/// The figures are printed as a "HEALTH-CPU" line and written to BenchmarkDotNet.Artifacts/health-cpu.txt.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 1, invocationCount: 1)]
public class LoopbackCpuBenchmark
{
    /// <summary>How many targets.</summary>
    [Params(1000)]
    public int Targets { get; set; }

    /// <summary>How long to measure.</summary>
    public int Seconds { get; set; } = int.TryParse(Environment.GetEnvironmentVariable("HANET_HEALTH_CPU_SECONDS"), CultureInfo.InvariantCulture, out var s) ? s : 20;

    /// <summary>utime and stime of this process in seconds (/proc/self/stat fields 14 and 15, in clock ticks of 1/100 s).</summary>
    private static (double User, double System) ProcStat()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (double.Parse(fields[11], CultureInfo.InvariantCulture) / 100, double.Parse(fields[12], CultureInfo.InvariantCulture) / 100);
    }

    [Benchmark]
    public async Task ThousandTargetsAtOneSecond()
    {
        using var stop = new CancellationTokenSource();
        var listeners = new List<Socket>();
        // HANET_HEALTH_RESOLUTION_MS: the scheduler's deadline grid (default 10 ms).
        var resolution = int.TryParse(Environment.GetEnvironmentVariable("HANET_HEALTH_RESOLUTION_MS"), CultureInfo.InvariantCulture, out var ms)
            ? TimeSpan.FromMilliseconds(ms) : HealthCheckScheduler.DefaultTimerResolution;
        await using var scheduler = HealthCheckScheduler.Create(null, null, null, null, resolution);
        try
        {
            // HANET_HEALTH_TARGET_PORTS=first-last: the targets are listeners of another process
            // (loopback-listeners.py), so only the checker's CPU is measured.
            var external = Environment.GetEnvironmentVariable("HANET_HEALTH_TARGET_PORTS")?.Split('-');
            for (var i = 0; i < Targets; i++)
            {
                EndPoint target;
                if (external is { Length: 2 })
                {
                    target = new IPEndPoint(IPAddress.Loopback, int.Parse(external[0], CultureInfo.InvariantCulture) + i);
                }
                else
                {
                    var l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    l.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                    l.Listen(64);
                    listeners.Add(l);
                    _ = ProbeAllocationBenchmarks.AcceptLoop(l, stop.Token);
                    target = l.LocalEndPoint!;
                }

                scheduler.Add("t" + i, HealthProbes.Tcp(new TcpProbeOptions { EndPoint = target }),
                    new HealthMonitorOptions { Interval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromSeconds(1) });
            }

            await Task.Delay(TimeSpan.FromSeconds(3)); // start jitter spreads the first checks over 1 s; settle
            var process = Process.GetCurrentProcess();
            long Checks() => scheduler.Monitors.Sum(m => m.Snapshot.ChecksCompleted);
            var checks0 = Checks();
            var alloc0 = GC.GetTotalAllocatedBytes(precise: true);
            var gc0 = GC.CollectionCount(0);
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var (user0, sys0) = ProcStat();
            var wall = Stopwatch.StartNew();

            await Task.Delay(TimeSpan.FromSeconds(Seconds));

            process.Refresh();
            var cpu = process.TotalProcessorTime - cpu0;
            var (user1, sys1) = ProcStat();
            var elapsed = wall.Elapsed;
            var alloc = GC.GetTotalAllocatedBytes(precise: true) - alloc0;
            var checks = Checks() - checks0;
            var up = scheduler.Monitors.Count(m => m.State == HealthState.Up);
            var line = string.Create(CultureInfo.InvariantCulture,
                $"HEALTH-CPU targets={Targets} grid={resolution.TotalMilliseconds}ms servers={(external is null ? "in-process" : "external")} seconds={elapsed.TotalSeconds:0.0} checks={checks} checks/s={checks / elapsed.TotalSeconds:0} " +
                $"cpu%={100 * cpu.TotalSeconds / elapsed.TotalSeconds:0.00} (user {100 * (user1 - user0) / elapsed.TotalSeconds:0.00} + system {100 * (sys1 - sys0) / elapsed.TotalSeconds:0.00}) cpu-us/check={1e6 * cpu.TotalSeconds / Math.Max(1, checks):0.0} " +
                $"bytes/check={alloc / Math.Max(1, checks)} gen0={GC.CollectionCount(0) - gc0} threads={process.Threads.Count} up={up}/{Targets}");
            Console.WriteLine(line);
            Directory.CreateDirectory("BenchmarkDotNet.Artifacts");
            File.AppendAllText(Path.Combine("BenchmarkDotNet.Artifacts", "health-cpu.txt"), DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture) + " " + line + Environment.NewLine);
        }
        finally
        {
            stop.Cancel();
            listeners.ForEach(l => l.Dispose());
        }
    }
}
