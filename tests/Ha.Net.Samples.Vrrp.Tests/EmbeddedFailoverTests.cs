using System.Collections.Concurrent;
using System.Net;
using Ha.Net.Samples.EmbeddedFailover;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.Vrrp.Tests;

/// <summary>
/// The EmbeddedFailover sample's primitive, in-process: two Generic Hosts on one in-memory network, each with
/// <c>AddVrrp</c> and a <see cref="MasterOnlyService"/>; the work runs on exactly the node that is MASTER.
/// </summary>
public sealed class EmbeddedFailoverTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Work_starts_on_master_stops_on_backup_and_moves_on_failover()
    {
        var network = new InMemoryVrrpNetwork();
        var b = Build(network, "198.18.0.2", 100);
        var a = Build(network, "198.18.0.1", 150);
        try
        {
            // B alone: it becomes MASTER after the down timer and its work starts.
            await b.Host.StartAsync();
            await Until(() => b.Work.Starts == 1, "B's work never started");
            Assert.Equal(VirtualRouterState.Master, Router(b).State);

            // A (higher priority, preempt) joins: B goes BACKUP and its work is cancelled; A's starts.
            await a.Host.StartAsync();
            await Until(() => a.Work.Starts == 1, "A's work never started");
            await Until(() => b.Work.Stops == 1, "B's work was never cancelled");
            Assert.Equal(VirtualRouterState.Backup, Router(b).State);
            Assert.False(b.Work.IsRunning);
            Assert.True(a.Work.IsRunning);
            Assert.Equal(0, b.Work.Overlaps + a.Work.Overlaps);

            // A stops (priority 0): its work is cancelled, B takes over and runs the work again.
            await a.Host.StopAsync();
            Assert.Equal(1, a.Work.Stops);
            await Until(() => b.Work.Starts == 2, "B's work never restarted after A stopped");
            Assert.Equal(VirtualRouterState.Master, Router(b).State);
            Assert.Equal(["start", "stop", "start"], b.Work.Events);
        }
        finally
        {
            await StopQuietly(a.Host);
            await StopQuietly(b.Host);
            a.Host.Dispose();
            b.Host.Dispose();
        }
    }

    private static IVirtualRouter Router((IHost Host, RecordingWork Work) node) =>
        node.Host.Services.GetRequiredService<IVirtualRouterCollection>()[Program.InstanceName];

    private static (IHost Host, RecordingWork Work) Build(InMemoryVrrpNetwork network, string address, int priority)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        builder.Services.AddVrrp(o => o.Instances.Add(Program.Instance("sim0", "198.18.0.100/24", priority, 51)));
        builder.Services.AddInMemoryVrrpBackend(network, IPAddress.Parse(address));
        builder.Services.AddSingleton<RecordingWork>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RecordingWork>());
        var host = builder.Build();
        return (host, host.Services.GetRequiredService<RecordingWork>());
    }

    private static async Task Until(Func<bool> condition, string message)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, message);
            await Task.Delay(20);
        }
    }

    private static async Task StopQuietly(IHost host)
    {
        using var cts = new CancellationTokenSource(Bound);
        try
        {
            await host.StopAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed class RecordingWork(IVirtualRouterCollection routers, ILogger<RecordingWork> logger)
        : MasterOnlyService(routers, Program.InstanceName, logger)
    {
        private int _active;

        public ConcurrentQueue<string> Events { get; } = new();

        public int Starts => Events.Count(e => e == "start");

        public int Stops => Events.Count(e => e == "stop");

        public int Overlaps { get; private set; }

        protected override async Task RunWhileMasterAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _active) > 1)
            {
                Overlaps++;
            }

            Events.Enqueue("start");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _active);
                Events.Enqueue("stop");
            }
        }
    }
}
