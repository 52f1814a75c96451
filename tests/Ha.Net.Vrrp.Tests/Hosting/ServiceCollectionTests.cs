using System.Net;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Hosting;
using Ha.Net.Vrrp.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Ha.Net.Vrrp.Tests.Hosting;

public class ServiceCollectionTests
{
    private static ServiceProvider Build(FakeTimeProvider clock, Action<VrrpOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(clock);
        services.AddInMemoryVrrp(new InMemoryVrrpNetwork(clock), IPAddress.Parse("198.18.0.1"));
        services.AddVrrp(configure);
        return services.BuildServiceProvider();
    }

    private static VirtualRouterOptions Instance(string name, int vrid, int priority) => new()
    {
        InstanceName = name,
        InterfaceName = "eth0",
        VirtualRouterId = vrid,
        Priority = priority,
        SourceAddress = IPAddress.Parse("198.18.0.1"),
        VirtualAddresses = [new VirtualAddress(IPAddress.Parse($"198.18.0.{100 + vrid}"), 32, "eth0")],
    };

    [Fact]
    public async Task AddVrrp_BuildsEveryInstance_AndTheHostedServiceStartsAndStopsThem()
    {
        var clock = new FakeTimeProvider();
        await using var sp = Build(clock, o =>
        {
            o.Instances.Add(Instance("VI_1", 51, 255));
            o.Instances.Add(Instance("VI_2", 52, 100));
        });
        var routers = sp.GetRequiredService<IVirtualRouterCollection>();
        Assert.Equal(["VI_1", "VI_2"], routers.Select(r => r.InstanceName));
        var hosted = Assert.Single(sp.GetServices<IHostedService>());
        await hosted.StartAsync(CancellationToken.None);
        Assert.Equal(VirtualRouterState.Master, routers["VI_1"].State);
        Assert.Equal(VirtualRouterState.Backup, routers["VI_2"].State);
        await hosted.StopAsync(CancellationToken.None);
        Assert.Equal(VirtualRouterState.Initialize, routers["VI_1"].State);
        Assert.Empty(sp.GetRequiredService<InMemoryAddressBinder>().Bound);
        Assert.Throws<KeyNotFoundException>(() => routers["VI_3"]);
    }

    [Fact]
    public async Task AddVrrp_InvalidOptions_FailWithEveryErrorNamed()
    {
        await using var sp = Build(new FakeTimeProvider(), o =>
        {
            o.Instances.Add(Instance("VI_1", 0, 100));
            o.Instances.Add(Instance("VI_1", 52, 300));
        });
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<VrrpOptions>>().Value);
        Assert.Contains("vrrp_instance VI_1: virtual_router_id: VirtualRouterId must be 1-255, was 0.", ex.Failures);
        Assert.Contains("vrrp_instance VI_1: priority: Priority must be 1-255, was 300.", ex.Failures);
        Assert.Contains(ex.Failures, f => f.Contains("names must be unique", StringComparison.Ordinal));
    }
}
