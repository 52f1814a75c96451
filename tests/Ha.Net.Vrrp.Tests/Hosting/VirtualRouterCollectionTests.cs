using System.Net;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Hosting;
using Ha.Net.Vrrp.Testing;
using Ha.Net.Vrrp.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Ha.Net.Vrrp.Tests.Hosting;

/// <summary>
/// The router collection's reload (<see cref="IVirtualRouterCollection.ApplyAsync"/>), keepalived's SIGHUP without its
/// failovers: unchanged instances keep running untouched, changed ones restart gracefully, removed ones stop, added ones
/// start, and a bad set changes nothing. On the in-memory network, simulated time.
/// </summary>
public sealed class VirtualRouterCollectionTests : IAsyncDisposable
{
    private static readonly IPAddress NodeA = IPAddress.Parse("198.18.0.1");
    private static readonly IPAddress NodeB = IPAddress.Parse("198.18.0.2");
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(5);

    private readonly InMemoryVrrpNetwork _network = new();
    private readonly InMemoryAddressBinder _binder = new();
    private readonly List<(string Instance, VirtualRouterState To)> _transitions = [];
    private readonly List<string> _started = [];
    private readonly IVirtualRouterCollection _routers;

    public VirtualRouterCollectionTests()
    {
        _routers = VirtualRouter.CreateCollection(_network.CreateTransportFactory(NodeA), _binder, _binder, _network.TimeProvider);
        _routers.StateChanged += (_, e) =>
        {
            lock (_transitions)
            {
                _transitions.Add((e.InstanceName, e.To));
            }
        };
        _routers.RouterStarted += (_, e) => _started.Add(e.Options.InstanceName);
    }

    public async ValueTask DisposeAsync()
    {
        await _routers.DisposeAsync();
        await _network.DisposeAsync();
    }

    private static VirtualRouterOptions Instance(string name, int vrid, int priority = 200) => new()
    {
        InstanceName = name,
        InterfaceName = "eth0",
        VirtualRouterId = vrid,
        Priority = priority,
        VirtualAddresses = [new VirtualAddress(IPAddress.Parse($"198.18.1.{vrid}"), 32, "eth0")],
    };

    private int TransitionsOf(string instance)
    {
        lock (_transitions)
        {
            return _transitions.Count(t => t.Instance == instance);
        }
    }

    [Fact]
    public async Task Unchanged_instances_keep_running_untouched_state_counters_and_addresses()
    {
        await _routers.ApplyAsync([Instance("VI_1", 1), Instance("VI_2", 2)]);
        await _network.AdvanceAsync(Converge);
        var vi1 = _routers["VI_1"];
        Assert.Equal(VirtualRouterState.Master, vi1.State);
        Assert.True(vi1.TryGetLeadership(out var leadership));
        var sent = vi1.GetStatistics().AdvertisementsSent;
        var transitions = TransitionsOf("VI_1");
        var history = _binder.History.Count;

        // Equal options, new objects: nothing restarts.
        var result = await _routers.ApplyAsync([Instance("VI_1", 1), Instance("VI_2", 2)]);
        await _network.AdvanceAsync(TimeSpan.FromSeconds(3));

        Assert.Equal(["VI_1", "VI_2"], result.Kept);
        Assert.Empty(result.Restarted);
        Assert.Empty(result.Stopped);
        Assert.Empty(result.Started);
        Assert.Same(vi1, _routers["VI_1"]);
        Assert.Equal(VirtualRouterState.Master, vi1.State);
        Assert.False(leadership.IsCancellationRequested);
        Assert.Equal(transitions, TransitionsOf("VI_1"));
        Assert.Equal(history, _binder.History.Count); // no address removed or added again
        Assert.True(vi1.GetStatistics().AdvertisementsSent >= sent + 3, "the kept master kept advertising on its own timer");
        Assert.Equal(["VI_1", "VI_2"], _started);
    }

    [Fact]
    public async Task A_changed_instance_restarts_gracefully_and_the_others_are_untouched()
    {
        await using var peer = _network.AddNode(NodeB, Instance("VI_1", 1, priority: 100));
        await peer.StartAsync();
        await _routers.ApplyAsync([Instance("VI_1", 1), Instance("VI_2", 2)]);
        await _network.AdvanceAsync(Converge);
        var old = _routers["VI_1"];
        var vi2 = _routers["VI_2"];
        Assert.Equal(VirtualRouterState.Master, old.State);
        Assert.Equal(VirtualRouterState.Backup, peer.Router.State);
        var vi2Transitions = TransitionsOf("VI_2");

        var result = await _routers.ApplyAsync([Instance("VI_1", 1, priority: 210), Instance("VI_2", 2)]);

        Assert.Equal(["VI_1"], result.Restarted);
        Assert.Equal(["VI_2"], result.Kept);
        Assert.NotSame(old, _routers["VI_1"]);
        Assert.Equal(210, _routers.GetOptions("VI_1").Priority);
        Assert.Equal(VirtualRouterState.Initialize, old.State);
        Assert.Equal(VirtualRouterState.Backup, _routers["VI_1"].State); // BACKUP (init), then the election

        // The old router's priority-0 advert hands over after Skew_Time, long before Master_Down_Interval (~3.2 s).
        await _network.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(VirtualRouterState.Master, peer.Router.State);
        Assert.Contains("remove 198.18.1.1", _binder.History);

        // The restarted instance preempts with its new priority; VI_2 never moved.
        await _network.AdvanceAsync(Converge);
        Assert.Equal(VirtualRouterState.Master, _routers["VI_1"].State);
        Assert.Equal(VirtualRouterState.Backup, peer.Router.State);
        Assert.Same(vi2, _routers["VI_2"]);
        Assert.Equal(vi2Transitions, TransitionsOf("VI_2"));
        Assert.Equal(["VI_1", "VI_2", "VI_1"], _started);
    }

    [Fact]
    public async Task A_removed_instance_stops_and_releases_its_address_and_an_added_one_starts()
    {
        await _routers.ApplyAsync([Instance("VI_1", 1)]);
        await _network.AdvanceAsync(Converge);
        var vi1 = _routers["VI_1"];
        Assert.Contains(IPAddress.Parse("198.18.1.1"), _binder.Bound);

        var result = await _routers.ApplyAsync([Instance("VI_2", 2)]);
        await _network.AdvanceAsync(Converge);

        Assert.Equal(["VI_1"], result.Stopped);
        Assert.Equal(["VI_2"], result.Started);
        Assert.Equal(VirtualRouterState.Initialize, vi1.State);
        Assert.Equal(["VI_2"], _routers.Select(r => r.InstanceName));
        Assert.Throws<KeyNotFoundException>(() => _routers["VI_1"]);
        Assert.Equal([IPAddress.Parse("198.18.1.2")], _binder.Bound);
        Assert.Equal(VirtualRouterState.Master, _routers["VI_2"].State);
    }

    [Fact]
    public async Task A_set_with_errors_is_refused_whole_with_every_error_and_nothing_changes()
    {
        await _routers.ApplyAsync([Instance("VI_1", 1)]);
        await _network.AdvanceAsync(Converge);
        var vi1 = _routers["VI_1"];

        var bad = new[] { Instance("VI_1", 1, priority: 150), Instance("VI_2", 0), Instance("VI_3", 3, priority: 300), Instance("VI_3", 4) };
        var ex = await Assert.ThrowsAsync<VrrpConfigurationException>(() => _routers.ApplyAsync(bad));

        Assert.Contains(ex.Errors, e => e.Instance == "VI_2" && e.Key == "virtual_router_id");
        Assert.Contains(ex.Errors, e => e.Instance == "VI_3" && e.Key == "priority");
        Assert.Contains(ex.Errors, e => e.Message.Contains("names must be unique", StringComparison.Ordinal));
        Assert.Same(vi1, _routers["VI_1"]);
        Assert.Equal(200, _routers.GetOptions("VI_1").Priority);
        Assert.Equal(["VI_1"], _routers.Select(r => r.InstanceName));
        await _network.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(VirtualRouterState.Master, vi1.State);
    }

    [Fact]
    public async Task An_instance_named_in_restart_restarts_with_unchanged_options()
    {
        await _routers.ApplyAsync([Instance("VI_1", 1), Instance("VI_2", 2)]);
        var vi1 = _routers["VI_1"];

        var result = await _routers.ApplyAsync([Instance("VI_1", 1), Instance("VI_2", 2)], restart: ["VI_1"]);

        Assert.Equal(["VI_1"], result.Restarted);
        Assert.Equal(["VI_2"], result.Kept);
        Assert.NotSame(vi1, _routers["VI_1"]);
    }

    [Fact]
    public async Task An_instance_whose_transport_cannot_open_is_reported_and_the_others_run()
    {
        var inner = _network.CreateTransportFactory(NodeA);
        await using var routers = VirtualRouter.CreateCollection(new MissingInterface(inner, "eth9"), _binder, _binder, _network.TimeProvider);
        var missing = Instance("VI_9", 9);
        missing.InterfaceName = "eth9";
        missing.VirtualAddresses = [new VirtualAddress(IPAddress.Parse("198.18.1.9"), 32, "eth9")];

        var result = await routers.ApplyAsync([Instance("VI_1", 1), missing]);

        Assert.Equal(["VI_1"], result.Started);
        Assert.Equal("no such interface eth9", Assert.Single(result.Failed, f => f.Key == "VI_9").Value);
        Assert.Equal(["VI_1"], routers.Select(r => r.InstanceName));

        // The interface appeared: the next apply starts it as a new instance.
        await using var later = VirtualRouter.CreateCollection(inner, _binder, _binder, _network.TimeProvider);
        var retry = await later.ApplyAsync([missing]);
        Assert.Equal(["VI_9"], retry.Started);
    }

    [Fact]
    public async Task Stop_stops_every_router_and_refuses_later_applies()
    {
        await _routers.ApplyAsync([Instance("VI_1", 1), Instance("VI_2", 2)]);
        await _network.AdvanceAsync(Converge);

        await _routers.StopAsync();

        Assert.All(_routers, r => Assert.Equal(VirtualRouterState.Initialize, r.State));
        Assert.Empty(_binder.Bound);
        await Assert.ThrowsAsync<InvalidOperationException>(() => _routers.ApplyAsync([Instance("VI_1", 1)]));
    }

    [Fact]
    public async Task AddVrrp_collection_reloads_after_the_host_started_it()
    {
        var services = new ServiceCollection();
        services.AddInMemoryVrrp(_network, NodeB);
        services.AddVrrp(o => o.Instances.Add(Instance("VI_1", 1)));
        await using var sp = services.BuildServiceProvider();
        var routers = sp.GetRequiredService<IVirtualRouterCollection>();
        var hosted = Assert.Single(sp.GetServices<IHostedService>());
        await hosted.StartAsync(CancellationToken.None);
        await _network.AdvanceAsync(Converge);
        var vi1 = routers["VI_1"];
        Assert.Equal(VirtualRouterState.Master, vi1.State);

        var result = await routers.ApplyAsync([Instance("VI_1", 1), Instance("VI_2", 2)]);
        await _network.AdvanceAsync(Converge);

        Assert.Equal(["VI_1"], result.Kept);
        Assert.Equal(["VI_2"], result.Started);
        Assert.Same(vi1, routers["VI_1"]);
        Assert.Equal(VirtualRouterState.Master, routers["VI_2"].State);
        await hosted.StopAsync(CancellationToken.None);
        Assert.Empty(sp.GetRequiredService<InMemoryAddressBinder>().Bound);
    }

    private sealed class MissingInterface(IVrrpTransportFactory inner, string missing) : IVrrpTransportFactory
    {
        public IVrrpTransport Create(VirtualRouterOptions options) =>
            options.InterfaceName == missing ? throw new IOException("no such interface " + missing) : inner.Create(options);
    }
}
