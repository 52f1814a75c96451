using System.Net;
using Ha.Net.Vrrp.Addresses;

namespace Ha.Net.Vrrp.Testing;

/// <summary>
/// A node's virtual addresses in memory: what a real binder would add to and remove from the interface, and the
/// announcements it would send. Idempotent, like the Linux binder.
/// </summary>
public sealed class InMemoryAddressBinder : IVirtualAddressBinder, IAddressAnnouncer
{
    private readonly object _gate = new();
    private readonly HashSet<IPAddress> _bound = [];
    private readonly List<string> _history = [];
    private long _announcements;
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

    /// <summary>Every call in order: <c>add 198.18.0.100</c>, <c>remove 198.18.0.100</c>, <c>crash</c>.</summary>
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
    public long Announcements => Interlocked.Read(ref _announcements);

    /// <summary>Raised after each add or remove, on the router's loop: the address and whether it is now bound.</summary>
    public event Action<IPAddress, bool>? Changed;

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
        Interlocked.Increment(ref _announcements);
        return ValueTask.CompletedTask;
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
