using Ha.Net.Samples.ProxyDaemon;
using Ha.Net.Testing.Files;
using Xunit.Abstractions;

namespace Ha.Net.ProxyDaemon.Tests;

/// <summary>
/// #15 "never crash on input", the daemon's side: mutants of the seeds' haproxy.cfg files go through
/// everything hanet-proxyd does with a file on start, <c>-c</c> and SIGHUP before anything changes
/// (size-limited read, reader, mapper, stats pages, runtime sockets, certificates, accounts): each
/// ends in a configuration or in errors naming file:line, never in an exception.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ReloadFuzzTests(ITestOutputHelper output)
{
    private const int Mutants = 3_000;

    private static readonly System.Text.UTF8Encoding Lenient = new(encoderShouldEmitUTF8Identifier: false);

    [Fact]
    public void Mutants_OfTheSeeds_LoadOrAreRefused_NeverThrow()
    {
        var data = TestFiles.Beside(Path.Combine("..", "Ha.Net.Proxy.Tests", "Configuration", "Haproxy", "Data"));
        var corpus = Directory.GetFiles(data, "*.cfg").Select(File.ReadAllText)
            .Concat(Directory.GetFiles(TestFiles.Beside("Seeds"), "*.cfg").Select(File.ReadAllText));
        var mutator = new ConfigMutator(corpus, ["stats", "socket", "auth", "admin", "if", "LOCALHOST", "ssl", "crt", "user", "group",
            "mode", "level", "expose-fd", "listeners", "uri", "/etc/ssl/nonexistent.pem", "ipv4@127.0.0.1:0", "bind", "listen"],
            ConfigMutator.SeedFromEnvironment());
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "haproxy.cfg");
        var loaded = 0;

        var report = mutator.Run(Mutants, TimeSpan.FromSeconds(2), input =>
        {
            File.WriteAllText(path, input, Lenient); // lone surrogates become U+FFFD, as any editor would write them
            var errors = new List<string>();
            var warnings = new List<string>();
            var config = DaemonConfig.Load([path], errors, warnings);
            Assert.Equal(config is null, errors.Count > 0);
            Assert.All(errors.Concat(warnings), line => Assert.StartsWith(path + ":", line, StringComparison.Ordinal));
            loaded += config is null ? 0 : 1;
        });

        output.WriteLine(report.Summary("hanet-proxyd load/reload path") + $", {loaded} mutants loaded");
        Assert.True(report.Failures == 0, report.ToString());
        Assert.InRange(loaded, 1, Mutants - 1);
    }
}
