using System.Net;
using FsCheck.Xunit;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Linux.Netlink;

namespace Ha.Net.Vrrp.Linux.Tests.Netlink;

/// <summary>rtnetlink messages as bytes, without a kernel.</summary>
public class RouteNetlinkTests
{
    [Fact]
    public void New_address_request_is_what_ip_addr_add_sends()
    {
        var vip = new VirtualAddress(IPAddress.Parse("198.18.0.100"), 24, "eth0") { Broadcast = IPAddress.Parse("198.18.0.255"), Label = "eth0:vip" };
        var buffer = new byte[256];

        var n = RouteNetlink.WriteAddress(buffer, 7, add: true, vip, interfaceIndex: 2);

        var expected = Convert.FromHexString(
            "40000000" + "1400" + "0506" + "07000000" + "00000000" + // nlmsghdr: 64 bytes, RTM_NEWADDR, REQUEST|ACK|EXCL|CREATE, seq 7
            "02" + "18" + "00" + "00" + "02000000" +                   // ifaddrmsg: AF_INET, /24, no flags, scope global, index 2
            "0800" + "0200" + "c6120064" +                              // IFA_LOCAL
            "0800" + "0100" + "c6120064" +                              // IFA_ADDRESS
            "0800" + "0400" + "c61200ff" +                              // IFA_BROADCAST
            "0d00" + "0300" + "657468303a76697000" + "000000");        // IFA_LABEL "eth0:vip\0" + pad
        Assert.Equal(expected, buffer[..n]);
    }

    [Fact]
    public void Delete_request_carries_only_the_address()
    {
        var vip = new VirtualAddress(IPAddress.Parse("2001:db8::54"), 128, "eth0") { Label = "ignored" };
        var buffer = new byte[256];

        var n = RouteNetlink.WriteAddress(buffer, 9, add: false, vip, interfaceIndex: 3);

        Assert.Equal(16 + 8 + 20 + 20, n);
        Assert.Equal(Convert.FromHexString("1500" + "0500"), buffer[4..8]); // RTM_DELADDR, REQUEST|ACK
        Assert.Equal(Convert.FromHexString("0a" + "80" + "00" + "00" + "03000000"), buffer[16..24]); // AF_INET6 /128, no NODAD on delete
    }

    [Fact]
    public void IPv6_add_asks_for_no_duplicate_address_detection()
    {
        var buffer = new byte[256];
        RouteNetlink.WriteAddress(buffer, 1, add: true, new VirtualAddress(IPAddress.Parse("2001:db8::54"), 64, "eth0"), 3);
        Assert.Equal(Rtnl.IFA_F_NODAD, buffer[18]);
    }

    [Fact]
    public void Address_notification_is_read_back()
    {
        var buffer = new byte[256];
        var vip = new VirtualAddress(IPAddress.Parse("198.18.0.100"), 24, "eth0") { Broadcast = IPAddress.Parse("198.18.0.255"), Label = "eth0:vip", Scope = AddressScope.Link };
        var n = RouteNetlink.WriteAddress(buffer, 1, add: true, vip, 2);
        buffer[4] = (byte)Rtnl.RTM_DELADDR;

        var reader = new NetlinkMessageReader(buffer.AsSpan(0, n));
        Assert.True(reader.TryRead(out var message));
        var info = RouteNetlink.TryParseAddress(message);

        Assert.NotNull(info);
        Assert.Equal(2, info.InterfaceIndex);
        Assert.Equal(vip.Address, info.Address);
        Assert.Equal(24, info.PrefixLength);
        Assert.Equal(vip.Broadcast, info.Broadcast);
        Assert.Equal("eth0:vip", info.Label);
        Assert.Equal(AddressScope.Link, info.Scope);
        Assert.False(reader.TryRead(out _));
        Assert.False(reader.Malformed);
    }

    [Fact]
    public void Link_request_by_name_and_reply_round_trip()
    {
        var buffer = new byte[256];
        var n = RouteNetlink.WriteGetLink(buffer, 5, "eth0");
        Assert.Equal(16 + 16 + 12, n); // header, ifinfomsg, IFLA_IFNAME "eth0\0" padded to 8
        Assert.Equal(Convert.FromHexString("1200" + "0500"), buffer[4..8]);

        buffer[4] = (byte)Rtnl.RTM_NEWLINK;
        var reader = new NetlinkMessageReader(buffer.AsSpan(0, n));
        Assert.True(reader.TryRead(out var message));
        var link = RouteNetlink.TryParseLink(message);
        Assert.NotNull(link);
        Assert.Equal("eth0", link.Name);
        Assert.False(link.IsUp);
    }

    [Fact]
    public void A_length_running_past_the_datagram_is_malformed()
    {
        var buffer = new byte[64];
        var n = RouteNetlink.WriteGetAddresses(buffer, 1, 2);
        buffer[0] = 200;
        var reader = new NetlinkMessageReader(buffer.AsSpan(0, n));
        Assert.False(reader.TryRead(out _));
        Assert.True(reader.Malformed);
    }

    [Property]
    public void Any_bytes_are_read_or_refused_without_an_exception(byte[] bytes)
    {
        var reader = new NetlinkMessageReader(bytes);
        var count = 0;
        while (reader.TryRead(out var message) && count++ < 1000)
        {
            _ = RouteNetlink.TryParseAddress(message);
            _ = RouteNetlink.TryParseLink(message);
        }
    }
}
