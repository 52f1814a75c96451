using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Linux.Interop;
using Ha.Net.Vrrp.Linux.Netlink;

namespace Ha.Net.Vrrp.Linux.Signals;

/// <summary>
/// One address binder's armed RTM_DELADDRs (<see cref="SignalStop"/>): one per IPv4 address the binder holds, armed
/// when it is added and disarmed when it is removed (by the binder or by someone else), sent by the SIGTERM handler after
/// every priority-0 advert on a netlink socket of its own, opened in the binder's network namespace. The requests
/// carry no NLM_F_ACK: nobody reads that socket, and the kernel answers only a failure (an address already gone).
/// IPv6 addresses are left to the managed stop (their instances' adverts are not armed either, so the order — priority
/// 0 first, then the addresses — holds for every instance).
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class StopAddresses : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(int Index, IPAddress Address), int> _slots = [];
    private readonly HashSet<(int Index, IPAddress Address)> _removedByHandler = [];
    private readonly int _fd;
    private bool _disposed;

    private StopAddresses(int fd) => _fd = fd;

    /// <summary>Opens the netlink socket in the calling thread's namespace; <see langword="null"/> when the handler is not installed.</summary>
    public static StopAddresses? Open()
    {
        if (!SignalStop.IsInstalled)
        {
            return null;
        }

        var fd = LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LibC.NETLINK_ROUTE);
        return fd < 0 ? null : new StopAddresses(fd);
    }

    /// <summary>After <paramref name="address"/> was added (or found present) on <paramref name="interfaceIndex"/>.</summary>
    public void Added(VirtualAddress address, int interfaceIndex)
    {
        if (address.Address.AddressFamily != AddressFamily.InterNetwork)
        {
            return;
        }

        Span<byte> request = stackalloc byte[256];
        var length = RouteNetlink.WriteAddress(request, 0, add: false, address, interfaceIndex);
        // NLM_F_REQUEST only (nlmsg_flags, bytes 6-7 in host order): no ack is wanted.
        System.Runtime.InteropServices.MemoryMarshal.Write(request[6..], (ushort)Rtnl.NLM_F_REQUEST);
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var key = (interfaceIndex, address.Address);
            var slot = SignalStop.Arm(_slots.GetValueOrDefault(key, -1), SignalStop.AddressRemoval, _fd, request[..length], []);
            if (slot >= 0)
            {
                _slots[key] = slot;
            }
        }
    }

    /// <summary>Whether the signal handler removed <paramref name="address"/> (its deletion is then the daemon's own, not someone else's).</summary>
    public bool RemovedByHandler(IPAddress address, int interfaceIndex)
    {
        lock (_gate)
        {
            var key = (interfaceIndex, address);
            // Fired and armed is enough: the handler marks a frame sent just before its sendto, but the stop signal's
            // handler has begun, so a deletion of an armed address now is the daemon's own either way.
            return _removedByHandler.Contains(key) || (_slots.TryGetValue(key, out var slot) && (SignalStop.WasSent(slot) || SignalStop.HasFired));
        }
    }

    /// <summary>Before <paramref name="address"/> is removed from <paramref name="interfaceIndex"/>, or after someone else removed it.</summary>
    public void Removing(IPAddress address, int interfaceIndex)
    {
        SignalStop.AddressRemoving(address); // adverts carrying it first: the instance is leaving MASTER
        lock (_gate)
        {
            if (_slots.Remove((interfaceIndex, address), out var slot))
            {
                if (SignalStop.WasSent(slot) || SignalStop.HasFired)
                {
                    _removedByHandler.Add((interfaceIndex, address)); // the watcher may be looking at its notification now
                }

                SignalStop.Release(slot);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var slot in _slots.Values)
            {
                SignalStop.Release(slot);
            }

            _slots.Clear();
        }

        _ = LibC.close(_fd);
    }
}
