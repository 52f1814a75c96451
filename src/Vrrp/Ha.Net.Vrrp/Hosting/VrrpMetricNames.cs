namespace Ha.Net.Vrrp.Hosting;

/// <summary>The names of the meter, instruments and tags virtual routers publish through System.Diagnostics.Metrics.</summary>
public static class VrrpMetricNames
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Ha.Net.Vrrp";

    /// <summary>Counter of advertisements sent (one per destination), tagged with the instance.</summary>
    public const string AdvertisementsSent = "vrrp.advertisements.sent";

    /// <summary>Counter of advertisements accepted, tagged with the instance.</summary>
    public const string AdvertisementsReceived = "vrrp.advertisements.received";

    /// <summary>Counter of dropped messages, tagged with the instance and the drop reason.</summary>
    public const string AdvertisementsDropped = "vrrp.advertisements.dropped";

    /// <summary>Counter of state transitions, tagged with the instance and the new state.</summary>
    public const string Transitions = "vrrp.transitions";

    /// <summary>Counter of failed operations (send, address add/remove, announce), tagged with the instance and the operation.</summary>
    public const string Errors = "vrrp.errors";

    /// <summary>Counter of gratuitous announcements sent (one per frame), tagged with the instance.</summary>
    public const string AnnouncementsSent = "vrrp.announcements.sent";

    /// <summary>
    /// Histogram of how late the VRRP loop woke for a deadline it had set (advert timer, master down timer, GARP
    /// bursts), in seconds, tagged with the instance. Adverts are scheduled on absolute deadlines, so lateness does not
    /// accumulate; this shows how far each single advert was off.
    /// </summary>
    public const string TimerLateness = "vrrp.timer.lateness";

    /// <summary>Gauge of the current state (0 Initialize, 1 Backup, 2 Master, 3 Fault), tagged with the instance.</summary>
    public const string State = "vrrp.state";

    /// <summary>Gauge of the effective priority, tagged with the instance.</summary>
    public const string EffectivePriority = "vrrp.priority.effective";

    /// <summary>Tag: the instance name.</summary>
    public const string InstanceTag = "vrrp.instance";

    /// <summary>Tag: the drop reason (a <see cref="Wire.VrrpDropReason"/> name).</summary>
    public const string DropReasonTag = "vrrp.drop.reason";

    /// <summary>Tag: the state entered (a <see cref="Election.VirtualRouterState"/> name).</summary>
    public const string StateTag = "vrrp.state";

    /// <summary>Tag: the failed operation (<c>send</c>, <c>add</c>, <c>remove</c>, <c>announce</c>, <c>receive</c>).</summary>
    public const string OperationTag = "vrrp.operation";
}
