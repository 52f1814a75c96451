using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Linux.Addresses;
using Ha.Net.Vrrp.Linux.Transport;

namespace Ha.Net.Vrrp.Linux.Hosting;

/// <summary>Options of the Linux backend as registered by <c>services.AddLinuxVrrp()</c>.</summary>
public sealed class LinuxVrrpOptions
{
    /// <summary>The rtnetlink binder's options (external-removal policy, request timeout).</summary>
    public NetlinkAddressBinderOptions AddressBinder { get; set; } = new();

    /// <summary>TTL / hop limit of unicast adverts (keepalived <c>unicast_ttl</c>); default 255.</summary>
    public byte UnicastTtl { get; set; } = 255;

    /// <summary>
    /// Adjusts one instance's transport options after they are made from its <c>VirtualRouterOptions</c> and
    /// <see cref="UnicastTtl"/>, for what differs per instance (keepalived's per-instance <c>unicast_ttl</c>, checking the
    /// source of unicast adverts or the multicast TTL); <see langword="null"/> leaves them as made. Invalid results are
    /// refused when the transport opens, every problem listed.
    /// </summary>
    public Func<VirtualRouterOptions, RawVrrpTransportOptions, RawVrrpTransportOptions>? ConfigureTransport { get; set; }

    /// <summary>Remove every configured virtual address present at start-up (what a killed predecessor left); default on.</summary>
    public bool RemoveStaleAddressesAtStart { get; set; } = true;

    /// <summary>Every problem with these options, each naming its key; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (AddressBinder is null)
        {
            errors.Add($"{nameof(AddressBinder)}: required.");
        }
        else
        {
            errors.AddRange(AddressBinder.Validate().Select(e => $"{nameof(AddressBinder)}.{e}"));
        }

        if (UnicastTtl == 0)
        {
            errors.Add($"{nameof(UnicastTtl)}: must be 1–255.");
        }

        return errors;
    }
}
