using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.EmbeddedFailover;

/// <summary>
/// Failover as a primitive: runs <see cref="RunWhileMasterAsync"/> only while the VRRP instance is MASTER. The work
/// starts when the instance enters MASTER (after its VIPs were added) and its token is cancelled as soon as the
/// instance leaves MASTER (a higher-priority peer, a tracked failure, shutdown). A new run never overlaps the previous
/// one: it starts only after the cancelled run has returned.
/// </summary>
public abstract class MasterOnlyService : IHostedService
{
    private readonly IVirtualRouterCollection _routers;
    private readonly string _instanceName;
    private readonly object _gate = new();
    private IVirtualRouter? _router;
    private CancellationTokenSource? _cts;
    private Task _work = Task.CompletedTask;
    private bool _stopping;

    /// <param name="routers">The routers registered with <c>services.AddVrrp(...)</c>.</param>
    /// <param name="instanceName">The instance whose mastership gates the work.</param>
    /// <param name="logger">Where start/stop of the work is logged.</param>
    protected MasterOnlyService(IVirtualRouterCollection routers, string instanceName, ILogger logger)
    {
        _routers = routers;
        _instanceName = instanceName;
        Logger = logger;
    }

    /// <summary>The logger.</summary>
    protected ILogger Logger { get; }

    /// <summary>Whether the work is running now.</summary>
    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _cts is not null;
            }
        }
    }

    /// <summary>The work. Runs while MASTER; <paramref name="cancellationToken"/> is cancelled on leaving MASTER.</summary>
    protected abstract Task RunWhileMasterAsync(CancellationToken cancellationToken);

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _router = _routers[_instanceName];
        _router.StateChanged += OnStateChanged;
        if (_router.State == VirtualRouterState.Master)
        {
            Begin();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task work;
        lock (_gate)
        {
            _stopping = true;
            End();
            work = _work;
        }

        if (_router is not null)
        {
            _router.StateChanged -= OnStateChanged;
        }

        await work.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    // Raised on the router's loop: never blocks it.
    private void OnStateChanged(object? sender, VirtualRouterStateChangedEventArgs e)
    {
        if (e.To == VirtualRouterState.Master)
        {
            Begin();
        }
        else if (e.From == VirtualRouterState.Master)
        {
            lock (_gate)
            {
                End();
            }
        }
    }

    private void Begin()
    {
        lock (_gate)
        {
            if (_stopping || _cts is not null)
            {
                return;
            }

            var cts = new CancellationTokenSource();
            _cts = cts;
            var previous = _work;
            _work = Task.Run(async () =>
            {
                await previous.ConfigureAwait(false); // the cancelled run has returned: no overlap
                if (cts.IsCancellationRequested)
                {
                    return;
                }

                Logger.LogInformation("{Instance} is MASTER: starting the work", _instanceName);
                try
                {
                    await RunWhileMasterAsync(cts.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cts.IsCancellationRequested)
                {
                }
                catch (Exception ex)
                {
                    Logger.LogError(ex, "The master-only work failed");
                }
                finally
                {
                    Logger.LogInformation("{Instance}: the work stopped", _instanceName);
                }
            });
        }
    }

    private void End()
    {
        if (_cts is { } cts)
        {
            _cts = null;
            Logger.LogInformation("{Instance} left MASTER: cancelling the work", _instanceName);
            cts.Cancel();
        }
    }
}
