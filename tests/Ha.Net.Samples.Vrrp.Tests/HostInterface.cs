namespace Ha.Net.Samples.Vrrp.Tests;

/// <summary>
/// An interface of the machine the tests run on, for <c>-t</c> runs that must not draw keepalived's
/// "interface X doesn't exist" (a configuration error to keepalived's -t, exit 5).
/// </summary>
internal static class HostInterface
{
    public static string Name { get; } = Directory.GetDirectories("/sys/class/net").Select(Path.GetFileName).OfType<string>().Where(n => n != "lo").Order(StringComparer.Ordinal).FirstOrDefault() ?? "lo";

    /// <summary>A valid single instance on <see cref="Name"/>, VRID 51, VIP 198.18.0.100 (7 lines).</summary>
    public static string Instance => $"vrrp_instance VI_1 {{\n  interface {Name}\n  virtual_router_id 51\n  virtual_ipaddress {{\n    198.18.0.100\n  }}\n}}\n";
}
