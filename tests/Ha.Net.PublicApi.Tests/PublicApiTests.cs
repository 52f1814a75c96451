using System.Reflection;
using Ha.Net.Testing.Api;

namespace Ha.Net.PublicApi.Tests;

/// <summary>
/// Pins each shipped package's public surface to tests/Ha.Net.PublicApi.Tests/api/&lt;Assembly&gt;.txt.
/// A change to the public API fails here until the approved file is updated on purpose:
/// run with HANET_UPDATE_API=1 to rewrite the files, then review the diff.
/// </summary>
public class PublicApiTests
{
    public static TheoryData<string> Packages() => new()
    {
        "Ha.Net.HealthChecks",
        "Ha.Net.Vrrp",
        "Ha.Net.Vrrp.Linux",
        "Ha.Net.Vrrp.Keepalived",
        "Ha.Net.Vrrp.Testing",
        "Ha.Net.Proxy",
        "Ha.Net.Vrrp.RouteInjection",
        "Ha.Net.Proxy.Haproxy",
    };

    [Theory]
    [MemberData(nameof(Packages))]
    public void PublicSurface_MatchesTheApprovedFile(string assemblyName)
    {
        var actual = ApiSurface.Describe(Assembly.Load(assemblyName));
        var approvedPath = Path.Combine(AppContext.BaseDirectory, "api", assemblyName + ".txt");

        if (System.Environment.GetEnvironmentVariable("HANET_UPDATE_API") == "1")
        {
            var source = Path.Combine(SourceDirectory(), "api", assemblyName + ".txt");
            Directory.CreateDirectory(Path.GetDirectoryName(source)!);
            File.WriteAllText(source, actual);
            return;
        }

        Assert.True(File.Exists(approvedPath), $"No approved API file for {assemblyName}; run the tests with HANET_UPDATE_API=1 and commit api/{assemblyName}.txt.");
        var approved = File.ReadAllText(approvedPath).ReplaceLineEndings("\n");
        if (approved != actual)
        {
            var removed = approved.Split('\n').Except(actual.Split('\n')).Select(l => "- " + l);
            var added = actual.Split('\n').Except(approved.Split('\n')).Select(l => "+ " + l);
            Assert.Fail($"The public API of {assemblyName} changed (rerun with HANET_UPDATE_API=1 if intended):\n" +
                string.Join("\n", removed.Concat(added).Take(60)));
        }
    }

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetDirectoryName(path)!;
}
