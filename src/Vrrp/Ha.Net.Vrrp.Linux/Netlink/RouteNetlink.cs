using System.Runtime.Versioning;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Linux.Interop;

namespace Ha.Net.Vrrp.Linux.Netlink;

/// <summary>A network interface as RTM_NEWLINK describes it.</summary>
internal sealed record LinkInfo(int Index, string Name, uint Flags, byte[] HardwareAddress)
{
    /// <summary>Up as keepalived sees it: administratively up (IFF_UP) and running (IFF_RUNNING, i.e. carrier).</summary>
    public bool IsUp => (Flags & Rtnl.IFF_UP) != 0 && (Flags & Rtnl.IFF_RUNNING) != 0;
}

/// <summary>An address as RTM_NEWADDR/RTM_DELADDR describes it.</summary>
internal sealed record AddressInfo(int InterfaceIndex, IPAddress Address, int PrefixLength, byte Flags, AddressScope Scope, IPAddress? Broadcast, string? Label)
{
    public bool IsSecondary => (Flags & Rtnl.IFA_F_SECONDARY) != 0;
}

/// <summary>
/// rtnetlink requests and replies for links and addresses: pure functions from values to bytes and
/// back, tested on golden bytes without a kernel (tests/.../Netlink/RouteNetlinkTests.cs).
/// </summary>
[SupportedOSPlatform("linux")]
internal static class RouteNetlink
{
    /// <summary>RTM_GETLINK: a dump of every link, or one link by name (IFLA_IFNAME).</summary>
    public static int WriteGetLink(Span<byte> buffer, uint sequence, string? name)
    {
        var flags = (ushort)(Rtnl.NLM_F_REQUEST | (name is null ? Rtnl.NLM_F_DUMP : Rtnl.NLM_F_ACK));
        var writer = new NetlinkMessageWriter(buffer, Rtnl.RTM_GETLINK, flags, sequence);
        writer.WriteFamilyHeader(new ifinfomsg());
        if (name is not null)
        {
            writer.WriteAttribute(Rtnl.IFLA_IFNAME, name);
        }

        return writer.Written.Length;
    }

    /// <summary>RTM_GETADDR: a dump of the addresses of one family (AF_UNSPEC for all).</summary>
    public static int WriteGetAddresses(Span<byte> buffer, uint sequence, byte family)
    {
        var writer = new NetlinkMessageWriter(buffer, Rtnl.RTM_GETADDR, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_DUMP, sequence);
        writer.WriteFamilyHeader(new ifaddrmsg { ifa_family = family });
        return writer.Written.Length;
    }

    /// <summary>
    /// RTM_NEWADDR (create, exclusive, acked) or RTM_DELADDR (acked) for a virtual address, as
    /// <c>ip addr add|del ADDR/PREFIX [brd B] [scope S] [label L] dev IF</c> sends it: IFA_LOCAL and
    /// IFA_ADDRESS both carry the address, IPv6 addresses get IFA_F_NODAD (keepalived does the same).
    /// </summary>
    public static int WriteAddress(Span<byte> buffer, uint sequence, bool add, VirtualAddress address, int interfaceIndex)
    {
        var v6 = address.Address.AddressFamily == AddressFamily.InterNetworkV6;
        var flags = (ushort)(Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK | (add ? Rtnl.NLM_F_CREATE | Rtnl.NLM_F_EXCL : 0));
        var writer = new NetlinkMessageWriter(buffer, add ? Rtnl.RTM_NEWADDR : Rtnl.RTM_DELADDR, flags, sequence);
        writer.WriteFamilyHeader(new ifaddrmsg
        {
            ifa_family = (byte)(v6 ? LibC.AF_INET6 : LibC.AF_INET),
            ifa_prefixlen = (byte)address.PrefixLength,
            ifa_flags = (byte)(v6 && add ? Rtnl.IFA_F_NODAD : 0),
            ifa_scope = (byte)address.Scope,
            ifa_index = (uint)interfaceIndex,
        });
        Span<byte> bytes = stackalloc byte[16];
        address.Address.TryWriteBytes(bytes, out var n);
        writer.WriteAttribute(Rtnl.IFA_LOCAL, bytes[..n]);
        writer.WriteAttribute(Rtnl.IFA_ADDRESS, bytes[..n]);
        if (add && address.Broadcast is { } broadcast && !v6)
        {
            broadcast.TryWriteBytes(bytes, out n);
            writer.WriteAttribute(Rtnl.IFA_BROADCAST, bytes[..n]);
        }

        if (add && address.Label is { } label && !v6)
        {
            writer.WriteAttribute(Rtnl.IFA_LABEL, label);
        }

        return writer.Written.Length;
    }

    /// <summary>Reads an RTM_NEWLINK/RTM_DELLINK message; <see langword="null"/> when it is not one or is too short.</summary>
    public static LinkInfo? TryParseLink(NetlinkMessage message)
    {
        if (message.Type is not (Rtnl.RTM_NEWLINK or Rtnl.RTM_DELLINK) || message.Payload.Length < Marshal.SizeOf<ifinfomsg>())
        {
            return null;
        }

        var info = MemoryMarshal.Read<ifinfomsg>(message.Payload);
        string? name = null;
        byte[] mac = [];
        var attributes = new NetlinkAttributeReader(message.Payload[Rtnl.Align(Marshal.SizeOf<ifinfomsg>())..]);
        while (attributes.TryRead(out var type, out var value))
        {
            switch (type)
            {
                case Rtnl.IFLA_IFNAME:
                    name = NetlinkAttributeReader.ReadString(value);
                    break;
                case Rtnl.IFLA_ADDRESS:
                    mac = value.ToArray();
                    break;
            }
        }

        return name is null ? null : new LinkInfo(info.ifi_index, name, info.ifi_flags, mac);
    }

    /// <summary>Reads an RTM_NEWADDR/RTM_DELADDR message; <see langword="null"/> when it is not one or is malformed.</summary>
    public static AddressInfo? TryParseAddress(NetlinkMessage message)
    {
        if (message.Type is not (Rtnl.RTM_NEWADDR or Rtnl.RTM_DELADDR) || message.Payload.Length < Marshal.SizeOf<ifaddrmsg>())
        {
            return null;
        }

        var header = MemoryMarshal.Read<ifaddrmsg>(message.Payload);
        var length = header.ifa_family switch
        {
            LibC.AF_INET => 4,
            LibC.AF_INET6 => 16,
            _ => 0,
        };
        if (length == 0)
        {
            return null;
        }

        IPAddress? local = null, address = null, broadcast = null;
        string? label = null;
        var attributes = new NetlinkAttributeReader(message.Payload[Rtnl.Align(Marshal.SizeOf<ifaddrmsg>())..]);
        while (attributes.TryRead(out var type, out var value))
        {
            switch (type)
            {
                case Rtnl.IFA_LOCAL when value.Length == length:
                    local = new IPAddress(value);
                    break;
                case Rtnl.IFA_ADDRESS when value.Length == length:
                    address = new IPAddress(value);
                    break;
                case Rtnl.IFA_BROADCAST when value.Length == length:
                    broadcast = new IPAddress(value);
                    break;
                case Rtnl.IFA_LABEL:
                    label = NetlinkAttributeReader.ReadString(value);
                    break;
            }
        }

        // IPv4 reports the local address in IFA_LOCAL (IFA_ADDRESS is the peer on point-to-point links);
        // IPv6 only sends IFA_ADDRESS unless a peer is configured.
        var own = local ?? address;
        return own is null
            ? null
            : new AddressInfo((int)header.ifa_index, own, header.ifa_prefixlen, header.ifa_flags, (AddressScope)header.ifa_scope, broadcast, label);
    }
}
