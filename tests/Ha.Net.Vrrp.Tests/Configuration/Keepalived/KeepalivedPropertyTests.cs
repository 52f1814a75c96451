using Ha.Net.Testing.Files;
using FsCheck;
using FsCheck.Fluent;
using Ha.Net.Vrrp.Keepalived;

namespace Ha.Net.Vrrp.Tests.Configuration.Keepalived;

public sealed class KeepalivedPropertyTests
{
    private static readonly string[] Fragments =
    [
        "global_defs", "vrrp_instance", "vrrp_script", "vrrp_sync_group", "virtual_ipaddress", "track_script", "group",
        "authentication", "auth_pass", "priority", "virtual_router_id", "interface", "include", "unicast_peer",
        "{", "}", "{", "}", "#", "!", "\"", "\\", "\\#", " ", " ", " ", "\n", "\n", "\t", "\r\n", "VI_1", "eth0",
        "300", "-1", "1.5", "198.18.0.1", "198.18.0.1/40", "::1", "weight", "min_ttl", "dev", "brd", "*", "?", "[",
    ];

    [Fact]
    public void Reader_NeverThrows_OnArbitraryText_OnlyReportsFindings()
    {
        using var dir = new TempDir();
        var fileName = Path.Combine(dir.Path, "keepalived.conf");
        var fragments = Gen.Elements(Fragments);
        var mixed = Gen.OneOf(fragments, fragments, ArbMap.Default.GeneratorFor<string>().Select(s => s ?? ""));
        var text = Gen.ListOf(mixed).Select(parts => string.Concat(parts));

        Prop.ForAll(Arb.From(text), input =>
        {
            var result = KeepalivedConfigReader.Parse(input, fileName);
            return result.Diagnostics.All(d => d.Location.File.Length > 0 && d.Message.Length > 0)
                   && (result.Config is null) == (result.Errors.Count > 0);
        }).QuickCheckThrowOnFailure();
    }
}
