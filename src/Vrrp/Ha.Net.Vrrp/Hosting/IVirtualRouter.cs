using System.Net;
using Ha.Net.Vrrp.Election;

namespace Ha.Net.Vrrp.Hosting;

/// <summary>
/// A running VRRP instance (keepalived's <c>vrrp_instance</c>): elects over its transport, adds and removes its
/// virtual addresses, announces them, and reports every state change.
/// </summary>
/// <remarks>
/// Create one with <see cref="VirtualRouter.Create"/> or <c>services.AddVrrp(...)</c>. All members are thread-safe;
/// inputs are queued to the router's single loop and handled in order. The router owns its transport.
/// </remarks>
public interface IVirtualRouter : IAsyncDisposable
{
    /// <summary>The instance name.</summary>
    string InstanceName { get; }

    /// <summary>The current state.</summary>
    VirtualRouterState State { get; }

    /// <summary>The configured priority adjusted by tracked objects (1–254; 255 for the owner).</summary>
    int EffectivePriority { get; }

    /// <summary>
    /// Raised on the router's loop after each state change, after the change's actions ran (so on MASTER the addresses
    /// are already added). Handlers must not block; exceptions they throw are logged and ignored.
    /// </summary>
    event EventHandler<VirtualRouterStateChangedEventArgs>? StateChanged;

    /// <summary>Starts the router: it enters BACKUP (or MASTER at once as the address owner, or FAULT).</summary>
    /// <param name="cancellationToken">Cancels waiting for the start-up to be handled.</param>
    /// <exception cref="InvalidOperationException">The router was already started.</exception>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops the router as keepalived does on SIGTERM: a master sends a priority-0 advert (a backup takes over after
    /// Skew_Time) and removes its addresses. Idempotent.
    /// </summary>
    /// <param name="cancellationToken">Cancels waiting; the shutdown itself still completes in the background.</param>
    Task StopAsync(CancellationToken cancellationToken = default);

    /// <summary>Sets the state of a tracked object named in the options (script, interface, process …).</summary>
    /// <param name="name">The tracked object's name.</param>
    /// <param name="isUp">Whether it is up (healthy).</param>
    /// <exception cref="ArgumentException">No tracked object has that name.</exception>
    void SetTrackedObjectState(string name, bool isUp);

    /// <summary>Sets the link state of the instance's own interface: down puts the instance in FAULT, up brings it back to BACKUP.</summary>
    /// <param name="isUp">Whether the interface is up (carrier and administratively up).</param>
    void SetLinkState(bool isUp);

    /// <summary>
    /// Reports that one of the instance's virtual addresses disappeared without the router removing it (a network
    /// manager, an operator). A master leaves MASTER, as keepalived does; it is re-elected, and re-adds it, if still best.
    /// </summary>
    /// <param name="address">The address that was removed; addresses not configured on this instance are ignored.</param>
    void ReportAddressRemoved(IPAddress address);

    /// <summary>
    /// Gets a token that stays uncancelled only while this router is MASTER (its current term), if it is MASTER now.
    /// </summary>
    /// <remarks>
    /// The token is cancelled the moment the router leaves MASTER for any reason (a better peer, a tracked failure,
    /// a link fault, a removed address, <see cref="StopAsync"/>, disposal), on the router's loop and before anything
    /// else of that change runs: on a graceful stop or handover, before the priority-0 advert is sent and before the
    /// virtual addresses are removed. Callbacks registered on it therefore run on the router's loop: keep them short.
    /// A token is handed out only after the term's addresses were added. Each term has its own token.
    /// VRRP cannot promise a single master while the segment is partitioned: see the package README, "Leadership".
    /// </remarks>
    /// <param name="leadership">The current term's token, or a cancelled token.</param>
    /// <returns>Whether this router is MASTER.</returns>
    bool TryGetLeadership(out CancellationToken leadership);

    /// <summary>
    /// Waits until this router is MASTER and returns the term's token (see <see cref="TryGetLeadership"/>): it is
    /// cancelled when the router leaves MASTER. Completes at once when the router is MASTER already.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The token of the current term.</returns>
    /// <exception cref="OperationCanceledException">The wait was cancelled, or the router stopped before it became MASTER.</exception>
    Task<CancellationToken> AcquireLeadershipAsync(CancellationToken cancellationToken = default);

    /// <summary>A snapshot of the router's counters.</summary>
    VirtualRouterStatistics GetStatistics();
}
