using System.Net;
using Ha.Net.Testing.Environment;
using Ha.Net.Vrrp.Linux;
using Ha.Net.Vrrp.Linux.Lab;
using Ha.Net.Vrrp.Linux.Transport;
using Ha.Net.Vrrp.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ha.Net.IntegrationTests.Vrrp;

/// <summary>
/// The raw transport on the wire with a real keepalived 2.2.7, each in its own namespace across a
/// veth pair: keepalived's adverts reach us byte for byte as captured (shared/vectors), and ours are
/// accepted by keepalived without a complaint.
/// </summary>
[Collection(VrrpLabs.Name)]
public class KeepalivedWireTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [RequiresTheory("netns", "cmd:keepalived")]
    [InlineData(2, "hbsecret", TestData.V2AuthPass)]
    [InlineData(2, null, TestData.V2NoAuth)]
    [InlineData(3, null, TestData.V3)]
    public async Task Keepalived_adverts_arrive_as_the_golden_bytes(int version, string? password, string expectedHex)
    {
        await using var lab = new NetnsLab();
        var (ka, us) = Pair(lab);
        await using var transport = await NetnsLab.InNamespace(us, () => LinuxVrrpBackend.OpenTransport(new RawVrrpTransportOptions { InterfaceName = "eth0" }, NullLoggerFactory.Instance));
        var keepalived = Keepalived.Start(lab, ka, TestData.KeepalivedConfig("eth0", version, 101, password, advertInt: "1"));

        // Alone on the link, keepalived becomes MASTER after its down timer (3 × 1 s + skew) and advertises.
        using var cts = new CancellationTokenSource(Bound);
        var buffer = new byte[1500];
        var result = await transport.ReceiveAsync(buffer, cts.Token);

        Assert.Equal(Convert.FromHexString(expectedHex), buffer[..result.BytesReceived]);
        Assert.Equal(IPAddress.Parse("198.18.0.11"), result.Source);
        Assert.Equal(IPAddress.Parse("224.0.0.18"), result.Destination);
        Assert.Equal(255, result.TimeToLive);
        Assert.Contains("Entering MASTER STATE", keepalived.Log);
    }

    [RequiresFact("netns", "cmd:keepalived")]
    public async Task Keepalived_accepts_our_higher_priority_adverts_and_stays_backup()
    {
        await using var lab = new NetnsLab();
        var (ka, us) = Pair(lab);
        await using var transport = await NetnsLab.InNamespace(us, () => LinuxVrrpBackend.OpenTransport(new RawVrrpTransportOptions { InterfaceName = "eth0" }, NullLoggerFactory.Instance));
        var keepalived = Keepalived.Start(lab, ka, TestData.KeepalivedConfig("eth0", 2, 101, "hbsecret"));
        Assert.True(await keepalived.Process.WaitForOutputAsync("Entering BACKUP STATE", Bound), keepalived.Log);

        // Advertise priority 200 every second for longer than keepalived's down timer (3.6 s).
        var advert = TestData.WithPriority(TestData.V2AuthPass, 200);
        for (var i = 0; i < 6; i++)
        {
            await transport.SendAsync(advert, RawVrrpTransportOptions.IPv4Group, CancellationToken.None);
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        Assert.DoesNotContain("Entering MASTER STATE", keepalived.Log);
        Assert.Empty(keepalived.Complaints());
    }

    internal static (string Keepalived, string Us) Pair(NetnsLab lab)
    {
        var a = lab.AddNamespace("ka");
        var b = lab.AddNamespace("us");
        lab.Link(a, "eth0", "02:00:c6:12:00:0b", b, "eth0", "02:00:c6:12:00:0c");
        NetnsLab.Ip($"-n {a} addr add 198.18.0.11/24 dev eth0");
        NetnsLab.Ip($"-n {b} addr add 198.18.0.12/24 dev eth0");
        return (a, b);
    }
}
