using System.Collections.Concurrent;
using System.Net;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Hosting;
using Ha.Net.Vrrp.Linux.Addresses;
using Ha.Net.Vrrp.Linux.Links;
using Ha.Net.Vrrp.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ha.Net.Vrrp.Linux.Tests.Hosting;

/// <summary>
/// <c>AddLinuxVrrp</c>'s hosted service follows a reload of the router collection: a router started by
/// <see cref="IVirtualRouterCollection.ApplyAsync"/> gets its links' state at once and then every link change.
/// The routers run on the in-memory network; the link monitor and the netlink binder are faked.
/// </summary>
public sealed class LinuxVrrpHostedServiceReloadTests
{
    private static VirtualRouterOptions Instance(string name, int vrid, string? tracked = null) => new()
    {
        InstanceName = name,
        InterfaceName = "eth0",
        VirtualRouterId = vrid,
        Priority = 150,
        VirtualAddresses = [new VirtualAddress(IPAddress.Parse($"198.18.1.{vrid}"), 32, "eth0")],
        TrackedObjects = tracked is null ? [] : [new TrackedObject(tracked)],
    };

    [Fact]
    public async Task A_router_added_by_a_reload_gets_its_link_states_and_their_changes()
    {
        await using var network = new InMemoryVrrpNetwork();
        var links = new FakeLinks { ["eth0"] = true, ["eth1"] = false };
        var services = new ServiceCollection();
        services.AddInMemoryVrrp(network, IPAddress.Parse("198.18.0.1"));
        services.AddSingleton<ILinkStateMonitor>(links);
        services.AddSingleton<ILinuxAddressBinder, FakeNetlinkBinder>();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddLinuxVrrp();
        services.AddVrrp(o => o.Instances.Add(Instance("VI_1", 1)));
        await using var sp = services.BuildServiceProvider();
        var hosted = sp.GetServices<IHostedService>().ToList();
        foreach (var h in hosted)
        {
            await h.StartAsync(CancellationToken.None);
        }

        foreach (var h in hosted.OfType<IHostedLifecycleService>())
        {
            await h.StartedAsync(CancellationToken.None);
        }

        var routers = sp.GetRequiredService<IVirtualRouterCollection>();
        await network.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(VirtualRouterState.Master, routers["VI_1"].State);

        // VI_2 tracks eth1, which is down: it starts in FAULT (weight 0).
        await routers.ApplyAsync([Instance("VI_1", 1), Instance("VI_2", 2, tracked: "eth1")]);
        await network.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(VirtualRouterState.Fault, routers["VI_2"].State);

        links.Set("eth1", true);
        await network.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(VirtualRouterState.Master, routers["VI_2"].State);

        // The instances' own interface: both FAULT.
        links.Set("eth0", false);
        await network.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.All(routers, r => Assert.Equal(VirtualRouterState.Fault, r.State));
        foreach (var h in hosted)
        {
            await h.StopAsync(CancellationToken.None);
        }
    }

    private sealed class FakeLinks : ILinkStateMonitor
    {
        private readonly ConcurrentDictionary<string, bool> _up = new(StringComparer.Ordinal);

        public event EventHandler<LinkStateChangedEventArgs>? LinkStateChanged;

        public bool this[string name]
        {
            set => _up[name] = value;
        }

        public void Set(string name, bool up)
        {
            _up[name] = up;
            LinkStateChanged?.Invoke(this, new LinkStateChangedEventArgs(name, up));
        }

        public bool IsUp(string interfaceName) => _up.GetValueOrDefault(interfaceName);

        public bool Exists(string interfaceName) => _up.ContainsKey(interfaceName);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class FakeNetlinkBinder : ILinuxAddressBinder
    {
#pragma warning disable CS0067 // never raised here
        public event EventHandler<VirtualAddressRemovedEventArgs>? RemovedExternally;
#pragma warning restore CS0067

        public ValueTask AddAsync(VirtualAddress address, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask RemoveAsync(VirtualAddress address, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public Task<IReadOnlyList<VirtualAddress>> ListAsync(string? interfaceName, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<VirtualAddress>>([]);

        public Task<IReadOnlyList<VirtualAddress>> RemoveStaleAsync(IEnumerable<VirtualAddress> configured, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<VirtualAddress>>([]);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
