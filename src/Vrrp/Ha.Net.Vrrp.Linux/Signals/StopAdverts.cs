using System.Buffers.Binary;
using System.Net;
using System.Runtime.Versioning;
using Ha.Net.Vrrp.Linux.Interop;

namespace Ha.Net.Vrrp.Linux.Signals;

/// <summary>
/// One IPv4 transport's armed priority-0 adverts (<see cref="SignalStop"/>): while the instance is master, each advert
/// it sends with a priority above 0 arms, per destination, the same packet with priority 0 (checksum adjusted), on a
/// descriptor of its own (a dup of the transport's socket, so a closed socket never leaves the handler a reused
/// number). Disarmed when the instance sends priority 0 itself (it leaves MASTER to FAULT or stops) or when one of the
/// addresses the advert carries is being removed (it leaves MASTER to BACKUP). Once the handler has sent a
/// destination's priority-0 advert, nothing more goes to that destination (<see cref="Suppress"/>): the instance is
/// stopping, and a second priority-0 advert or a later advert with its priority would only confuse the backups.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class StopAdverts : IDisposable
{
    /// <summary>VRRP header offsets (RFC 3768 §5.1, RFC 5798 §5.1: the same in v2 and v3).</summary>
    private const int PriorityOffset = 2;
    private const int CountOffset = 3;
    private const int ChecksumOffset = 6;
    private const int AddressesOffset = 8;

    private readonly Lock _gate = new();
    private readonly Dictionary<uint, Armed> _armed = [];
    private readonly int _fd;
    private readonly Action<IPAddress> _onRemoving;
    private bool _disposed;

    private StopAdverts(int fd)
    {
        _fd = fd;
        _onRemoving = AddressRemoving;
        SignalStop.OnAddressRemoving(_onRemoving);
    }

    /// <summary>For a transport's socket; <see langword="null"/> when the handler is not installed.</summary>
    public static StopAdverts? For(System.Net.Sockets.Socket socket)
    {
        if (!SignalStop.IsInstalled)
        {
            return null;
        }

        var fd = LibC.dup((int)socket.SafeHandle.DangerousGetHandle());
        return fd < 0 ? null : new StopAdverts(fd);
    }

    /// <summary>
    /// Whether the advert about to go to <paramref name="destination"/> must not be sent: the handler already sent this
    /// destination's priority-0 advert. A priority-0 advert also disarms the destination's slot.
    /// </summary>
    public bool Suppress(ReadOnlySpan<byte> vrrp, uint destination)
    {
        lock (_gate)
        {
            if (!_armed.TryGetValue(destination, out var armed))
            {
                return false;
            }

            if (SignalStop.WasSent(armed.Slot))
            {
                return true;
            }

            if (vrrp.Length > PriorityOffset && vrrp[PriorityOffset] == 0 && armed.IsArmed)
            {
                armed.IsArmed = false;
                return SignalStop.Disarm(armed.Slot); // the handler may have run between the two looks
            }

            return false;
        }
    }

    /// <summary>
    /// After <paramref name="packet"/> (IPv4 header and VRRP message) went to <paramref name="destination"/>: arms its
    /// priority-0 twin when its priority is above 0 and it carries addresses, unless the same is armed already.
    /// </summary>
    public void Sent(ReadOnlySpan<byte> packet, int headerLength, uint destination)
    {
        var vrrp = packet[headerLength..];
        if (vrrp.Length < AddressesOffset || vrrp[PriorityOffset] == 0 || vrrp[CountOffset] == 0
            || vrrp.Length < AddressesOffset + (4 * vrrp[CountOffset]))
        {
            return;
        }

        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            if (_armed.TryGetValue(destination, out var armed) && armed.IsArmed && packet.SequenceEqual(armed.Source))
            {
                return;
            }

            var frame = packet.ToArray();
            PriorityZero(frame.AsSpan(headerLength));
            var addresses = new uint[vrrp[CountOffset]];
            for (var i = 0; i < addresses.Length; i++)
            {
                addresses[i] = BinaryPrimitives.ReadUInt32BigEndian(vrrp[(AddressesOffset + (4 * i))..]);
            }

            // struct sockaddr_in: sin_family in host order, port 0, the address in network order.
            Span<byte> socketAddress = stackalloc byte[16];
            socketAddress.Clear();
            System.Runtime.InteropServices.MemoryMarshal.Write(socketAddress, (ushort)LibC.AF_INET);
            BinaryPrimitives.WriteUInt32BigEndian(socketAddress[4..], destination);
            var slot = SignalStop.Arm(armed?.Slot ?? -1, SignalStop.Advert, _fd, frame, socketAddress);
            if (slot < 0)
            {
                return;
            }

            _armed[destination] = new Armed(slot, packet.ToArray(), addresses) { IsArmed = true };
        }
    }

    /// <summary>
    /// Rewrites a VRRP message with priority 0 in place: the priority byte and the checksum, updated incrementally
    /// (RFC 1624 eqn. 3) so that v3's pseudo-header needs no recomputing.
    /// </summary>
    internal static void PriorityZero(Span<byte> vrrp)
    {
        var oldWord = BinaryPrimitives.ReadUInt16BigEndian(vrrp[PriorityOffset..]);
        vrrp[PriorityOffset] = 0;
        var newWord = BinaryPrimitives.ReadUInt16BigEndian(vrrp[PriorityOffset..]);
        var checksum = BinaryPrimitives.ReadUInt16BigEndian(vrrp[ChecksumOffset..]);
        var sum = (uint)(ushort)~checksum + (ushort)~oldWord + newWord;
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(vrrp[ChecksumOffset..], (ushort)~sum);
    }

    private void AddressRemoving(IPAddress address)
    {
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return;
        }

        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        var value = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        lock (_gate)
        {
            foreach (var armed in _armed.Values)
            {
                if (armed.IsArmed && Array.IndexOf(armed.Addresses, value) >= 0)
                {
                    armed.IsArmed = false;
                    _ = SignalStop.Disarm(armed.Slot);
                }
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
            foreach (var armed in _armed.Values)
            {
                SignalStop.Release(armed.Slot);
            }

            _armed.Clear();
        }

        SignalStop.RemoveListener(_onRemoving);
        _ = LibC.close(_fd);
    }

    private sealed class Armed(int slot, byte[] source, uint[] addresses)
    {
        public int Slot { get; } = slot;

        public byte[] Source { get; } = source;

        public uint[] Addresses { get; } = addresses;

        public bool IsArmed { get; set; }
    }
}
