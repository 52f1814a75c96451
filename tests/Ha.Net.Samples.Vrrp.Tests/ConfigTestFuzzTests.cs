using Ha.Net.Testing.Files;
using Xunit.Abstractions;

namespace Ha.Net.Samples.Vrrp.Tests;

/// <summary>
/// #15 "never crash on input", the daemon's side: mutants of the seeds' keepalived.conf files are
/// checked by the real hanet-vrrpd process (<c>-t</c>, the same load a SIGHUP runs before anything
/// changes: reader, includes, mapper, script and user checks). Each exits with one of keepalived's
/// <c>-t</c> codes (0, 4, 5, 6), never with a crash, and says where a finding is.
/// </summary>
public sealed class ConfigTestFuzzTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Processes are slow to start: a few hundred mutants here; the in-process reader fuzz runs 60,000.</summary>
    private const int Mutants = 120;

    private static readonly System.Text.UTF8Encoding Lenient = new(encoderShouldEmitUTF8Identifier: false);

    private readonly string _dir = Directory.CreateTempSubdirectory("hanet-vrrpd-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Mutants_OfTheSeeds_ExitWithAKeepalivedCheckCode_NeverCrash()
    {
        var mutator = new ConfigMutator(SeedConfigs.All.Values, ["include", "vrrp_instance", "vrrp_script", "notify", "track_script", "}", "{"],
            ConfigMutator.SeedFromEnvironment());
        var path = Path.Combine(_dir, "keepalived.conf");
        var codes = new SortedDictionary<int, int>();

        var report = mutator.Run(Mutants, TimeSpan.FromSeconds(60), input =>
        {
            File.WriteAllText(path, input, Lenient); // lone surrogates become U+FFFD, as any editor would write them
            var (code, stdout, stderr) = VrrpDaemon.Run("-t", "-f", path);
            Assert.True(code is 0 or 4 or 5 or 6, $"exit {code}\n{stdout}\n{stderr}");
            Assert.DoesNotContain("Unhandled exception", stderr, StringComparison.Ordinal);
            codes[code] = codes.GetValueOrDefault(code) + 1;
        });

        output.WriteLine(report.Summary("hanet-vrrpd -t") + ", exit codes " + string.Join(' ', codes.Select(c => $"{c.Key}×{c.Value}")));
        Assert.True(report.Failures == 0, report.ToString());
    }
}
