using System.Net;
using Ha.Net.Vrrp.Addresses;

namespace Ha.Net.Vrrp.Testing;

/// <summary>
/// A node's virtual addresses in memory: what a real binder would add to and remove from the interface, and the
/// announcements it would send. Idempotent, like the Linux binder. It can be told to refuse adds
/// (<see cref="FailAdd"/>) and can lose an address behind the router's back (<see cref="RemoveExternally"/>), to test
/// how the router (and code built on it) copes.
/// </summary>
public sealed class InMemoryAddressBinder : IVirtualAddressBinder, IAddressAnnouncer
{
    private readonly object _gate = new();
    private readonly HashSet<IPAddress> _bound = [];
    private readonly List<string> _history = [];
    private readonly List<IPAddress> _announced = [];
    private bool _dead;

    /// <summary>The addresses this node holds now.</summary>
    public IReadOnlyCollection<IPAddress> Bound
    {
        get
        {
            lock (_gate)
            {
                return [.. _bound];
            }
        }
    }

    /// <summary>
    /// Every change in order: <c>add 198.18.0.100</c>, <c>remove 198.18.0.100</c>, <c>add 198.18.0.100 failed</c>
    /// (refused by <see cref="FailAdd"/>), <c>removed externally 198.18.0.100</c> (<see cref="RemoveExternally"/>),
    /// <c>crash</c>.
    /// </summary>
    public IReadOnlyList<string> History
    {
        get
        {
            lock (_gate)
            {
                return [.. _history];
            }
        }
    }

    /// <summary>How many announcement frames (gratuitous ARP / unsolicited NA) were sent.</summary>
    public long Announcements
    {
        get
        {
            lock (_gate)
            {
                return _announced.Count;
            }
        }
    }

    /// <summary>The address of every announcement frame sent, in order (one entry per frame).</summary>
    public IReadOnlyList<IPAddress> AnnouncedAddresses
    {
        get
        {
            lock (_gate)
            {
                return [.. _announced];
            }
        }
    }

    /// <summary>
    /// When set, an add for which it returns <see langword="true"/> throws an <see cref="IOException"/>, as a kernel
    /// refusing the address would: the router counts an address error and enters FAULT (and retries after its
    /// <see cref="Configuration.VirtualRouterOptions.AddressFailureRetryDelay"/>). Set it to <see langword="null"/> to
    /// let adds succeed again.
    /// </summary>
    public Func<VirtualAddress, bool>? FailAdd { get; set; }

    /// <summary>Raised after each add or remove, on the router's loop: the address and whether it is now bound.</summary>
    public event Action<IPAddress, bool>? Changed;

    /// <summary>
    /// Raised for each announcement frame (gratuitous ARP / unsolicited NA), on the router's loop: the address it
    /// announces. A model of the LAN's neighbour caches can follow the address with it.
    /// </summary>
    public event Action<IPAddress>? Announced;

    /// <inheritdoc />
    public ValueTask AddAsync(VirtualAddress address, CancellationToken cancellationToken) => Record(address, bound: true);

    /// <inheritdoc />
    public ValueTask RemoveAsync(VirtualAddress address, CancellationToken cancellationToken) => Record(address, bound: false);

    /// <summary>Binds or unbinds <paramref name="address"/> (nothing once the machine crashed), keeps it in the history, raises <see cref="Changed"/>.</summary>
    private ValueTask Record(VirtualAddress address, bool bound)
    {
        ArgumentNullException.ThrowIfNull(address);
        lock (_gate)
        {
            if (_dead)
            {
                return ValueTask.CompletedTask;
            }

            if (bound && FailAdd is { } fail && fail(address))
            {
                _history.Add("add " + address.Address + " failed");
                throw new IOException($"RTNETLINK answers: Operation not permitted (simulated) for {address.Address}");
            }

            if (bound)
            {
                _bound.Add(address.Address);
            }
            else
            {
                _bound.Remove(address.Address);
            }

            _history.Add((bound ? "add " : "remove ") + address.Address);
        }

        Changed?.Invoke(address.Address, bound);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask AnnounceAsync(VirtualAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        lock (_gate)
        {
            if (_dead)
            {
                return ValueTask.CompletedTask; // a dead machine sends nothing
            }

            _announced.Add(address.Address);
        }

        Announced?.Invoke(address.Address);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Removes <paramref name="address"/> as a network manager or an admin's <c>ip addr del</c> would, without the
    /// router asking or knowing (a real router learns it from the kernel: tell this one with
    /// <see cref="Hosting.IVirtualRouter.ReportAddressRemoved"/>). Raises <see cref="Changed"/> if it was bound.
    /// </summary>
    /// <param name="address">The address to remove.</param>
    public void RemoveExternally(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        bool removed;
        lock (_gate)
        {
            removed = _bound.Remove(address);
            _history.Add("removed externally " + address);
        }

        if (removed)
        {
            Changed?.Invoke(address, false);
        }
    }

    /// <summary>The node is back (a new process): calls take effect again.</summary>
    internal void Revive()
    {
        lock (_gate)
        {
            _dead = false;
        }
    }

    /// <summary>The node died: its addresses vanish with it.</summary>
    internal void Crash()
    {
        IPAddress[] lost;
        lock (_gate)
        {
            _dead = true; // what the dying router still asks for never happens
            lost = [.. _bound];
            _bound.Clear();
            _history.Add("crash");
        }

        foreach (var address in lost)
        {
            Changed?.Invoke(address, false);
        }
    }
}
