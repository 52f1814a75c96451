using System.Net;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Hosting;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Vrrp.Testing;

/// <summary>
/// One machine on an <see cref="InMemoryVrrpNetwork"/>: a real virtual router (<see cref="VirtualRouter.Create"/>)
/// over the network's transport, with an in-memory binder. It can be started, stopped gracefully, crashed and restarted.
/// </summary>
public sealed class InMemoryVrrpNode : IAsyncDisposable
{
    private readonly InMemoryVrrpNetwork _network;
    private readonly ILoggerFactory? _loggerFactory;
    private InMemoryVrrpTransport _transport;

    internal InMemoryVrrpNode(InMemoryVrrpNetwork network, IPAddress address, VirtualRouterOptions options, ILoggerFactory? loggerFactory)
    {
        _network = network;
        _loggerFactory = loggerFactory;
        Address = address;
        Options = options;
        _transport = network.Attach(address);
        Router = VirtualRouter.Create(options, _transport, Binder, Binder, network.TimeProvider, loggerFactory);
    }

    /// <summary>The node's own (primary) address on the segment.</summary>
    public IPAddress Address { get; }

    /// <summary>The options every incarnation of the router is created with.</summary>
    public VirtualRouterOptions Options { get; }

    /// <summary>The current router; <see cref="RestartAsync"/> replaces it (a new process), so read it again after one.</summary>
    public IVirtualRouter Router { get; private set; }

    /// <summary>
    /// The current router's transport: <see cref="InMemoryVrrpTransport.Deliver"/> hands it a foreign or broken packet,
    /// <see cref="InMemoryVrrpTransport.FailSends"/> takes its link down. <see cref="RestartAsync"/> replaces it.
    /// </summary>
    public InMemoryVrrpTransport Transport => _transport;

    /// <summary>The node's virtual addresses (kept across restarts; a crash empties it).</summary>
    public InMemoryAddressBinder Binder { get; } = new();

    /// <summary>Whether the current router was started and has not crashed or stopped.</summary>
    public bool IsRunning { get; private set; }

    /// <summary>Starts the current router.</summary>
    public async Task StartAsync()
    {
        await Router.StartAsync().ConfigureAwait(false);
        IsRunning = true;
        await _network.SettleAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the router as on SIGTERM: a master's leadership token is cancelled, it sends priority 0 and removes its addresses.</summary>
    public async Task StopAsync()
    {
        IsRunning = false;
        await Router.StopAsync().ConfigureAwait(false);
        await _network.SettleAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Kills the node as <c>kill -9</c> would: it leaves the segment at once (no priority-0 advert), its addresses
    /// vanish, and its router is torn down (so its leadership token, held by code of the dead process, is cancelled).
    /// </summary>
    public async Task CrashAsync()
    {
        IsRunning = false;
        _transport.Crash();
        Binder.Crash();
        await Router.DisposeAsync().ConfigureAwait(false);
        await _network.SettleAsync().ConfigureAwait(false);
    }

    /// <summary>Brings the node back (after a crash or a stop) with a new router of the same options, started.</summary>
    public async Task RestartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Address} is running; crash or stop it first.");
        }

        await Router.DisposeAsync().ConfigureAwait(false);
        _transport = _network.Attach(Address);
        Binder.Revive();
        Router = VirtualRouter.Create(Options, _transport, Binder, Binder, _network.TimeProvider, _loggerFactory);
        await StartAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        IsRunning = false;
        await Router.DisposeAsync().ConfigureAwait(false);
    }
}
