using System.Net;

namespace Ha.Net.Vrrp.RouteInjection;

/// <summary>
/// The seam to a BGP speaker: asks an existing routing daemon to originate a prefix or to stop originating it.
/// Ha.Net never speaks BGP itself. Both calls are idempotent: announcing an announced prefix and withdrawing a
/// prefix that is not announced succeed. Built in: FRR's bgpd through vtysh (<see cref="RouteAnnouncers.Frr"/>);
/// BIRD 2 (birdc) or GoBGP (gRPC) fit the same interface.
/// </summary>
public interface IRouteAnnouncer
{
    /// <summary>A short description for logs, e.g. <c>frr bgp 65100 (vtysh -N node1)</c>.</summary>
    string Description { get; }

    /// <summary>Originates <paramref name="prefix"/>.</summary>
    /// <exception cref="RouteAnnouncerException">The speaker refused or could not be reached; the message says what it answered.</exception>
    Task AnnounceAsync(IPNetwork prefix, CancellationToken cancellationToken = default);

    /// <summary>Stops originating <paramref name="prefix"/> (success when it was not originated).</summary>
    /// <exception cref="RouteAnnouncerException">The speaker refused or could not be reached; the message says what it answered.</exception>
    Task WithdrawAsync(IPNetwork prefix, CancellationToken cancellationToken = default);
}

/// <summary>A BGP speaker refused a change or could not be reached.</summary>
public sealed class RouteAnnouncerException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RouteAnnouncerException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public RouteAnnouncerException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public RouteAnnouncerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
