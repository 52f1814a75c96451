using System.Text.RegularExpressions;

namespace Ha.Net.Packaging.Tests;

/// <summary>
/// A quick start found in a package README: a fenced <c>```csharp</c> block right after a marker
/// <c>&lt;!-- quickstart: NAME --&gt;</c> or <c>&lt;!-- quickstart: NAME references: ID ID … --&gt;</c>.
/// Without <c>references:</c> the app references the README's own package; Ha.Net packages are taken at the
/// product version, others at the version Directory.Packages.props pins. Every block is a whole Program.cs.
/// </summary>
/// <param name="Name">The marker's name (unique across the READMEs).</param>
/// <param name="Package">The package whose README holds it.</param>
/// <param name="References">The packages the console app references.</param>
/// <param name="Code">The block, as written.</param>
public sealed partial record QuickStart(string Name, string Package, IReadOnlyList<string> References, string Code)
{
    /// <summary>Every quick start of the packable projects under src/, in README order.</summary>
    public static IReadOnlyList<QuickStart> Discover(string repoRoot) =>
        Directory.EnumerateFiles(Path.Combine(repoRoot, "src"), "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains("/bin/", StringComparison.Ordinal) && !p.Contains("/obj/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .SelectMany(p =>
            {
                var readme = Path.Combine(Path.GetDirectoryName(p)!, "README.md");
                return File.Exists(readme) ? Parse(Path.GetFileNameWithoutExtension(p), File.ReadAllText(readme)) : [];
            })
            .ToList();

    /// <summary>The quick starts in one README's text.</summary>
    public static IEnumerable<QuickStart> Parse(string package, string readme)
    {
        foreach (Match m in Marker().Matches(readme.ReplaceLineEndings("\n")))
        {
            var references = m.Groups["refs"].Success
                ? m.Groups["refs"].Value.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries)
                : [package];
            yield return new QuickStart(m.Groups["name"].Value, package, references, m.Groups["code"].Value + "\n");
        }
    }

    /// <summary>For test names.</summary>
    public override string ToString() => Name;

    [GeneratedRegex(@"<!--\s*quickstart:\s*(?<name>[A-Za-z0-9_.-]+)(\s+references:\s*(?<refs>[^>]*?))?\s*-->[ \t]*\n(\s*\n)*```csharp[ \t]*\n(?<code>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex Marker();
}
