namespace Ha.Net.Vrrp.Election;

/// <summary>The state of a virtual router (RFC 3768 §6.4 plus keepalived's FAULT).</summary>
public enum VirtualRouterState
{
    /// <summary>Not running (before start-up, after shutdown).</summary>
    Initialize = 0,

    /// <summary>Watching the master; takes over when it goes silent.</summary>
    Backup = 1,

    /// <summary>Holding the virtual addresses and advertising.</summary>
    Master = 2,

    /// <summary>keepalived's FAULT: a tracked object with weight 0 or the link is down, or the addresses could not be added; silent.</summary>
    Fault = 3,
}

/// <summary>Why a virtual router changed state.</summary>
public enum VirtualRouterTransitionReason
{
    /// <summary>The router started (RFC 3768 §6.4.1): backup, or master at once for the address owner.</summary>
    Startup,

    /// <summary>The master went silent: Master_Down_Timer expired (keepalived's "Receive advertisement timeout").</summary>
    MasterDownTimerExpired,

    /// <summary>A master heard a higher priority advert, or an equal one from a higher address.</summary>
    HigherPriorityAdvertisement,

    /// <summary>The router is shutting down.</summary>
    Shutdown,

    /// <summary>A tracked object with weight 0 went down.</summary>
    TrackedObjectDown,

    /// <summary>The instance's interface went down.</summary>
    LinkDown,

    /// <summary>Adding the virtual addresses failed.</summary>
    AddressBindFailed,

    /// <summary>Every fault cleared (tracked objects up, link up, retry delay after a failed bind elapsed).</summary>
    FaultCleared,

    /// <summary>A virtual address was removed by something else while master (keepalived leaves MASTER unless <c>no_track</c>).</summary>
    AddressRemoved,
}
