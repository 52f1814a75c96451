using System.Net;
using Ha.Net.Testing.Logging;
using Ha.Net.Testing.Time;
using Ha.Net.Testing.Vrrp;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Hosting;

namespace Ha.Net.Vrrp.Tests.Hosting;

/// <summary>Real <see cref="VirtualRouterHost"/>s on a manual clock over an in-memory segment.</summary>
public sealed class HostRig : IAsyncDisposable
{
    public static readonly VirtualAddress Vip = new(IPAddress.Parse("198.18.0.100"), 32, "eth0");

    public ManualTimeProvider Clock { get; } = new();
    public VrrpSegment Segment { get; }
    public List<Node> Nodes { get; } = [];

    public HostRig(int seed = 1) => Segment = new VrrpSegment(Clock, seed);

    public sealed class Node
    {
        public required string Name { get; init; }
        public required IVirtualRouter Router { get; init; }
        public required VrrpSegmentTransport Transport { get; init; }
        public required RecordingAddressBinder Binder { get; init; }
        public required RecordingAnnouncer Announcer { get; init; }
        public required ListLoggerProvider Logs { get; init; }
        public List<VirtualRouterStateChangedEventArgs> Events { get; } = [];
        public VirtualRouterState State => Router.State;
        internal VirtualRouterHost Host => (VirtualRouterHost)Router;
    }

    public Node Add(string address, int priority, Action<VirtualRouterOptions>? configure = null)
    {
        var options = new VirtualRouterOptions
        {
            InstanceName = "VI_1",
            InterfaceName = "eth0",
            VirtualRouterId = 51,
            Priority = priority,
            VirtualAddresses = [Vip],
        };
        configure?.Invoke(options);
        var transport = Segment.Attach(IPAddress.Parse(address));
        var binder = new RecordingAddressBinder();
        var announcer = new RecordingAnnouncer();
        var logs = new ListLoggerProvider();
        var router = VirtualRouter.Create(options, transport, binder, announcer, Clock, logs);
        var node = new Node { Name = address, Router = router, Transport = transport, Binder = binder, Announcer = announcer, Logs = logs };
        router.StateChanged += (_, e) => node.Events.Add(e);
        Nodes.Add(node);
        return node;
    }

    /// <summary>Lets every host handle everything queued, including adverts in flight with zero delay.</summary>
    /// <remarks>
    /// Each round first waits until every host has taken what was delivered to it (and posted it to its
    /// loop), then flushes the loops; it is settled when that sent nothing and left nothing undelivered.
    /// </remarks>
    public async Task SettleAsync()
    {
        for (var round = 0; round < 200; round++)
        {
            var sent = Segment.SentCount;
            if (!await WaitIdleAsync())
            {
                continue;
            }

            foreach (var n in Nodes)
            {
                await n.Host.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }

            if (Segment.SentCount == sent && Segment.AllIdle)
            {
                return;
            }
        }

        throw new TimeoutException("the segment did not settle");
    }

    private async Task<bool> WaitIdleAsync()
    {
        for (var i = 0; i < 10_000; i++)
        {
            if (Segment.AllIdle)
            {
                return true;
            }

            await Task.Delay(1);
        }

        return false;
    }

    /// <summary>Advances the clock in 10 ms steps, settling after each.</summary>
    public async Task RunAsync(TimeSpan duration)
    {
        var end = Clock.Elapsed + duration;
        await SettleAsync();
        while (Clock.Elapsed < end)
        {
            var step = end - Clock.Elapsed;
            Clock.Advance(step < TimeSpan.FromMilliseconds(10) ? step : TimeSpan.FromMilliseconds(10));
            await SettleAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var n in Nodes)
        {
            await n.Router.DisposeAsync();
        }
    }
}
