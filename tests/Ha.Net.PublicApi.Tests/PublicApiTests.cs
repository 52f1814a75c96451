using System.Reflection;
using Ha.Net.Testing.Api;

namespace Ha.Net.PublicApi.Tests;

/// <summary>
/// Pins each shipped package's public surface to tests/Ha.Net.PublicApi.Tests/api/&lt;Assembly&gt;.txt.
/// A change to the public API fails here until the approved file is updated on purpose:
/// run with HANET_UPDATE_API=1 to rewrite the files, then review the diff.
/// </summary>
public partial class PublicApiTests
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

    /// <summary>
    /// The "Public surface" paragraph of each package README states the counts of the approved file: types (one line
    /// each) and the members under them (every other line).
    /// </summary>
    [Theory]
    [MemberData(nameof(Packages))]
    public void PackageReadme_StatesTheApprovedSurfaceSize(string assemblyName)
    {
        var lines = File.ReadAllLines(Path.Combine(SourceDirectory(), "api", assemblyName + ".txt")).Where(l => l.Length > 0).ToArray();
        var types = lines.Count(l => TypeLine().IsMatch(l));
        var members = lines.Length - types;

        var src = Path.GetFullPath(Path.Combine(SourceDirectory(), "..", "..", "src"));
        var project = Directory.EnumerateFiles(src, assemblyName + ".csproj", SearchOption.AllDirectories).Single();
        var readme = File.ReadAllText(Path.Combine(Path.GetDirectoryName(project)!, "README.md"));
        var stated = System.Text.RegularExpressions.Regex.Match(readme, @"(\d+) public types and (\d+) public members");
        Assert.True(stated.Success, $"{assemblyName}'s README has no \"N public types and M public members\" line.");
        Assert.Equal((types, members), (int.Parse(stated.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(stated.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^[^ (]+: ((static|sealed|abstract|readonly) )*(class|struct|interface|enum|record|delegate)")]
    private static partial System.Text.RegularExpressions.Regex TypeLine();

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetDirectoryName(path)!;
}
