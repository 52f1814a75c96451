using System.Net;
using System.Reflection;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Vrrp.Tests.Hosting;

/// <summary>
/// The router collection's reload (<c>IVirtualRouterCollection.ApplyAsync</c>) keeps an instance running when its
/// options' key is unchanged. The key names every option explicitly (no reflection, for Native AOT); these tests use
/// reflection to make sure none is missed: a new property of <see cref="VirtualRouterOptions"/> that the key does not
/// cover fails here.
/// </summary>
public sealed class ReloadKeyTests
{
    private static string Fingerprint(VirtualRouterOptions o) => VirtualRouterOptionsKey.Of(o);

    private static VirtualRouterOptions Sample() => new()
    {
        InstanceName = "VI_1",
        InterfaceName = "eth0",
        VirtualRouterId = 51,
        VirtualAddresses = [new VirtualAddress(IPAddress.Parse("198.18.0.100"), 24, "eth0")],
    };

    [Fact]
    public void Every_public_option_is_named_in_the_key()
    {
        var text = Fingerprint(Sample());
        var names = typeof(VirtualRouterOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name);

        Assert.All(names, n => Assert.Contains(";" + n + "=", ";" + text, StringComparison.Ordinal));
    }

    [Fact]
    public void Changing_any_option_changes_the_key()
    {
        var baseline = Fingerprint(Sample());
        var changed = new List<string>();
        foreach (var p in typeof(VirtualRouterOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var o = Sample();
            p.SetValue(o, Different(p.PropertyType, p.GetValue(o)));
            if (Fingerprint(o) != baseline)
            {
                changed.Add(p.Name);
            }
        }

        Assert.Equal(typeof(VirtualRouterOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name).Order(), changed.Order());
    }

    [Fact]
    public void A_virtual_address_detail_or_a_tracked_object_weight_changes_the_key()
    {
        var a = Sample();
        var b = Sample();
        b.VirtualAddresses = [new VirtualAddress(IPAddress.Parse("198.18.0.100"), 24, "eth0") { Label = "eth0:1" }];
        var c = Sample();
        c.TrackedObjects = [new TrackedObject("chk", 10)];
        var d = Sample();
        d.TrackedObjects = [new TrackedObject("chk", 20)];

        Assert.Equal(Fingerprint(a), Fingerprint(Sample()));
        Assert.NotEqual(Fingerprint(a), Fingerprint(b));
        Assert.NotEqual(Fingerprint(c), Fingerprint(d));
    }

    private static object? Different(Type type, object? current) => type switch
    {
        _ when type == typeof(string) => current as string == "x" ? "y" : "x",
        _ when type == typeof(int) => (int)current! + 1,
        _ when type == typeof(int?) => ((int?)current ?? 0) + 1,
        _ when type == typeof(bool) => !(bool)current!,
        _ when type == typeof(TimeSpan) => (TimeSpan)current! + TimeSpan.FromSeconds(1),
        _ when type == typeof(TimeSpan?) => ((TimeSpan?)current ?? TimeSpan.Zero) + TimeSpan.FromSeconds(1),
        _ when type == typeof(IPAddress) => IPAddress.Parse(Equals(current, IPAddress.Parse("198.18.0.7")) ? "198.18.0.8" : "198.18.0.7"),
        _ when type == typeof(VrrpVersion) => (VrrpVersion)current! == VrrpVersion.V2 ? VrrpVersion.V3 : VrrpVersion.V2,
        _ when type.IsEnum => Enum.GetValues(type).Cast<object>().First(v => !v.Equals(current)),
        _ when type == typeof(IList<VirtualAddress>) => new List<VirtualAddress> { new(IPAddress.Parse("198.18.0.200"), 32, "eth1") },
        _ when type == typeof(IList<IPAddress>) => new List<IPAddress> { IPAddress.Parse("198.18.0.9") },
        _ when type == typeof(IList<TrackedObject>) => new List<TrackedObject> { new("chk", 5) },
        _ => throw new NotSupportedException($"ReloadFingerprintTests cannot vary a {type}: teach Different() and VirtualRouterOptionsKey about it"),
    };
}
