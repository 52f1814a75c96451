using System.Collections;
using System.Diagnostics.Metrics;
using System.Net.Sockets;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Ha.Net.Vrrp.Hosting;

/// <summary>
/// The virtual routers of a host, by instance name (keepalived's set of <c>vrrp_instance</c> blocks), with a reload
/// (<see cref="ApplyAsync"/>) that keeps unchanged instances running untouched. From <c>services.AddVrrp(...)</c> or
/// <see cref="VirtualRouter.CreateCollection"/>. Thread-safe; enumerating it reads a snapshot.
/// </summary>
public interface IVirtualRouterCollection : IReadOnlyList<IVirtualRouter>, IAsyncDisposable
{
    /// <summary>The router of instance <paramref name="instanceName"/>.</summary>
    /// <param name="instanceName">The instance name.</param>
    /// <exception cref="KeyNotFoundException">No such instance.</exception>
    IVirtualRouter this[string instanceName] { get; }

    /// <summary>
    /// Raised for every state change of every router in the collection (sender: the router), routers added by
    /// <see cref="ApplyAsync"/> included from their first change (BACKUP (init)). See <see cref="IVirtualRouter.StateChanged"/>.
    /// </summary>
    event EventHandler<VirtualRouterStateChangedEventArgs>? StateChanged;

    /// <summary>
    /// Raised once a router the collection built has started (with the host, or by <see cref="ApplyAsync"/>), before
    /// <see cref="ApplyAsync"/> returns: the place to give it the state of its link and tracked objects.
    /// </summary>
    event EventHandler<VirtualRouterStartedEventArgs>? RouterStarted;

    /// <summary>The options the router of <paramref name="instanceName"/> runs with (as last applied; do not change them).</summary>
    /// <param name="instanceName">The instance name.</param>
    /// <exception cref="KeyNotFoundException">No such instance.</exception>
    VirtualRouterOptions GetOptions(string instanceName);

    /// <summary>
    /// Reloads: makes the collection run <paramref name="instances"/>, as keepalived's SIGHUP without its failovers.
    /// The whole set is validated first (<see cref="VrrpOptions.Validate"/>); a set with any error is refused with
    /// every error and nothing changes. Otherwise instances are matched by name: one whose options are unchanged
    /// (every property compared) keeps running untouched — state, counters, timers, leadership; one whose options
    /// changed, or that <paramref name="restart"/> names, is stopped (a master sends priority 0 and releases its
    /// addresses) and started again as a new router; one no longer present is stopped; a new one is started. Stops
    /// happen before starts (a changed instance may reuse its VRID and addresses). An instance whose transport cannot
    /// be opened (its interface is missing) is logged, left out and reported in <see cref="VirtualRouterApplyResult.Failed"/>.
    /// </summary>
    /// <remarks>
    /// A restarted instance is a new <see cref="IVirtualRouter"/>: look routers up by name after a reload. Applies are
    /// serialized. Routers are started only while the collection runs (at once for <see cref="VirtualRouter.CreateCollection"/>;
    /// with the host for <c>AddVrrp</c>).
    /// </remarks>
    /// <param name="instances">The instances to run.</param>
    /// <param name="restart">Names of instances to restart even if their options are unchanged (their transport or
    /// tracked objects changed outside the options), or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels waiting for the apply gate.</param>
    /// <returns>What was kept, restarted, stopped, started and could not start.</returns>
    /// <exception cref="VrrpConfigurationException">The set has errors (all listed); nothing changed.</exception>
    /// <exception cref="InvalidOperationException">The collection was stopped.</exception>
    Task<VirtualRouterApplyResult> ApplyAsync(IEnumerable<VirtualRouterOptions> instances, IEnumerable<string>? restart = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops every router as keepalived does on SIGTERM (in parallel: each master sends priority 0 and removes its
    /// addresses); the routers stay listed. Later applies are refused.
    /// </summary>
    /// <param name="cancellationToken">Cancels waiting; the shutdowns still complete in the background.</param>
    Task StopAsync(CancellationToken cancellationToken = default);
}

/// <summary>Data of <see cref="IVirtualRouterCollection.RouterStarted"/>.</summary>
public sealed class VirtualRouterStartedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    /// <param name="router">The router that started.</param>
    /// <param name="options">The options it runs with.</param>
    public VirtualRouterStartedEventArgs(IVirtualRouter router, VirtualRouterOptions options)
    {
        Router = router;
        Options = options;
    }

    /// <summary>The router that started.</summary>
    public IVirtualRouter Router { get; }

    /// <summary>The options it runs with.</summary>
    public VirtualRouterOptions Options { get; }
}

/// <summary>What <see cref="IVirtualRouterCollection.ApplyAsync"/> did, by instance name, each list in the order applied.</summary>
/// <param name="Kept">Unchanged instances, left running untouched.</param>
/// <param name="Restarted">Changed instances, stopped and started again.</param>
/// <param name="Stopped">Instances no longer configured, stopped.</param>
/// <param name="Started">New instances, started.</param>
/// <param name="Failed">Instances (new or restarted) whose router could not be built, with the reason; they are not running.</param>
public sealed record VirtualRouterApplyResult(
    IReadOnlyList<string> Kept,
    IReadOnlyList<string> Restarted,
    IReadOnlyList<string> Stopped,
    IReadOnlyList<string> Started,
    IReadOnlyDictionary<string, string> Failed);

/// <summary>The routers of a host: built from options and the seams, reloaded by <see cref="ApplyAsync"/>.</summary>
internal sealed partial class VirtualRouterCollection : IVirtualRouterCollection
{
    /// <summary>How long a reload or a stop waits for one router to finish its shutdown before going on without it.</summary>
    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(20);

    private readonly IVrrpTransportFactory _transports;
    private readonly IVirtualAddressBinder _binder;
    private readonly IAddressAnnouncer _announcer;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly VrrpMetrics _metrics;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Entry[] _entries = [];
    private bool _running;
    private bool _stopped;
    private int _disposed;

    /// <summary>The collection <c>services.AddVrrp(...)</c> registers: every configured router built (not started).</summary>
    public VirtualRouterCollection(IOptions<VrrpOptions> options, IServiceProvider services)
        : this(
            services.GetRequiredService<IVrrpTransportFactory>(),
            services.GetRequiredService<IVirtualAddressBinder>(),
            services.GetRequiredService<IAddressAnnouncer>(),
            services.GetService<TimeProvider>(),
            services.GetService<ILoggerFactory>(),
            services.GetService<IMeterFactory>(),
            running: false)
    {
        var value = options.Value;
        ThrowIfInvalid(value.Instances);
        _entries = [.. value.Instances.Select(o => new Entry(o, VirtualRouterOptionsKey.Of(o), Build(o)))];
    }

    public VirtualRouterCollection(
        IVrrpTransportFactory transports,
        IVirtualAddressBinder binder,
        IAddressAnnouncer announcer,
        TimeProvider? timeProvider,
        ILoggerFactory? loggerFactory,
        IMeterFactory? meterFactory,
        bool running)
    {
        _transports = transports;
        _binder = binder;
        _announcer = announcer;
        _time = timeProvider ?? TimeProvider.System;
        _loggers = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggers.CreateLogger(VirtualRouter.LoggerCategory);
        _metrics = new VrrpMetrics(meterFactory);
        _running = running;
        _ = Task.Run(static () => HotPath.PrepareType(typeof(VirtualRouterCollection))); // a SIGTERM enumerates and stops compiled code (#18)
    }

    public event EventHandler<VirtualRouterStateChangedEventArgs>? StateChanged;

    public event EventHandler<VirtualRouterStartedEventArgs>? RouterStarted;

    public int Count => _entries.Length;

    public IVirtualRouter this[int index] => _entries[index].Router;

    public IVirtualRouter this[string instanceName] => Find(instanceName).Router;

    public VirtualRouterOptions GetOptions(string instanceName) => Find(instanceName).Options;

    public IEnumerator<IVirtualRouter> GetEnumerator()
    {
        foreach (var entry in _entries)
        {
            yield return entry.Router;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Starts every router built so far (the host starting); later applies start what they add.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _running = true;
            foreach (var entry in _entries)
            {
                await StartAsync(entry, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<VirtualRouterApplyResult> ApplyAsync(IEnumerable<VirtualRouterOptions> instances, IEnumerable<string>? restart = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instances);
        var desired = instances.ToList();
        ThrowIfInvalid(desired);
        var forced = new HashSet<string>(restart ?? [], StringComparer.Ordinal);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_stopped)
            {
                throw new InvalidOperationException("The virtual router collection was stopped.");
            }

            var old = _entries.ToDictionary(e => e.Options.InstanceName, StringComparer.Ordinal);
            var next = new Dictionary<string, Entry>(StringComparer.Ordinal);
            var kept = new List<string>();
            var restarted = new List<string>();
            var stopped = new List<string>();
            var started = new List<string>();
            var failed = new Dictionary<string, string>(StringComparer.Ordinal);
            var stop = new List<Entry>();
            var start = new List<(VirtualRouterOptions Options, string Key)>();
            foreach (var options in desired)
            {
                var name = options.InstanceName;
                var key = VirtualRouterOptionsKey.Of(options);
                if (old.Remove(name, out var running))
                {
                    if (running.Key == key && !forced.Contains(name))
                    {
                        next[name] = running with { Options = options };
                        kept.Add(name);
                        continue;
                    }

                    Log.Restarting(_logger, name);
                    stop.Add(running);
                    restarted.Add(name);
                }
                else
                {
                    started.Add(name);
                }

                start.Add((options, key));
            }

            foreach (var removed in old.Values)
            {
                Log.Removing(_logger, removed.Options.InstanceName);
                stop.Add(removed);
                stopped.Add(removed.Options.InstanceName);
            }

            // Routers stop before new ones start: a changed instance may reuse its VRID, interface and addresses.
            Publish(desired, next);
            await Task.WhenAll(stop.Select(e => StopAndDisposeAsync(e.Router))).ConfigureAwait(false);
            foreach (var (options, key) in start)
            {
                IVirtualRouter router;
                try
                {
                    router = Build(options);
                }
                catch (Exception ex) when (ex is SocketException or IOException or ArgumentException or InvalidOperationException or UnauthorizedAccessException)
                {
                    Log.CannotStart(_logger, options.InstanceName, options.InterfaceName, ex.Message);
                    failed[options.InstanceName] = ex.Message;
                    continue;
                }

                var entry = new Entry(options, key, router);
                next[options.InstanceName] = entry;
                Publish(desired, next);
                if (_running)
                {
                    await StartAsync(entry, CancellationToken.None).ConfigureAwait(false);
                }
            }

            return new VirtualRouterApplyResult(kept, [.. restarted.Where(n => !failed.ContainsKey(n))], stopped, [.. started.Where(n => !failed.ContainsKey(n))], failed);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        _stopped = true;
        await Task.WhenAll(_entries.Select(e => StopAsync(e.Router, cancellationToken))).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopped = true;
        foreach (var entry in _entries)
        {
            await entry.Router.DisposeAsync().ConfigureAwait(false);
        }

        _metrics.Dispose();
    }

    private static void ThrowIfInvalid(IEnumerable<VirtualRouterOptions> instances)
    {
        var set = new VrrpOptions();
        foreach (var instance in instances)
        {
            ArgumentNullException.ThrowIfNull(instance, nameof(instances));
            set.Instances.Add(instance);
        }

        var errors = set.Validate().Where(i => !i.IsWarning).ToList();
        if (errors.Count > 0)
        {
            throw new VrrpConfigurationException(errors);
        }
    }

    private Entry Find(string instanceName) =>
        Array.Find(_entries, e => string.Equals(e.Options.InstanceName, instanceName, StringComparison.Ordinal))
        ?? throw new KeyNotFoundException($"No vrrp_instance named '{instanceName}'.");

    /// <summary>Publishes the routers running now, in the order of the applied set.</summary>
    private void Publish(List<VirtualRouterOptions> desired, Dictionary<string, Entry> next) =>
        _entries = [.. desired.Select(o => next.GetValueOrDefault(o.InstanceName)).OfType<Entry>()];

    private IVirtualRouter Build(VirtualRouterOptions options)
    {
        var transport = _transports.Create(options);
        IVirtualRouter router;
        try
        {
            router = VirtualRouter.CreateShared(options, transport, _binder, _announcer, _time, _loggers, _metrics);
        }
        catch
        {
            transport.DisposeAsync().AsTask().GetAwaiter().GetResult(); // the router would have owned it
            throw;
        }

        router.StateChanged += (sender, e) => StateChanged?.Invoke(sender, e);
        return router;
    }

    private async Task StartAsync(Entry entry, CancellationToken cancellationToken)
    {
        await entry.Router.StartAsync(cancellationToken).ConfigureAwait(false);
        RouterStarted?.Invoke(this, new VirtualRouterStartedEventArgs(entry.Router, entry.Options));
    }

    private async Task StopAndDisposeAsync(IVirtualRouter router)
    {
        await StopAsync(router, CancellationToken.None).ConfigureAwait(false);
        await router.DisposeAsync().ConfigureAwait(false);
    }

    private async Task StopAsync(IVirtualRouter router, CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(StopBound);
        try
        {
            await router.StopAsync(bound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Log.StopTimedOut(_logger, router.InstanceName, (int)StopBound.TotalSeconds);
        }
    }

    private sealed record Entry(VirtualRouterOptions Options, string Key, IVirtualRouter Router);

    private static partial class Log
    {
        [LoggerMessage(1100, LogLevel.Information, "({Instance}) configuration changed; restarting the instance")]
        public static partial void Restarting(ILogger logger, string instance);

        [LoggerMessage(1101, LogLevel.Information, "({Instance}) removed from the configuration; stopping the instance")]
        public static partial void Removing(ILogger logger, string instance);

        [LoggerMessage(1102, LogLevel.Error, "({Instance}) cannot start on {Interface}: {Error}")]
        public static partial void CannotStart(ILogger logger, string instance, string @interface, string error);

        [LoggerMessage(1103, LogLevel.Warning, "({Instance}) did not stop within {Seconds} s")]
        public static partial void StopTimedOut(ILogger logger, string instance, int seconds);
    }
}

/// <summary>Starts every router with the host and stops them (priority-0 adverts, addresses removed) with it.</summary>
internal sealed class VrrpHostedService(IVirtualRouterCollection routers) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (routers is VirtualRouterCollection collection)
        {
            await collection.StartAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        foreach (var router in routers)
        {
            await router.StartAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => routers.StopAsync(cancellationToken);
}

/// <summary>Validates <see cref="VrrpOptions"/> at start-up, reporting every error with its key.</summary>
internal sealed class VrrpOptionsValidator : IValidateOptions<VrrpOptions>
{
    public ValidateOptionsResult Validate(string? name, VrrpOptions options)
    {
        var errors = options.Validate().Where(i => !i.IsWarning).Select(i => i.ToString()).ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
