using Ha.Net.Testing.Environment;
using Ha.Net.Vrrp.Linux.Lab;
using Ha.Net.Vrrp.Linux.Links;
using Ha.Net.Vrrp.Linux.Tests.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ha.Net.Vrrp.Linux.Tests.Links;

public class LinkStateMonitorKernelTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [RequiresFact("netns")]
    public async Task Carrier_loss_and_return_on_a_veth_are_reported()
    {
        await using var lab = new NetnsLab();
        var (a, b) = RawTransportKernelTests.Pair(lab);
        await using var monitor = await NetnsLab.InNamespace(a, () => LinuxVrrpBackend.StartLinkMonitor(NullLoggerFactory.Instance));
        // The carrier of a fresh veth comes up asynchronously (linkwatch): wait for it, bounded.
        Assert.True(await Eventually(() => monitor.IsUp("eth0")));
        Assert.True(monitor.IsUp("lo"));
        Assert.False(monitor.IsUp("nosuch0"));

        var changes = System.Threading.Channels.Channel.CreateUnbounded<LinkStateChangedEventArgs>();
        monitor.LinkStateChanged += (_, e) => changes.Writer.TryWrite(e);

        // The far end going down takes the carrier (IFF_RUNNING) away from ours.
        NetnsLab.Ip($"-n {b} link set eth0 down");
        var down = await Next(changes, "eth0");
        Assert.False(down.IsUp);
        Assert.False(monitor.IsUp("eth0"));

        NetnsLab.Ip($"-n {b} link set eth0 up");
        var up = await Next(changes, "eth0");
        Assert.True(up.IsUp);
        Assert.True(monitor.IsUp("eth0"));

        // Administratively down on our side.
        NetnsLab.Ip($"-n {a} link set eth0 down");
        Assert.False((await Next(changes, "eth0")).IsUp);
    }

    [RequiresFact("netns")]
    public async Task A_deleted_interface_is_down()
    {
        await using var lab = new NetnsLab();
        var a = lab.AddNamespace("a");
        NetnsLab.Ip($"-n {a} link add trk0 type veth peer name trk1");
        NetnsLab.Ip($"-n {a} link set trk1 up");
        NetnsLab.Ip($"-n {a} link set trk0 up");
        await using var monitor = await NetnsLab.InNamespace(a, () => LinuxVrrpBackend.StartLinkMonitor(NullLoggerFactory.Instance));
        Assert.True(await Eventually(() => monitor.IsUp("trk0")));
        var changes = System.Threading.Channels.Channel.CreateUnbounded<LinkStateChangedEventArgs>();
        monitor.LinkStateChanged += (_, e) => changes.Writer.TryWrite(e);

        NetnsLab.Ip($"-n {a} link del trk0");

        Assert.False((await Next(changes, "trk0")).IsUp);
        Assert.False(monitor.IsUp("trk0"));
    }

    private static async Task<bool> Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        return condition();
    }

    private static async Task<LinkStateChangedEventArgs> Next(System.Threading.Channels.Channel<LinkStateChangedEventArgs> changes, string name)
    {
        using var cts = new CancellationTokenSource(Bound);
        while (true)
        {
            var e = await changes.Reader.ReadAsync(cts.Token);
            if (e.InterfaceName == name)
            {
                return e;
            }
        }
    }
}
