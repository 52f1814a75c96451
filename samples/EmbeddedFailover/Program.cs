using System.Globalization;
using System.Net;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.EmbeddedFailover;

/// <summary>
/// <c>Ha.Net.Samples.EmbeddedFailover [--interface eth0] [--vip 198.18.0.100/24] [--priority 100] [--vrid 51] [--in-memory]</c>:
/// a worker service whose <see cref="ReportWorker"/> runs only on the node that holds the VIP. With root and an
/// interface it uses the Linux backend (run it on two machines with different priorities, stop the master and watch
/// the work move); otherwise it runs on the in-memory network, alone, and says so.
/// </summary>
public static class Program
{
    /// <summary>The VRRP instance the work follows.</summary>
    public const string InstanceName = "VI_WORK";

    /// <summary>Entry point.</summary>
    public static async Task Main(string[] args)
    {
        string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var iface = Arg("--interface");
        var vip = Arg("--vip") ?? "198.18.0.100/24";
        var priority = int.Parse(Arg("--priority") ?? "100", CultureInfo.InvariantCulture);
        var vrid = int.Parse(Arg("--vrid") ?? "51", CultureInfo.InvariantCulture);
        var linux = OperatingSystem.IsLinux() && Environment.UserName == "root" && iface is not null && !args.Contains("--in-memory");

        var builder = Host.CreateApplicationBuilder(args);
        builder.Services.AddVrrp(o => o.Instances.Add(Instance(iface ?? "sim0", vip, priority, vrid)));
        if (linux && OperatingSystem.IsLinux())
        {
            builder.Services.AddLinuxVrrpBackend();
        }
        else
        {
            builder.Services.AddInMemoryVrrpBackend(new InMemoryVrrpNetwork(), IPAddress.Parse("198.18.0.1"));
        }

        builder.Services.AddHostedService<ReportWorker>();
        using var host = builder.Build();
        var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EmbeddedFailover");
        if (linux)
        {
            log.LogInformation("Linux backend on {Interface}: VIP {Vip}, priority {Priority}", iface, vip, priority);
        }
        else
        {
            log.LogInformation("In-memory network (not root, or no --interface): this node is alone and becomes MASTER after the down timer (VIP {Vip}, priority {Priority})", vip, priority);
        }

        await host.RunAsync();
    }

    /// <summary>The instance: one VIP, keepalived's defaults otherwise (v2, 1 s adverts, preempt).</summary>
    public static VirtualRouterOptions Instance(string iface, string vip, int priority, int vrid)
    {
        var parts = vip.Split('/');
        return new VirtualRouterOptions
        {
            InstanceName = InstanceName,
            InterfaceName = iface,
            VirtualRouterId = vrid,
            Priority = priority,
            VirtualAddresses = [new VirtualAddress(IPAddress.Parse(parts[0]), parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 32, iface)],
        };
    }
}
