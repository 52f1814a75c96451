using System.Collections.Concurrent;
using System.Net;
using Ha.Net.Vrrp.Addresses;

namespace Ha.Net.Testing.Vrrp;

/// <summary>An idempotent in-memory binder that records every call in order and can be told to fail.</summary>
public sealed class RecordingAddressBinder : IVirtualAddressBinder
{
    private readonly object _gate = new();
    private readonly HashSet<IPAddress> _bound = [];

    /// <summary>"add 198.18.0.100", "remove 198.18.0.100", … in call order.</summary>
    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>When it returns true for an address, adding it throws.</summary>
    public Func<VirtualAddress, bool>? FailAdd { get; set; }

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

    public ValueTask AddAsync(VirtualAddress address, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"add {address.Address}");
        if (FailAdd?.Invoke(address) == true)
        {
            throw new InvalidOperationException($"RTNETLINK answers: Operation not permitted (simulated) for {address}");
        }

        lock (_gate)
        {
            _bound.Add(address.Address);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask RemoveAsync(VirtualAddress address, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"remove {address.Address}");
        lock (_gate)
        {
            _bound.Remove(address.Address);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Removes an address as a network manager would, without telling anyone.</summary>
    public void RemoveBehindTheBack(IPAddress address)
    {
        lock (_gate)
        {
            _bound.Remove(address);
        }
    }
}

/// <summary>Records every announcement (one per frame).</summary>
public sealed class RecordingAnnouncer : IAddressAnnouncer
{
    public ConcurrentQueue<IPAddress> Announced { get; } = new();

    public ValueTask AnnounceAsync(VirtualAddress address, CancellationToken cancellationToken)
    {
        Announced.Enqueue(address.Address);
        return ValueTask.CompletedTask;
    }
}
