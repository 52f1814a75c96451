using System.Net;
using System.Net.Sockets;
using Ha.Net.Testing.Environment;
using Ha.Net.Vrrp.Linux.Lab;
using Ha.Net.Vrrp.Linux.Transport;
using Ha.Net.Vrrp.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ha.Net.Vrrp.Linux.Tests.Transport;

/// <summary>The raw transports against a real kernel: two namespaces joined by a veth pair (198.18.0.0/24).</summary>
public class RawTransportKernelTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [RequiresFact("netns")]
    public async Task Multicast_advert_crosses_the_link_with_ttl_255_and_its_envelope_reported()
    {
        await using var lab = new NetnsLab();
        var (a, b) = Pair(lab);
        await using var ta = await Open(a, new RawVrrpTransportOptions { InterfaceName = "eth0" });
        await using var tb = await Open(b, new RawVrrpTransportOptions { InterfaceName = "eth0" });
        Assert.Equal(IPAddress.Parse("198.18.0.11"), ta.LocalAddress);

        var message = TestData.Bytes(TestData.V2AuthPass);
        var receive = Receive(tb);
        await ta.SendAsync(message, RawVrrpTransportOptions.IPv4Group, CancellationToken.None);
        var (result, bytes) = await receive;

        Assert.Equal(message, bytes);
        Assert.Equal(IPAddress.Parse("198.18.0.11"), result.Source);
        Assert.Equal(RawVrrpTransportOptions.IPv4Group, result.Destination);
        Assert.Equal(255, result.TimeToLive);
    }

    [RequiresFact("netns")]
    public async Task Sent_packet_is_keepalived_s_ip_envelope_byte_for_byte()
    {
        await using var lab = new NetnsLab();
        var (a, b) = Pair(lab);
        await using var ta = await Open(a, new RawVrrpTransportOptions { InterfaceName = "eth0" });
        using var capture = await NetnsLab.InNamespace(b, () => FrameCapture.Open(0x0800));

        await ta.SendAsync(TestData.Bytes(TestData.V2AuthPass), RawVrrpTransportOptions.IPv4Group, CancellationToken.None);
        var frame = await capture.ReceiveAsync(Bound, f => f.Length > 23 && f[23] == 112);

        // Ethernet: to 01:00:5e:00:00:12 from the interface's own MAC (no VMAC, as keepalived without use_vmac).
        Assert.Equal(Convert.FromHexString("01005e000012" + "0200c612000b" + "0800"), frame[..14]);
        var packet = frame[14..];

        // keepalived's header: 45 c0 len | id | 0000 (no DF) | ff 70 csum | src | dst. The kernel picks the id and checksum.
        var expected = TestData.Bytes(TestData.V2AuthPassPacket);
        Assert.Equal(expected.Length, packet.Length);
        Assert.Equal(expected[..4], packet[..4]);
        Assert.Equal(expected[6..10], packet[6..10]);
        Assert.Equal(expected[12..], packet[12..]);
    }

    [RequiresFact("netns")]
    public async Task Unicast_mode_sends_to_peers_and_ignores_multicast()
    {
        await using var lab = new NetnsLab();
        var (a, b) = Pair(lab);
        await using var ta = await Open(a, new RawVrrpTransportOptions { InterfaceName = "eth0", UnicastPeers = [IPAddress.Parse("198.18.0.12")], UnicastTtl = 64 });
        await using var tb = await Open(b, new RawVrrpTransportOptions { InterfaceName = "eth0", UnicastPeers = [IPAddress.Parse("198.18.0.11")], CheckUnicastSource = true });

        var receive = Receive(tb);
        // A multicast advert first: a unicast-mode receiver must drop it (keepalived: "Expected unicast packet").
        await ta.SendAsync(TestData.Bytes(TestData.V2NoAuth), RawVrrpTransportOptions.IPv4Group, CancellationToken.None);
        await ta.SendAsync(TestData.Bytes(TestData.V3), IPAddress.Parse("198.18.0.12"), CancellationToken.None);
        var (result, bytes) = await receive;

        Assert.Equal(TestData.Bytes(TestData.V3), bytes);
        Assert.Equal(IPAddress.Parse("198.18.0.11"), result.Source);
        Assert.Equal(IPAddress.Parse("198.18.0.12"), result.Destination);
        Assert.Equal(64, result.TimeToLive); // unicast_ttl; the TTL check is skipped in unicast mode, as keepalived
    }

    [RequiresFact("netns")]
    public async Task Unicast_source_check_drops_unknown_peers()
    {
        await using var lab = new NetnsLab();
        var (a, b) = Pair(lab);
        NetnsLab.AddAddress(a, "198.18.0.21/24");
        await using var stranger = await Open(a, new RawVrrpTransportOptions { InterfaceName = "eth0", SourceAddress = IPAddress.Parse("198.18.0.21"), UnicastPeers = [IPAddress.Parse("198.18.0.12")] });
        await using var friend = await Open(a, new RawVrrpTransportOptions { InterfaceName = "eth0", UnicastPeers = [IPAddress.Parse("198.18.0.12")] });
        await using var tb = await Open(b, new RawVrrpTransportOptions { InterfaceName = "eth0", UnicastPeers = [IPAddress.Parse("198.18.0.11")], CheckUnicastSource = true });

        var receive = Receive(tb);
        await stranger.SendAsync(TestData.Bytes(TestData.V2NoAuth), IPAddress.Parse("198.18.0.12"), CancellationToken.None);
        await friend.SendAsync(TestData.Bytes(TestData.V3), IPAddress.Parse("198.18.0.12"), CancellationToken.None);
        var (result, bytes) = await receive;

        Assert.Equal(IPAddress.Parse("198.18.0.11"), result.Source);
        Assert.Equal(TestData.Bytes(TestData.V3), bytes);
    }

    [RequiresFact("netns")]
    public async Task IPv6_multicast_advert_arrives_from_the_link_local_address_with_hop_limit_255()
    {
        await using var lab = new NetnsLab();
        var (a, b) = Pair(lab);
        var options = new RawVrrpTransportOptions { InterfaceName = "eth0", AddressFamily = AddressFamily.InterNetworkV6 };
        await using var ta = await Open(a, options);
        await using var tb = await Open(b, options);
        Assert.True(ta.LocalAddress.IsIPv6LinkLocal);

        // RFC 5798 v3 IPv6 message: the kernel fills the checksum (IPV6_CHECKSUM 6) and verifies it on receive.
        var message = Convert.FromHexString("313665010064" + "0000" + "fe800000000000000000000000000054");
        var receive = Receive(tb);
        await ta.SendAsync(message, RawVrrpTransportOptions.IPv6Group, CancellationToken.None);
        var (result, bytes) = await receive;

        Assert.Equal(message[..6], bytes[..6]);
        Assert.Equal(message[8..], bytes[8..]);
        Assert.NotEqual(0, bytes[6] | bytes[7]);
        Assert.Equal(ta.LocalAddress, result.Source);
        Assert.Equal(RawVrrpTransportOptions.IPv6Group, result.Destination);
        Assert.Equal(255, result.TimeToLive);
    }

    [Fact]
    public void Invalid_options_are_refused_with_every_problem_named()
    {
        var options = new RawVrrpTransportOptions
        {
            InterfaceName = "an-interface-name-too-long",
            SourceAddress = IPAddress.Parse("fe80::1"),
            UnicastPeers = [IPAddress.Parse("224.0.0.18")],
            MulticastGroup = IPAddress.Parse("198.18.0.1"),
            UnicastTtl = 0,
        };
        var ex = Assert.Throws<ArgumentException>(() => LinuxVrrpBackend.OpenTransport(options));
        Assert.Contains("InterfaceName", ex.Message);
        Assert.Contains("SourceAddress", ex.Message);
        Assert.Contains("UnicastPeers[0]", ex.Message);
        Assert.Contains("MulticastGroup", ex.Message);
        Assert.Contains("UnicastTtl", ex.Message);
    }

    internal static (string A, string B) Pair(NetnsLab lab)
    {
        var a = lab.AddNamespace("a");
        var b = lab.AddNamespace("b");
        lab.Link(a, "eth0", "02:00:c6:12:00:0b", b, "eth0", "02:00:c6:12:00:0c");
        NetnsLab.Ip($"-n {a} addr add 198.18.0.11/24 dev eth0");
        NetnsLab.Ip($"-n {b} addr add 198.18.0.12/24 dev eth0");
        return (a, b);
    }

    internal static Task<IVrrpTransport> Open(string ns, RawVrrpTransportOptions options) =>
        NetnsLab.InNamespace(ns, () => LinuxVrrpBackend.OpenTransport(options, NullLoggerFactory.Instance));

    internal static async Task<(VrrpReceiveResult Result, byte[] Bytes)> Receive(IVrrpTransport transport)
    {
        using var cts = new CancellationTokenSource(Bound);
        var buffer = new byte[1500];
        var result = await transport.ReceiveAsync(buffer, cts.Token);
        return (result, buffer[..result.BytesReceived]);
    }
}
