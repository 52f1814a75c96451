using System.Runtime.InteropServices;
using System.Text;
using Ha.Net.Vrrp.Linux.Interop;

namespace Ha.Net.Vrrp.Linux.Netlink;

/// <summary>One netlink message inside a datagram: its header fields and its payload (family header and attributes).</summary>
internal readonly ref struct NetlinkMessage
{
    public NetlinkMessage(ushort type, ushort flags, uint sequence, uint portId, ReadOnlySpan<byte> payload)
    {
        Type = type;
        Flags = flags;
        Sequence = sequence;
        PortId = portId;
        Payload = payload;
    }

    public ushort Type { get; }

    public ushort Flags { get; }

    public uint Sequence { get; }

    public uint PortId { get; }

    public ReadOnlySpan<byte> Payload { get; }
}

/// <summary>
/// Iterates the messages of one netlink datagram. A message whose length field is shorter than a
/// header or runs past the datagram ends the iteration (<see cref="Malformed"/> is then set):
/// the kernel never sends those, so they are counted and dropped rather than guessed at.
/// </summary>
internal ref struct NetlinkMessageReader
{
    private ReadOnlySpan<byte> _remaining;

    public NetlinkMessageReader(ReadOnlySpan<byte> datagram) => _remaining = datagram;

    public bool Malformed { get; private set; }

    public bool TryRead(out NetlinkMessage message)
    {
        message = default;
        if (_remaining.Length < Rtnl.NlMsgHdrLen)
        {
            Malformed |= !_remaining.IsEmpty;
            return false;
        }

        var header = MemoryMarshal.Read<nlmsghdr>(_remaining);
        if (header.nlmsg_len < Rtnl.NlMsgHdrLen || header.nlmsg_len > _remaining.Length)
        {
            Malformed = true;
            return false;
        }

        message = new NetlinkMessage(header.nlmsg_type, header.nlmsg_flags, header.nlmsg_seq, header.nlmsg_pid,
            _remaining[Rtnl.NlMsgHdrLen..(int)header.nlmsg_len]);
        var next = Math.Min(Rtnl.Align((int)header.nlmsg_len), _remaining.Length);
        _remaining = _remaining[next..];
        return true;
    }
}

/// <summary>Iterates rtattr type-length-value attributes.</summary>
internal ref struct NetlinkAttributeReader
{
    private ReadOnlySpan<byte> _remaining;

    public NetlinkAttributeReader(ReadOnlySpan<byte> attributes) => _remaining = attributes;

    public bool TryRead(out ushort type, out ReadOnlySpan<byte> value)
    {
        type = 0;
        value = default;
        if (_remaining.Length < 4)
        {
            return false;
        }

        var attr = MemoryMarshal.Read<rtattr>(_remaining);
        if (attr.rta_len < 4 || attr.rta_len > _remaining.Length)
        {
            return false;
        }

        // The top bits are NLA_F_NESTED / NLA_F_NET_BYTEORDER.
        type = (ushort)(attr.rta_type & 0x3FFF);
        value = _remaining[4..attr.rta_len];
        _remaining = _remaining[Math.Min(Rtnl.Align(attr.rta_len), _remaining.Length)..];
        return true;
    }

    public static string ReadString(ReadOnlySpan<byte> value)
    {
        var nul = value.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? value[..nul] : value);
    }
}
