using System.Collections.Concurrent;
using System.Net;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Hosting;
using Ha.Net.Vrrp.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Ha.Net.Vrrp.Tests.Leadership;

/// <summary>The leadership token, MasterOnlyService / AddMasterOnly and elections without a virtual address, on the in-memory network.</summary>
public sealed class LeadershipTests
{
    private static readonly VirtualAddress Vip = new(IPAddress.Parse("198.18.0.100"), 32, "lan0");
    private static readonly IPAddress A = IPAddress.Parse("198.18.0.1");
    private static readonly IPAddress B = IPAddress.Parse("198.18.0.2");

    private static VirtualRouterOptions Options(int priority, bool withVip = true) => new()
    {
        InstanceName = "VI_1",
        InterfaceName = "lan0",
        VirtualRouterId = 51,
        Priority = priority,
        VirtualAddresses = withVip ? [Vip] : [],
    };

    /// <summary>A router on the network with an in-memory binder; its binder's changes and the token's cancellation in one ordered log.</summary>
    private static (IVirtualRouter Router, InMemoryAddressBinder Binder, ConcurrentQueue<string> Log) Router(InMemoryVrrpNetwork lan, IPAddress address, int priority) =>
        Router(lan, address, Options(priority));

    private static (IVirtualRouter Router, InMemoryAddressBinder Binder, ConcurrentQueue<string> Log) Router(InMemoryVrrpNetwork lan, IPAddress address, VirtualRouterOptions options)
    {
        var binder = new InMemoryAddressBinder();
        var log = new ConcurrentQueue<string>();
        binder.Changed += (vip, bound) => log.Enqueue((bound ? "add " : "remove ") + vip);
        return (VirtualRouter.Create(options, lan.Attach(address), binder, binder, lan.TimeProvider), binder, log);
    }

    [Fact]
    public async Task GracefulStop_CancelsTheTokenBeforeTheVipIsRemoved()
    {
        await using var lan = new InMemoryVrrpNetwork();
        var (router, _, log) = Router(lan, A, 150);
        await using var _ = router;
        await router.StartAsync();
        await lan.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.True(router.TryGetLeadership(out var token));
        token.Register(() => log.Enqueue("leadership cancelled"));

        await router.StopAsync();

        Assert.True(token.IsCancellationRequested);
        Assert.False(router.TryGetLeadership(out var after));
        Assert.True(after.IsCancellationRequested);
        Assert.Equal(["add 198.18.0.100", "leadership cancelled", "remove 198.18.0.100"], log.ToArray());
    }

    [Fact]
    public async Task HandoverToABetterPeer_CancelsTheTokenBeforeTheVipIsRemoved_AndThePeerGetsItsOwn()
    {
        await using var lan = new InMemoryVrrpNetwork();
        var (low, _, lowLog) = Router(lan, A, 100);
        await using var _ = low;
        await low.StartAsync();
        await lan.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.True(low.TryGetLeadership(out var lowToken));
        lowToken.Register(() => lowLog.Enqueue("leadership cancelled"));

        var (high, highBinder, _) = Router(lan, B, 200);
        await using var __ = high;
        var acquired = high.AcquireLeadershipAsync();
        await high.StartAsync();
        Assert.False(acquired.IsCompleted);
        await lan.AdvanceAsync(TimeSpan.FromSeconds(5)); // B preempts after its down timer

        Assert.Equal(VirtualRouterState.Master, high.State);
        Assert.Equal(VirtualRouterState.Backup, low.State);
        Assert.True(lowToken.IsCancellationRequested);
        Assert.Equal(["add 198.18.0.100", "leadership cancelled", "remove 198.18.0.100"], lowLog.ToArray());
        var highToken = await acquired.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(highToken.IsCancellationRequested);
        Assert.Contains(Vip.Address, highBinder.Bound); // handed out only after the term's addresses were added
    }

    [Fact]
    public async Task AcquireLeadership_IsCancelledWhenTheRouterStopsWithoutBecomingMaster()
    {
        await using var lan = new InMemoryVrrpNetwork();
        var (router, _, _) = Router(lan, A, 100);
        await using var __ = router;
        await router.StartAsync();
        var waiting = router.AcquireLeadershipAsync();

        await router.StopAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => router.AcquireLeadershipAsync());
    }

    [Fact]
    public async Task EachTermHasItsOwnToken()
    {
        await using var lan = new InMemoryVrrpNetwork();
        var a = lan.AddNode(A, Options(150));
        var b = lan.AddNode(B, Options(100));
        await a.StartAsync();
        await b.StartAsync();
        await lan.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.True(a.Router.TryGetLeadership(out var first));

        lan.Partition([a], [b]);
        await lan.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.True(b.Router.TryGetLeadership(out var split)); // both sides are master while partitioned
        Assert.False(first.IsCancellationRequested);

        lan.Heal();
        await lan.AdvanceAsync(TimeSpan.FromSeconds(2));
        Assert.True(split.IsCancellationRequested);
        Assert.False(first.IsCancellationRequested);

        await a.CrashAsync();
        Assert.True(first.IsCancellationRequested);
        await lan.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.True(b.Router.TryGetLeadership(out var second));
        Assert.NotEqual(split, second);
        Assert.False(second.IsCancellationRequested);
    }

    [Fact]
    public async Task WithoutAVirtualAddress_OneNodeIsElected_AndTheAdvertsCarryNoAddress()
    {
        await using var lan = new InMemoryVrrpNetwork();
        var listener = lan.Attach(IPAddress.Parse("198.18.0.9"));
        var a = lan.AddNode(A, Options(150, withVip: false));
        var b = lan.AddNode(B, Options(100, withVip: false));
        await a.StartAsync();
        await b.StartAsync();
        await lan.AdvanceAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(VirtualRouterState.Master, a.Router.State);
        Assert.Equal(VirtualRouterState.Backup, b.Router.State);
        Assert.True(a.Router.TryGetLeadership(out _));
        Assert.False(b.Router.TryGetLeadership(out _));
        Assert.Empty(a.Binder.History);
        Assert.Equal(0, a.Binder.Announcements);
        Assert.True(b.Router.GetStatistics().AdvertisementsReceived > 0);
        Assert.All(b.Router.GetStatistics().AdvertisementsDropped.Values, d => Assert.Equal(0, d));

        var buffer = new byte[64];
        var advert = await listener.ReceiveAsync(buffer, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(A, advert.Source);
        Assert.Equal(0x21, buffer[0]); // v2 advertisement
        Assert.Equal(51, buffer[1]);
        Assert.Equal(150, buffer[2]);
        Assert.Equal(0, buffer[3]); // no address
        Assert.Equal(8 + 8, advert.BytesReceived); // header + authentication data, no address

        await a.StopAsync();
        await lan.AdvanceAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(VirtualRouterState.Master, b.Router.State);
        Assert.True(b.Router.TryGetLeadership(out _));
    }

    [Fact]
    public async Task AddMasterOnly_RunsTheWorkOnlyOnTheMaster_AndMovesItOnStop()
    {
        await using var lan = new InMemoryVrrpNetwork();
        await using var a = Machine(lan, A, 150);
        await using var b = Machine(lan, B, 100);
        await a.StartAsync();
        await b.StartAsync();
        await lan.AdvanceAsync(TimeSpan.FromSeconds(5));

        var workA = a.Services.GetRequiredService<CountingWorker>();
        var workB = b.Services.GetRequiredService<CountingWorker>();
        await Until(() => workA.Running);
        Assert.Equal(1, workA.Terms);
        Assert.Equal(0, workB.Terms);

        await a.StopAsync(); // graceful: A's work is cancelled, B takes over after Skew_Time
        Assert.False(workA.Running);
        Assert.Equal(1, workA.Cancelled);
        await lan.AdvanceAsync(TimeSpan.FromSeconds(2));
        await Until(() => workB.Running);
        Assert.Equal(1, workB.Terms);
        Assert.Equal(1, workA.Terms);
    }

    private static Task Until(Func<bool> condition) => Task.Run(async () =>
    {
        for (var i = 0; i < 3000 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "the condition did not hold within 30 s");
    });

    private static MachineHost Machine(InMemoryVrrpNetwork lan, IPAddress address, int priority)
    {
        var services = new ServiceCollection();
        services.AddInMemoryVrrp(lan, address);
        services.AddVrrp(o => o.Instances.Add(Options(priority)));
        services.AddMasterOnly<CountingWorker>("VI_1");
        return new MachineHost(services.BuildServiceProvider(), lan);
    }

    private sealed class MachineHost(ServiceProvider services, InMemoryVrrpNetwork lan) : IAsyncDisposable
    {
        public ServiceProvider Services { get; } = services;

        public async Task StartAsync()
        {
            foreach (var s in Services.GetServices<IHostedService>())
            {
                await s.StartAsync(CancellationToken.None);
            }

            await lan.SettleAsync();
        }

        public async Task StopAsync()
        {
            foreach (var s in Services.GetServices<IHostedService>().Reverse())
            {
                await s.StopAsync(CancellationToken.None);
            }

            await lan.SettleAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            await Services.DisposeAsync();
        }
    }

    internal sealed class CountingWorker : IMasterOnlyWorker
    {
        private int _terms;
        private int _cancelled;
        private volatile bool _running;

        public int Terms => Volatile.Read(ref _terms);
        public int Cancelled => Volatile.Read(ref _cancelled);
        public bool Running => _running;

        public async Task ExecuteAsync(CancellationToken leadership)
        {
            Interlocked.Increment(ref _terms);
            _running = true;
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, leadership);
            }
            finally
            {
                _running = false;
                Interlocked.Increment(ref _cancelled);
            }
        }
    }
}
