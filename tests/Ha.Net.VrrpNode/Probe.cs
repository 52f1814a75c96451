using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Ha.Net.VrrpNode;

/// <summary>
/// <c>probe IP:PORT SECONDS [INTERVAL_MS] [TIMEOUT_MS]</c>: starts a TCP connect to the target every interval
/// (default 10 ms; each attempt gives up after the timeout, default 500 ms, below the 1 s SYN retransmit),
/// then prints one line per outage — a run of failed attempts, measured from the start of the last
/// successful attempt before it to the start of the first successful one after it — and a summary:
/// <c>OUTAGE start_ms=… duration_ms=… failed=…</c>, <c>PROBE attempts=… failed=… max_outage_ms=…</c>.
/// Times are milliseconds since the probe started; the probe prints <c>PROBE started unix_ms=…</c> first.
/// </summary>
internal static class Probe
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Errors = new();

    public static async Task<int> RunAsync(string[] args)
    {
        var target = IPEndPoint.Parse(args[1]);
        var duration = TimeSpan.FromSeconds(double.Parse(args[2], CultureInfo.InvariantCulture));
        var interval = TimeSpan.FromMilliseconds(args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 10);
        var timeout = TimeSpan.FromMilliseconds(args.Length > 4 ? double.Parse(args[4], CultureInfo.InvariantCulture) : 500);
        Console.WriteLine($"PROBE started unix_ms={DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}");
        var clock = Stopwatch.StartNew();
        var attempts = new List<Task<(double StartMs, bool Ok)>>();
        Errors.Clear();
        using var timer = new PeriodicTimer(interval);
        do
        {
            attempts.Add(Attempt(target, clock, timeout));
        }
        while (clock.Elapsed < duration && await timer.WaitForNextTickAsync());

        var results = (await Task.WhenAll(attempts)).OrderBy(r => r.StartMs).ToList();
        double? lastOk = null;
        double maxOutage = 0;
        var failedRun = 0;
        var failedTotal = 0;
        foreach (var (start, ok) in results)
        {
            if (!ok)
            {
                failedRun++;
                failedTotal++;
                continue;
            }

            if (failedRun > 0)
            {
                var from = lastOk ?? 0;
                var outage = start - from;
                maxOutage = Math.Max(maxOutage, outage);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"OUTAGE start_ms={from:0} duration_ms={outage:0} failed={failedRun}"));
            }

            failedRun = 0;
            lastOk = start;
        }

        if (failedRun > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"OUTAGE start_ms={lastOk ?? 0:0} duration_ms=unended failed={failedRun}"));
        }

        foreach (var (kind, count) in Errors)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ERRORS {kind}={count}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PROBE attempts={results.Count} failed={failedTotal} max_outage_ms={maxOutage:0} unended={(failedRun > 0 ? 1 : 0)}"));
        return 0;
    }

    private static async Task<(double, bool)> Attempt(IPEndPoint target, Stopwatch clock, TimeSpan timeout)
    {
        var start = clock.Elapsed.TotalMilliseconds;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(target, cts.Token);
            socket.Close(0);
            return (start, true);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            Errors.AddOrUpdate(ex is SocketException se ? se.SocketErrorCode.ToString() : "Timeout", 1, (_, n) => n + 1);
            return (start, false);
        }
    }
}
