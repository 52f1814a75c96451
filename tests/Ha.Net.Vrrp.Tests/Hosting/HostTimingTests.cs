using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Hosting;
using Ha.Net.Vrrp.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Ha.Net.Vrrp.Tests.Hosting;

/// <summary>
/// #18: what the host does between a decision and its syscalls, on FakeTimeProvider. One journal records, in order,
/// every advert sent, every address change, every gratuitous ARP and every log line of one router.
/// </summary>
public class HostTimingTests
{
    private static readonly IPAddress Local = IPAddress.Parse("198.18.0.1");

    private sealed class Journal : ILoggerFactory, ILoggerProvider, IVrrpTransport, IVirtualAddressBinder, IAddressAnnouncer
    {
        public FakeTimeProvider Clock { get; } = new();

        /// <summary>How much time has passed on the clock.</summary>
        public TimeSpan Elapsed => Clock.GetUtcNow() - Clock.Start;

        public ConcurrentQueue<string> Entries { get; } = new();

        /// <summary>When each advert was sent (clock time) and with which priority.</summary>
        public ConcurrentQueue<(TimeSpan At, byte Priority)> Adverts { get; } = new();

        public IPAddress LocalAddress => Local;

        /// <summary>When each advert was sent by the machine's clock (Stopwatch ticks), for routers on the system clock.</summary>
        public ConcurrentQueue<long> SentAt { get; } = new();

        public ValueTask SendAsync(ReadOnlyMemory<byte> message, IPAddress destination, CancellationToken cancellationToken)
        {
            SentAt.Enqueue(System.Diagnostics.Stopwatch.GetTimestamp());
            Adverts.Enqueue((Elapsed, message.Span[2]));
            Entries.Enqueue($"send {message.Span[2]}");
            return ValueTask.CompletedTask;
        }

        public async ValueTask<VrrpReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new OperationCanceledException();
        }

        public ValueTask AddAsync(VirtualAddress address, CancellationToken cancellationToken)
        {
            Entries.Enqueue($"add {address.Address}");
            return ValueTask.CompletedTask;
        }

        public ValueTask RemoveAsync(VirtualAddress address, CancellationToken cancellationToken)
        {
            Entries.Enqueue($"remove {address.Address}");
            return ValueTask.CompletedTask;
        }

        public ValueTask AnnounceAsync(VirtualAddress address, CancellationToken cancellationToken)
        {
            Entries.Enqueue($"garp {address.Address}");
            return ValueTask.CompletedTask;
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        public void Dispose()
        {
        }

        private sealed class Logger(Journal journal) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    journal.Entries.Enqueue("log " + formatter(state, exception));
                }
            }
        }
    }

    private static (Journal Journal, IVirtualRouter Router) Create(Action<VirtualRouterOptions>? configure = null, IMeterFactory? meters = null, TimeProvider? clock = null)
    {
        var journal = new Journal();
        var options = new VirtualRouterOptions
        {
            InstanceName = "VI_1",
            InterfaceName = "eth0",
            VirtualRouterId = 51,
            Priority = 150,
            AdvertisementInterval = TimeSpan.FromSeconds(1),
            GarpMasterDelay = TimeSpan.Zero,
            VirtualAddresses = [new VirtualAddress(IPAddress.Parse("198.18.0.100"), 32, "eth0")],
        };
        configure?.Invoke(options);
        return (journal, VirtualRouter.Create(options, journal, journal, journal, clock ?? journal.Clock, journal, meters));
    }

    private static async Task RunAsync(Journal journal, IVirtualRouter router, TimeSpan duration, TimeSpan step)
    {
        var host = (VirtualRouterHost)router;
        var end = journal.Elapsed + duration;
        await host.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 100_000 && journal.Elapsed < end; i++)
        {
            journal.Clock.Advance(step);
            await host.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task BecomingMaster_AdvertVipAndGarpsGoOutBeforeAnyLogLine_InTheMachinesOrder()
    {
        var (journal, router) = Create();
        await using (router)
        {
            await router.StartAsync();
            await RunAsync(journal, router, TimeSpan.FromSeconds(3.5), TimeSpan.FromMilliseconds(10));
            Assert.Equal(VirtualRouterState.Master, router.State);

            var entries = journal.Entries.SkipWhile(e => e != "log (VI_1) Entering BACKUP STATE (init)").Skip(1).Take(11).ToArray();
            Assert.Equal(
            [
                "send 150",
                "add 198.18.0.100",
                "garp 198.18.0.100", "garp 198.18.0.100", "garp 198.18.0.100", "garp 198.18.0.100", "garp 198.18.0.100",
                "log (VI_1) Receive advertisement timeout",
                "log (VI_1) Entering MASTER STATE",
                "log (VI_1) setting VIPs.",
                "log (VI_1) Sending/queueing gratuitous ARPs on eth0 for 198.18.0.100",
            ], entries);
        }
    }

    [Fact]
    public async Task StopAsMaster_PriorityZeroAndVipRemovalGoOutFirst_ThenTheLogLines()
    {
        var (journal, router) = Create();
        await using (router)
        {
            await router.StartAsync();
            await RunAsync(journal, router, TimeSpan.FromSeconds(4), TimeSpan.FromMilliseconds(10));
            Assert.Equal(VirtualRouterState.Master, router.State);
            var before = journal.Entries.Count;

            await router.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(
            [
                "send 0",
                "remove 198.18.0.100",
                "log (VI_1) Stopped",
                "log (VI_1) removing VIPs.",
            ], journal.Entries.Skip(before).ToArray());
        }
    }

    [Fact]
    public async Task LateWakeUps_KeepAdvertsOnTheGrid_AndTheLatenessIsRecorded()
    {
        var lateness = new ConcurrentQueue<double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == VrrpMetricNames.MeterName && i.Name == VrrpMetricNames.TimerLateness)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) =>
        {
            foreach (var t in tags)
            {
                if (t.Key == VrrpMetricNames.InstanceTag && (string?)t.Value == "VI_LATE")
                {
                    lateness.Enqueue(v);
                }
            }
        });
        listener.Start();

        var (journal, router) = Create(o => o.InstanceName = "VI_LATE");
        await using (router)
        {
            await router.StartAsync();

            // The clock moves in 300 ms steps, so each wake-up is up to 300 ms late. Adverts stay on master + k × 1 s:
            // had each been re-armed at wake-up + 1 s, the period would be 1.2 s and 30 s would hold 25 of them.
            await RunAsync(journal, router, TimeSpan.FromSeconds(3.6), TimeSpan.FromMilliseconds(300));
            Assert.Equal(VirtualRouterState.Master, router.State);
            var first = journal.Adverts.First().At;
            journal.Adverts.Clear();
            await RunAsync(journal, router, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(300));

            // The grid's origin is the deadline the first advert was due at, which lies up to 300 ms before it was sent
            // (that wake-up was late too). Each advert's place on the grid is its whole number of seconds from the first;
            // all of them, the first included, must fall within one 300 ms window of lateness after their slot.
            var adverts = journal.Adverts.ToArray();
            Assert.InRange(adverts.Length, 29, 30);
            var offsets = new List<double>();
            foreach (var (at, priority) in adverts)
            {
                Assert.Equal(150, priority);
                var sinceFirst = (at - first).TotalSeconds;
                offsets.Add(sinceFirst - Math.Round(sinceFirst));
            }

            offsets.Add(0); // the first advert itself
            Assert.InRange(offsets.Max() - offsets.Min(), 0, 0.3001); // 100 ns rounding

            Assert.NotEmpty(lateness);
            Assert.All(lateness, v => Assert.InRange(v, 0, 0.301)); // timestamps count in 100 ns ticks
            Assert.Contains(lateness, v => v > 0);
        }
    }

    [Fact]
    public void PreciseSleep_SleepsAtLeastWhatItIsAsked_BelowAMillisecond()
    {
        Assert.Equal(OperatingSystem.IsLinux(), PreciseSleep.IsSupported);
        if (!PreciseSleep.IsSupported)
        {
            return;
        }

        for (var i = 0; i < 20; i++)
        {
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            PreciseSleep.Sleep(TimeSpan.FromMicroseconds(300));
            Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(start) >= TimeSpan.FromMicroseconds(300));
        }

        PreciseSleep.Sleep(TimeSpan.Zero); // nothing to sleep: returns
        PreciseSleep.Sleep(TimeSpan.FromTicks(-5));
    }

    /// <summary>
    /// On the system clock the loop waits whole milliseconds rounded down and sleeps the fraction precisely: adverts at
    /// 30 ms (VRRPv3) keep their pace and never come faster than the grid allows (an early wake that fired the deadline
    /// before its time, or a loop that spun through it, would send more).
    /// </summary>
    [Fact]
    public async Task SystemClock_AdvertsKeepTheirGrid_WithSubMillisecondWaits()
    {
        var (journal, router) = Create(
            o =>
            {
                o.InstanceName = "VI_REAL";
                o.Version = Ha.Net.Vrrp.Wire.VrrpVersion.V3;
                o.Priority = 255; // owner: master at once, then an advert every 30 ms
                o.AdvertisementInterval = TimeSpan.FromMilliseconds(30);
            },
            clock: TimeProvider.System);
        await using (router)
        {
            await router.StartAsync();
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            var sent = journal.SentAt.ToArray();
            await router.StopAsync();

            Assert.True(sent.Length >= 2, $"{sent.Length} adverts in 1.5 s at 30 ms");
            var span = System.Diagnostics.Stopwatch.GetElapsedTime(sent[0], sent[^1]);
            // On the grid, n adverts need at least (n - 1) intervals; a loaded machine sends fewer, never more.
            Assert.True(span >= TimeSpan.FromMilliseconds(30 * (sent.Length - 1)) - TimeSpan.FromMilliseconds(1), $"{sent.Length} adverts in {span.TotalMilliseconds:0.0} ms");
            Assert.True(sent.Length >= 10, $"{sent.Length} adverts in 1.5 s at 30 ms");
        }
    }
}
