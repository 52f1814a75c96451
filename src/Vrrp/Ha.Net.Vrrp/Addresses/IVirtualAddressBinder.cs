namespace Ha.Net.Vrrp.Addresses;

/// <summary>
/// Adds and removes virtual addresses on this host's interfaces.
/// </summary>
/// <remarks>
/// Both operations are idempotent: adding an address that is already there and removing one
/// that is already gone succeed. Any other failure throws, and the VRRP host feeds it back to the
/// election as an input rather than swallowing it.
/// </remarks>
public interface IVirtualAddressBinder
{
    /// <summary>Adds <paramref name="address"/> to its interface; success if it is already there.</summary>
    /// <param name="address">The address to add.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    ValueTask AddAsync(VirtualAddress address, CancellationToken cancellationToken);

    /// <summary>Removes <paramref name="address"/> from its interface; success if it is already gone.</summary>
    /// <param name="address">The address to remove.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    ValueTask RemoveAsync(VirtualAddress address, CancellationToken cancellationToken);
}

/// <summary>
/// Tells the link that this host now answers for an address (IPv4 gratuitous ARP, IPv6 unsolicited
/// neighbour advertisement), so that clients' neighbour caches follow a virtual address to its new master.
/// </summary>
public interface IAddressAnnouncer
{
    /// <summary>Announces <paramref name="address"/> once on its interface.</summary>
    /// <param name="address">The address to announce.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    ValueTask AnnounceAsync(VirtualAddress address, CancellationToken cancellationToken);
}
