using Ha.Net.Vrrp.Configuration;

namespace Ha.Net.Vrrp.Hosting;

/// <summary>Every VRRP instance of a host (the <c>vrrp_instance</c> blocks of a keepalived.conf).</summary>
public sealed class VrrpOptions
{
    /// <summary>The instances; names must be unique.</summary>
    public IList<VirtualRouterOptions> Instances { get; } = new List<VirtualRouterOptions>();

    /// <summary>Validates every instance and the set as a whole; returns every error and warning.</summary>
    public IReadOnlyList<VrrpOptionIssue> Validate()
    {
        var issues = new List<VrrpOptionIssue>();
        foreach (var instance in Instances)
        {
            issues.AddRange(instance.Validate());
        }

        foreach (var group in Instances.GroupBy(i => i.InstanceName, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            issues.Add(new VrrpOptionIssue(group.Key, "vrrp_instance", $"{group.Count()} instances are named '{group.Key}'; names must be unique.", false));
        }

        foreach (var group in Instances.GroupBy(i => (i.InterfaceName, i.VirtualRouterId, i.ResolveAddressFamily())).Where(g => g.Count() > 1))
        {
            issues.Add(new VrrpOptionIssue(group.First().InstanceName, "virtual_router_id",
                $"instances {string.Join(", ", group.Select(i => i.InstanceName))} share interface {group.Key.InterfaceName} and VRID {group.Key.VirtualRouterId}.", false));
        }

        return issues;
    }
}
