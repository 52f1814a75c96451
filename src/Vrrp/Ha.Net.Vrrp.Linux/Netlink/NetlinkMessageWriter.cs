using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Ha.Net.Vrrp.Linux.Interop;

namespace Ha.Net.Vrrp.Linux.Netlink;

/// <summary>
/// Writes one netlink request (header, family header, attributes) into a buffer, in host byte
/// order and with NLMSG_ALIGN/RTA_ALIGN padding, as linux/netlink.h lays it out:
/// <code>
/// | nlmsghdr (16) | family header (ifaddrmsg 8 / ifinfomsg 16) | rtattr(len,type) value pad | ...
/// </code>
/// </summary>
internal ref struct NetlinkMessageWriter
{
    private readonly Span<byte> _buffer;
    private int _position;

    public NetlinkMessageWriter(Span<byte> buffer, ushort type, ushort flags, uint sequence)
    {
        _buffer = buffer;
        _buffer[..Rtnl.NlMsgHdrLen].Clear();
        var header = new nlmsghdr { nlmsg_type = type, nlmsg_flags = flags, nlmsg_seq = sequence };
        MemoryMarshal.Write(_buffer, in header);
        _position = Rtnl.NlMsgHdrLen;
    }

    /// <summary>The bytes written so far, with the header's length field up to date.</summary>
    public readonly ReadOnlySpan<byte> Written
    {
        get
        {
            MemoryMarshal.Write(_buffer, (uint)_position);
            return _buffer[.._position];
        }
    }

    public void WriteFamilyHeader<T>(in T value)
        where T : unmanaged
    {
        var size = Unsafe.SizeOf<T>();
        MemoryMarshal.Write(_buffer[_position..], in value);
        _position += Rtnl.Align(size);
    }

    public void WriteAttribute(ushort type, scoped ReadOnlySpan<byte> value)
    {
        var length = 4 + value.Length;
        var attr = new rtattr { rta_len = (ushort)length, rta_type = type };
        MemoryMarshal.Write(_buffer[_position..], in attr);
        value.CopyTo(_buffer[(_position + 4)..]);
        var aligned = Rtnl.Align(length);
        _buffer[(_position + length)..(_position + aligned)].Clear();
        _position += aligned;
    }

    public void WriteAttribute(ushort type, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        MemoryMarshal.Write(bytes, in value);
        WriteAttribute(type, bytes);
    }

    /// <summary>A NUL-terminated string attribute (IFA_LABEL, IFLA_IFNAME).</summary>
    public void WriteAttribute(ushort type, string value)
    {
        Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(value.Length) + 1];
        var n = Encoding.UTF8.GetBytes(value, bytes);
        bytes[n] = 0;
        WriteAttribute(type, bytes[..(n + 1)]);
    }
}
