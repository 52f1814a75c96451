using System.Globalization;
using System.Net;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.EmbeddedFailover;

/// <summary>
/// <c>Ha.Net.Samples.EmbeddedFailover [--interface eth0] [--vip 198.18.0.100/24] [--priority 100] [--vrid 51] [--in-memory]</c>:
/// a worker service whose <see cref="ReportWorker"/> runs only on the node that is MASTER. Without <c>--vip</c> the
/// instance has no virtual address: an election only, for "one active instance". With root and an interface it uses
/// the Linux backend (<c>AddLinuxVrrp</c>: run it on two machines with different priorities, stop the master and
/// watch the work move); otherwise it runs on the in-memory network of Ha.Net.Vrrp.Testing, alone, and says so.
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
        var vip = Arg("--vip");
        var priority = int.Parse(Arg("--priority") ?? "100", CultureInfo.InvariantCulture);
        var vrid = int.Parse(Arg("--vrid") ?? "51", CultureInfo.InvariantCulture);
        var linux = OperatingSystem.IsLinux() && Environment.UserName == "root" && iface is not null && !args.Contains("--in-memory");

        var builder = Host.CreateApplicationBuilder(args);
        if (linux && OperatingSystem.IsLinux())
        {
            builder.Services.AddLinuxVrrp(); // raw sockets, netlink VIPs, gratuitous ARP, link monitor, stale-VIP cleanup
        }
        else
        {
            builder.Services.AddInMemoryVrrp(new InMemoryVrrpNetwork(TimeProvider.System), IPAddress.Parse("198.18.0.1"));
        }

        builder.Services.AddVrrp(o => o.Instances.Add(Instance(iface ?? "sim0", vip, priority, vrid)));
        builder.Services.AddMasterOnly<ReportWorker>(InstanceName);
        using var host = builder.Build();
        var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EmbeddedFailover");
        if (linux)
        {
            log.LogInformation("Linux backend on {Interface}: VIP {Vip}, priority {Priority}", iface, vip ?? "none (election only)", priority);
        }
        else
        {
            log.LogInformation("In-memory network (not root, or no --interface): this node is alone and becomes MASTER after the down timer (VIP {Vip}, priority {Priority})", vip ?? "none", priority);
        }

        await host.RunAsync();
    }

    /// <summary>The instance: keepalived's defaults (v2, 1 s adverts, preempt), with one VIP or none.</summary>
    /// <param name="iface">The interface.</param>
    /// <param name="vip">"address/prefix", or <see langword="null"/> for an election without a virtual address.</param>
    /// <param name="priority">The priority.</param>
    /// <param name="vrid">The virtual router id.</param>
    public static VirtualRouterOptions Instance(string iface, string? vip, int priority, int vrid)
    {
        var options = new VirtualRouterOptions
        {
            InstanceName = InstanceName,
            InterfaceName = iface,
            VirtualRouterId = vrid,
            Priority = priority,
        };
        if (vip is not null)
        {
            var parts = vip.Split('/');
            options.VirtualAddresses.Add(new VirtualAddress(IPAddress.Parse(parts[0]), parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 32, iface));
        }

        return options;
    }
}
