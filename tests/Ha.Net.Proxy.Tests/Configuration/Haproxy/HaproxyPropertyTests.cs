using FsCheck;
using FsCheck.Fluent;
using Ha.Net.Proxy.Haproxy;

namespace Ha.Net.Proxy.Tests.Configuration.Haproxy;

public sealed class HaproxyPropertyTests
{
    private static readonly string[] Fragments =
    [
        "global", "defaults", "frontend", "backend", "listen", "fe", "be", "bind", "server", "s1", "127.0.0.1:25", "[::1]:1",
        ":80", "*:9000", "mode", "tcp", "http", "option", "smtpchk", "httpchk", "timeout", "connect", "10s", "1x", "balance",
        "random(0)", "use_backend", "if", "unless", "acl", "src", "!", "||", "{", "}", "stats", "auth", "a:b", "admin", "TRUE",
        "default-server", "no", "#", "\"", "'", "\\", "\\ ", "\\x4", " ", " ", "\n", "\n", "\t", "ssl", "crt", "weight", "300",
    ];

    [Fact]
    public void Reader_NeverThrows_OnArbitraryText_OnlyReportsFindings()
    {
        var fragments = Gen.Elements(Fragments);
        var mixed = Gen.OneOf(fragments, fragments, ArbMap.Default.GeneratorFor<string>().Select(s => s ?? ""));
        var text = Gen.ListOf(mixed).Select(parts => string.Join(' ', parts));

        Prop.ForAll(Arb.From(text), input =>
        {
            var result = HaproxyConfigReader.Parse(input, "fuzz.cfg");
            return result.Diagnostics.All(d => d.Location.File == "fuzz.cfg" && d.Message.Length > 0)
                   && (result.Config is null) == (result.Errors.Count > 0);
        }).QuickCheckThrowOnFailure();
    }
}
