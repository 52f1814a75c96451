using Ha.Net.Vrrp.Addresses;

namespace Ha.Net.Vrrp.Linux.Addresses;

/// <summary>What to do when a virtual address this node bound is deleted by something else (NetworkManager, systemd-networkd, an operator).</summary>
public enum ExternalRemovalPolicy
{
    /// <summary>Report it (<see cref="ILinuxAddressBinder.RemovedExternally"/>) so the instance leaves MASTER, as keepalived does for a tracked VIP (the default).</summary>
    LeaveMaster,

    /// <summary>Put the address back at once, then report it.</summary>
    Restore,
}

/// <summary>Options of the rtnetlink virtual-address binder.</summary>
public sealed record NetlinkAddressBinderOptions
{
    /// <summary>Whether to listen for address deletions (RTNLGRP_IPV4_IFADDR / RTNLGRP_IPV6_IFADDR); default on.</summary>
    public bool WatchExternalRemoval { get; init; } = true;

    /// <summary>What to do when a bound address is deleted behind our back; default <see cref="ExternalRemovalPolicy.LeaveMaster"/>.</summary>
    public ExternalRemovalPolicy OnExternalRemoval { get; init; } = ExternalRemovalPolicy.LeaveMaster;

    /// <summary>How long one netlink request may wait for the kernel's ack; default 10 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Every problem with these options, each naming its key; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (RequestTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(RequestTimeout)}: must be positive (was {RequestTimeout}).");
        }

        if (!Enum.IsDefined(OnExternalRemoval))
        {
            errors.Add($"{nameof(OnExternalRemoval)}: {(int)OnExternalRemoval} is not a policy.");
        }

        return errors;
    }
}

/// <summary>A bound virtual address was deleted by something other than this binder.</summary>
public sealed class VirtualAddressRemovedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    /// <param name="address">The address that was deleted.</param>
    /// <param name="restored">Whether the binder put it back (<see cref="ExternalRemovalPolicy.Restore"/>).</param>
    public VirtualAddressRemovedEventArgs(VirtualAddress address, bool restored)
    {
        Address = address;
        Restored = restored;
    }

    /// <summary>The address that was deleted.</summary>
    public VirtualAddress Address { get; }

    /// <summary>Whether the binder put it back.</summary>
    public bool Restored { get; }
}

/// <summary>
/// The Linux virtual-address binder: <see cref="IVirtualAddressBinder"/> over rtnetlink, plus listing,
/// start-up clean-up of addresses a killed predecessor left, and notice of deletions behind our back.
/// </summary>
public interface ILinuxAddressBinder : IVirtualAddressBinder, IAsyncDisposable
{
    /// <summary>Raised (on a pool thread) when a bound address is deleted by something else.</summary>
    event EventHandler<VirtualAddressRemovedEventArgs>? RemovedExternally;

    /// <summary>The addresses on <paramref name="interfaceName"/> (or on every interface), as <c>ip addr show</c> lists them.</summary>
    /// <param name="interfaceName">The interface, or <see langword="null"/> for all.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    Task<IReadOnlyList<VirtualAddress>> ListAsync(string? interfaceName, CancellationToken cancellationToken);

    /// <summary>
    /// Removes every configured virtual address that is present now — what a node killed with
    /// SIGKILL left behind. Call it once at start-up, before the instance can become master.
    /// </summary>
    /// <param name="configured">The instance's virtual addresses.</param>
    /// <param name="cancellationToken">Cancels the clean-up.</param>
    /// <returns>The addresses that were removed.</returns>
    Task<IReadOnlyList<VirtualAddress>> RemoveStaleAsync(IEnumerable<VirtualAddress> configured, CancellationToken cancellationToken);
}
