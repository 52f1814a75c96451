using System.Net;
using Ha.Net.Testing.Environment;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Hosting;
using Ha.Net.Vrrp.Linux.Lab;
using Ha.Net.Vrrp.Wire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ha.Net.Vrrp.Linux.Tests.Hosting;

/// <summary><c>services.AddLinuxVrrp().AddVrrp(...)</c> in a namespace, driven through the hosted-service lifecycle as the generic host drives it.</summary>
public class AddLinuxVrrpKernelTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [RequiresFact("netns")]
    public async Task Stale_vip_is_removed_before_start_link_loss_faults_and_stop_unbinds()
    {
        await using var lab = new NetnsLab();
        var ns = lab.AddNamespace("n");
        NetnsLab.Ip($"-n {ns} link add eth0 type veth peer name peer0");
        NetnsLab.Ip($"-n {ns} link set eth0 up");
        NetnsLab.Ip($"-n {ns} link set peer0 up");
        NetnsLab.WaitForCarrier(ns, "eth0");
        NetnsLab.Ip($"-n {ns} addr add 198.18.0.11/24 dev eth0");
        NetnsLab.Ip($"-n {ns} addr add 198.18.0.100/24 dev eth0"); // left by a killed predecessor

        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddLinuxVrrp();
        services.AddVrrp(o => o.Instances.Add(new VirtualRouterOptions
        {
            InstanceName = "VI_1",
            InterfaceName = "eth0",
            VirtualRouterId = 51,
            Priority = 100,
            Version = VrrpVersion.V3,
            AdvertisementInterval = TimeSpan.FromSeconds(0.2),
            VirtualAddresses = [new VirtualAddress(IPAddress.Parse("198.18.0.100"), 24, "eth0")],
            TrackedObjects = [new TrackedObject("peer0")], // track_interface peer0
        }));

        // Resolve (open every socket) on a thread inside the namespace, and run the host's start sequence there.
        var (provider, hosted) = await NetnsLab.InNamespace(ns, () =>
        {
            var sp = services.BuildServiceProvider();
            return (sp, sp.GetServices<IHostedService>().ToList());
        });
        await using var _ = provider;
        foreach (var h in hosted.OfType<IHostedLifecycleService>())
        {
            await h.StartingAsync(CancellationToken.None);
        }

        Assert.DoesNotContain("198.18.0.100", NetnsLab.Ip($"-n {ns} -4 -o addr show dev eth0"));
        foreach (var h in hosted)
        {
            await h.StartAsync(CancellationToken.None);
        }

        foreach (var h in hosted.OfType<IHostedLifecycleService>())
        {
            await h.StartedAsync(CancellationToken.None);
        }

        var router = provider.GetRequiredService<IVirtualRouterCollection>()["VI_1"];
        Assert.True(await Eventually(() => router.State == VirtualRouterState.Master && HasVip(ns)));

        // The tracked interface goes down: FAULT, VIP removed; back up: master again.
        NetnsLab.Ip($"-n {ns} link set peer0 down");
        Assert.True(await Eventually(() => router.State == VirtualRouterState.Fault && !HasVip(ns)));
        NetnsLab.Ip($"-n {ns} link set peer0 up");
        Assert.True(await Eventually(() => router.State == VirtualRouterState.Master && HasVip(ns)));

        // Graceful stop leaves no VIP.
        foreach (var h in hosted.OfType<IHostedLifecycleService>())
        {
            await h.StoppingAsync(CancellationToken.None);
        }

        foreach (var h in hosted)
        {
            await h.StopAsync(CancellationToken.None);
        }

        Assert.False(HasVip(ns));
    }

    private static bool HasVip(string ns) => NetnsLab.Ip($"-n {ns} -4 -o addr show dev eth0").Contains("198.18.0.100/24", StringComparison.Ordinal);

    private static async Task<bool> Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(25);
        }

        return true;
    }
}
