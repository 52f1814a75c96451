namespace Ha.Net.Vrrp.Configuration;

/// <summary>
/// Something a virtual router tracks (keepalived's <c>track_script</c>, <c>track_interface</c>,
/// <c>track_process</c>, …): a name whose up/down state is set from outside
/// (<c>IVirtualRouter.SetTrackedObjectState</c>) by a health monitor, a link monitor or the application.
/// </summary>
/// <remarks>
/// keepalived's weight semantics: weight 0 puts the instance in FAULT while the object is down;
/// a positive weight is added to the priority while it is up; a negative weight is added (subtracted)
/// while it is down. <see cref="Reverse"/> swaps up and down. The effective priority is clamped to
/// 1–254; a base priority of 255 (address owner) never changes.
/// </remarks>
/// <param name="Name">The name, unique within the instance (a script, interface or process name).</param>
/// <param name="Weight">The weight, −254 to 254; 0 means FAULT while down.</param>
public sealed record TrackedObject(string Name, int Weight = 0)
{
    /// <summary>keepalived's <c>reverse</c>: the object counts as down while it is up, and vice versa.</summary>
    public bool Reverse { get; init; }

    /// <summary>The state assumed until the first report (keepalived's <c>init_fail</c> is <see langword="false"/>).</summary>
    public bool InitiallyUp { get; init; } = true;
}
