using System.Net;
using Ha.Net.Testing.Logging;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Hosting;
using Ha.Net.Vrrp.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Ha.Net.Vrrp.Tests.Hosting;

/// <summary>Real <see cref="VirtualRouterHost"/>s on the in-memory network (Ha.Net.Vrrp.Testing), on its <see cref="FakeTimeProvider"/>.</summary>
public sealed class HostRig : IAsyncDisposable
{
    public static readonly VirtualAddress Vip = new(IPAddress.Parse("198.18.0.100"), 32, "eth0");

    /// <summary>The network, keeping every advert sent in <see cref="InMemoryVrrpNetwork.Traffic"/>.</summary>
    public InMemoryVrrpNetwork Network { get; }

    public FakeTimeProvider Clock => (FakeTimeProvider)Network.TimeProvider;

    /// <summary>How much time has passed on the clock.</summary>
    public TimeSpan Elapsed => Clock.GetUtcNow() - Clock.Start;

    public List<Node> Nodes { get; } = [];

    public HostRig(int seed = 1) => Network = new InMemoryVrrpNetwork(seed: seed) { RecordTraffic = true };

    public sealed class Node
    {
        public required string Name { get; init; }
        public required InMemoryVrrpNode Machine { get; init; }
        public required ListLoggerProvider Logs { get; init; }
        public IVirtualRouter Router => Machine.Router;
        public InMemoryVrrpTransport Transport => Machine.Transport;
        public InMemoryAddressBinder Binder => Machine.Binder;
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
        var logs = new ListLoggerProvider();
        var machine = Network.AddNode(IPAddress.Parse(address), options, logs);
        var node = new Node { Name = address, Machine = machine, Logs = logs };
        machine.Router.StateChanged += (_, e) => node.Events.Add(e);
        Nodes.Add(node);
        return node;
    }

    /// <summary>Lets every host handle everything queued, including adverts in flight with zero delay.</summary>
    public Task SettleAsync() => Network.SettleAsync();

    /// <summary>Advances the clock in 10 ms steps, settling after each.</summary>
    public Task RunAsync(TimeSpan duration) => Network.AdvanceAsync(duration, TimeSpan.FromMilliseconds(10));

    public ValueTask DisposeAsync() => Network.DisposeAsync();
}
