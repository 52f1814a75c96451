using System.Net;
using Ha.Net.Testing.Environment;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Linux.Announcements;
using Ha.Net.Vrrp.Linux.Lab;
using Ha.Net.Vrrp.Linux.Tests.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ha.Net.Vrrp.Linux.Tests.Announcements;

public class AnnouncerKernelTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [RequiresFact("netns")]
    public async Task Gratuitous_arp_is_keepalived_s_frame_and_moves_a_neighbour_entry()
    {
        await using var lab = new NetnsLab();
        var (a, client) = RawTransportKernelTests.Pair(lab);
        // The client knows the VIP at some other MAC (the old master).
        NetnsLab.Ip($"-n {client} neigh replace 198.18.0.100 lladdr 02:00:c6:12:00:99 dev eth0 nud stale");
        await using var announcer = await NetnsLab.InNamespace(a, () => LinuxVrrpBackend.OpenAnnouncer(NullLoggerFactory.Instance));
        using var capture = await NetnsLab.InNamespace(client, () => FrameCapture.Open(0x0806));

        await announcer.AnnounceAsync(new VirtualAddress(IPAddress.Parse("198.18.0.100"), 24, "eth0"), CancellationToken.None);
        var frame = await capture.ReceiveAsync(Bound);

        var expected = Convert.FromHexString(
            "ffffffffffff" + "0200c612000b" + "0806" + "0001" + "0800" + "06" + "04" + "0001" +
            "0200c612000b" + "c6120064" + "ffffffffffff" + "c6120064");
        Assert.Equal(expected, frame[..42]);
        Assert.Equal("02:00:c6:12:00:0b", await NeighbourMac(client, "198.18.0.100"));
    }

    [RequiresFact("netns")]
    public async Task Unsolicited_neighbour_advertisement_moves_an_IPv6_neighbour_entry()
    {
        await using var lab = new NetnsLab();
        var (a, client) = RawTransportKernelTests.Pair(lab);
        NetnsLab.Ip($"-n {client} addr add 2001:db8::12/64 dev eth0 nodad");
        NetnsLab.Ip($"-n {client} neigh replace 2001:db8::54 lladdr 02:00:c6:12:00:99 dev eth0 nud stale");
        await using var announcer = await NetnsLab.InNamespace(a, () => LinuxVrrpBackend.OpenAnnouncer(NullLoggerFactory.Instance));

        await announcer.AnnounceAsync(new VirtualAddress(IPAddress.Parse("2001:db8::54"), 128, "eth0"), CancellationToken.None);

        Assert.Equal("02:00:c6:12:00:0b", await NeighbourMac(client, "2001:db8::54"));
    }

    /// <summary>Polls <c>ip neigh</c> (bounded) until the entry carries a MAC other than the stale one.</summary>
    internal static async Task<string?> NeighbourMac(string ns, string address, string stale = "02:00:c6:12:00:99")
    {
        var deadline = DateTime.UtcNow + Bound;
        string? mac = null;
        while (DateTime.UtcNow < deadline)
        {
            var words = NetnsLab.Ip($"-n {ns} neigh show {address} dev eth0").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var i = Array.IndexOf(words, "lladdr");
            mac = i >= 0 && i + 1 < words.Length ? words[i + 1] : null;
            if (mac is not null && mac != stale)
            {
                return mac;
            }

            await Task.Delay(20);
        }

        return mac;
    }
}
