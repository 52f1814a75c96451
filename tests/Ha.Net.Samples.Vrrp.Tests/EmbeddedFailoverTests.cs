using System.Collections.Concurrent;
using System.Net;
using Ha.Net.Samples.EmbeddedFailover;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Hosting;
using Ha.Net.Vrrp.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.Vrrp.Tests;

/// <summary>
/// The EmbeddedFailover sample's composition, in-process: two Generic Hosts on one in-memory network
/// (Ha.Net.Vrrp.Testing, fake clock), each with <c>AddInMemoryVrrp</c>, the sample's instance and a
/// <see cref="MasterOnlyService"/>; the work runs on exactly the node that is MASTER.
/// </summary>
public sealed class EmbeddedFailoverTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("198.18.0.100/24")]
    [InlineData(null)] // no virtual address: an election only
    public async Task Work_starts_on_master_stops_on_backup_and_moves_on_failover(string? vip)
    {
        await using var network = new InMemoryVrrpNetwork();
        var b = Build(network, "198.18.0.2", 100, vip);
        var a = Build(network, "198.18.0.1", 150, vip);
        try
        {
            // B alone: it becomes MASTER after the down timer and its work starts.
            await b.Host.StartAsync();
            await network.AdvanceAsync(TimeSpan.FromSeconds(5));
            await Until(() => b.Work.Starts == 1, "B's work never started");
            Assert.Equal(VirtualRouterState.Master, Router(b).State);

            // A (higher priority, preempt) joins: B goes BACKUP and its work is cancelled; A's starts.
            await a.Host.StartAsync();
            await network.AdvanceAsync(TimeSpan.FromSeconds(5));
            await Until(() => a.Work.Starts == 1, "A's work never started");
            await Until(() => b.Work.Stops == 1, "B's work was never cancelled");
            Assert.Equal(VirtualRouterState.Backup, Router(b).State);
            Assert.False(b.Work.IsRunning);
            Assert.True(a.Work.IsRunning);
            Assert.Equal(0, b.Work.Overlaps + a.Work.Overlaps);

            // A stops (priority 0): its work is cancelled, B takes over and runs the work again.
            await a.Host.StopAsync();
            Assert.Equal(1, a.Work.Stops);
            await network.AdvanceAsync(TimeSpan.FromSeconds(2));
            await Until(() => b.Work.Starts == 2, "B's work never restarted after A stopped");
            Assert.Equal(VirtualRouterState.Master, Router(b).State);
            Assert.Equal(["start", "stop", "start"], b.Work.Events);
            var binder = b.Host.Services.GetRequiredService<InMemoryAddressBinder>();
            Assert.Equal(vip is null ? [] : [IPAddress.Parse("198.18.0.100")], binder.Bound);
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

    private static (IHost Host, RecordingWork Work) Build(InMemoryVrrpNetwork network, string address, int priority, string? vip)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        builder.Services.AddInMemoryVrrp(network, IPAddress.Parse(address));
        builder.Services.AddVrrp(o => o.Instances.Add(Program.Instance("sim0", vip, priority, 51)));
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

    private sealed class RecordingWork(IVirtualRouterCollection routers) : MasterOnlyService(routers[Program.InstanceName])
    {
        private int _active;

        public ConcurrentQueue<string> Events { get; } = new();

        public int Starts => Events.Count(e => e == "start");

        public int Stops => Events.Count(e => e == "stop");

        public bool IsRunning => Volatile.Read(ref _active) > 0;

        public int Overlaps { get; private set; }

        protected override async Task ExecuteWhileMasterAsync(CancellationToken leadership)
        {
            if (Interlocked.Increment(ref _active) > 1)
            {
                Overlaps++;
            }

            Events.Enqueue("start");
            try
            {
                await Task.Delay(Timeout.Infinite, leadership);
            }
            finally
            {
                Interlocked.Decrement(ref _active);
                Events.Enqueue("stop");
            }
        }
    }
}
