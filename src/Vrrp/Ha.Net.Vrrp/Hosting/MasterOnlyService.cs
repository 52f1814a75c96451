using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Hosting;

namespace Ha.Net.Vrrp.Hosting;

/// <summary>
/// A <see cref="BackgroundService"/> whose work runs only while a virtual router is MASTER: each term of mastership
/// runs <see cref="ExecuteWhileMasterAsync"/> once, with a token cancelled when the router leaves MASTER (before the
/// virtual addresses are released on a graceful handover) or when the host stops.
/// </summary>
/// <remarks>
/// A term's run never overlaps the next: a new term starts the work only after the previous run returned. Work that
/// returns before its term ends is not restarted until the next term. An exception other than the cancellation ends
/// the service, as from any <see cref="BackgroundService"/> (the host's <c>BackgroundServiceExceptionBehavior</c>).
/// For "one active instance" with no floating IP, give the router no virtual addresses.
/// </remarks>
public abstract class MasterOnlyService : BackgroundService
{
    /// <param name="router">The router whose mastership gates the work.</param>
    protected MasterOnlyService(IVirtualRouter router)
    {
        ArgumentNullException.ThrowIfNull(router);
        Router = router;
    }

    /// <summary>The router whose mastership gates the work.</summary>
    protected IVirtualRouter Router { get; }

    /// <summary>The work of one term.</summary>
    /// <param name="leadership">Cancelled when the router leaves MASTER or the host stops.</param>
    protected abstract Task ExecuteWhileMasterAsync(CancellationToken leadership);

    /// <inheritdoc />
    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            CancellationToken term;
            try
            {
                term = await Router.AcquireLeadershipAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return; // the host or the router stopped
            }

            using var run = CancellationTokenSource.CreateLinkedTokenSource(term, stoppingToken);
            try
            {
                await ExecuteWhileMasterAsync(run.Token).ConfigureAwait(false);
                await Task.Delay(Timeout.InfiniteTimeSpan, run.Token).ConfigureAwait(false); // returned early: the term ends first
            }
            catch (OperationCanceledException) when (run.IsCancellationRequested)
            {
            }
        }
    }
}

/// <summary>Work that runs only while a virtual router is MASTER; registered with <c>services.AddMasterOnly&lt;T&gt;(instanceName)</c>.</summary>
public interface IMasterOnlyWorker
{
    /// <summary>The work of one term of mastership (see <see cref="MasterOnlyService"/>).</summary>
    /// <param name="leadership">Cancelled when the router leaves MASTER or the host stops.</param>
    Task ExecuteAsync(CancellationToken leadership);
}

/// <summary>Runs an <see cref="IMasterOnlyWorker"/> for one instance of <see cref="IVirtualRouterCollection"/>.</summary>
internal sealed class MasterOnlyWorkerService<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TWorker>(IVirtualRouter router, TWorker worker) : MasterOnlyService(router)
    where TWorker : class, IMasterOnlyWorker
{
    protected override Task ExecuteWhileMasterAsync(CancellationToken leadership) => worker.ExecuteAsync(leadership);
}
