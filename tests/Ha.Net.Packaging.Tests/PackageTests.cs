using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Ha.Net.Testing.Environment;
using Ha.Net.Testing.Files;

namespace Ha.Net.Packaging.Tests;

/// <summary>What <c>dotnet pack</c> of the shipped projects produces: one package and one symbol package per
/// project, at the product version, with a README, licence, repository metadata, SourceLink and only the
/// dependencies each project declares.</summary>
[Collection(PackagingTestGroup.Name)]
public sealed class PackageTests(PackedFeed feed)
{
    [Fact]
    public void EveryShippedProject_IsPackedWithReadmeLicenceRepositoryAndSymbols()
    {
        foreach (var p in feed.Projects)
        {
            Assert.True(File.Exists(p.Nupkg), $"{p.Id}: {Path.GetFileName(p.Nupkg)} is not in the feed. dotnet pack printed:\n{feed.PackLog}");
            Assert.True(File.Exists(p.Snupkg), $"{p.Id}: no symbol package {Path.GetFileName(p.Snupkg)}");

            var nuspec = p.ReadNuspec();
            XNamespace ns = nuspec.Name.Namespace;
            var metadata = nuspec.Element(ns + "metadata")!;
            string? Meta(string name) => metadata.Element(ns + name)?.Value;
            Assert.Equal(p.Id, Meta("id"));
            Assert.Equal(feed.Version, Meta("version"));
            Assert.False(string.IsNullOrWhiteSpace(Meta("description")), $"{p.Id}: no description");
            Assert.False(string.IsNullOrWhiteSpace(Meta("authors")), $"{p.Id}: no authors");
            var license = metadata.Element(ns + "license");
            Assert.True(license is not null && (string?)license.Attribute("type") == "expression" && license.Value == "MIT", $"{p.Id}: licence is not the MIT expression");
            Assert.Equal("README.md", Meta("readme"));
            Assert.StartsWith("https://", Meta("projectUrl"), StringComparison.Ordinal);
            var repository = metadata.Element(ns + "repository");
            Assert.NotNull(repository);
            Assert.Equal("git", (string?)repository.Attribute("type"));
            Assert.StartsWith("https://", (string?)repository.Attribute("url"), StringComparison.Ordinal);
            Assert.Matches("^[0-9a-f]{40}$", (string?)repository.Attribute("commit") ?? "");

            using (var zip = ZipFile.OpenRead(p.Nupkg))
            {
                var names = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
                Assert.Contains($"lib/net10.0/{p.Id}.dll", names);
                Assert.Contains($"lib/net10.0/{p.Id}.xml", names); // XML docs for IntelliSense
                using var readme = new StreamReader(zip.GetEntry("README.md")!.Open());
                Assert.Equal(File.ReadAllText(p.ReadmePath), readme.ReadToEnd());
            }

            using (var symbols = ZipFile.OpenRead(p.Snupkg))
            {
                var pdb = symbols.GetEntry($"lib/net10.0/{p.Id}.pdb");
                Assert.True(pdb is not null, $"{p.Id}: the symbol package has no {p.Id}.pdb");
                using var stream = pdb.Open();
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                // SourceLink: the PDB maps the sources to raw files of the repository at the packed commit.
                var expected = $"raw.githubusercontent.com/{new Uri((string)repository.Attribute("url")!).AbsolutePath.Trim('/')}/{(string)repository.Attribute("commit")!}/";
                Assert.True(copy.ToArray().AsSpan().IndexOf(Encoding.UTF8.GetBytes(expected)) >= 0, $"{p.Id}: the PDB has no SourceLink to {expected}");
            }
        }
    }

    [Fact]
    public void EveryPackage_DependsOnExactlyWhatItsProjectReferences()
    {
        foreach (var p in feed.Projects)
        {
            var project = XElement.Load(p.ProjectPath);
            var declared = project.Descendants("PackageReference")
                .Where(e => !string.Equals((string?)e.Attribute("PrivateAssets") ?? e.Element("PrivateAssets")?.Value, "all", StringComparison.OrdinalIgnoreCase))
                .Select(e => (string)e.Attribute("Include")!)
                .Concat(project.Descendants("ProjectReference").Select(e => Path.GetFileNameWithoutExtension(((string)e.Attribute("Include")!).Replace('\\', '/'))))
                .Order(StringComparer.Ordinal).ToList();

            var nuspec = p.ReadNuspec();
            XNamespace ns = nuspec.Name.Namespace;
            var dependencies = nuspec.Descendants(ns + "dependency").Select(d => (string)d.Attribute("id")!)
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            Assert.True(declared.SequenceEqual(dependencies),
                $"{p.Id}: the package depends on [{string.Join(", ", dependencies)}] but the project references [{string.Join(", ", declared)}]");
            foreach (var haNet in nuspec.Descendants(ns + "dependency").Where(d => ((string)d.Attribute("id")!).StartsWith("Ha.Net.", StringComparison.Ordinal)))
            {
                Assert.Equal(feed.Version, (string?)haNet.Attribute("version"));
            }
        }
    }

    [Fact]
    public void EveryPackageReadme_IsWrittenForTheGallery()
    {
        foreach (var p in feed.Projects)
        {
            Assert.True(File.Exists(p.ReadmePath), $"{p.Id}: no README.md beside {Path.GetFileName(p.ProjectPath)}");
            var readme = File.ReadAllText(p.ReadmePath);
            Assert.StartsWith($"# {p.Id}", readme, StringComparison.Ordinal);
            Assert.Contains($"dotnet add package {p.Id}", readme, StringComparison.Ordinal);
            Assert.NotEmpty(QuickStart.Parse(p.Id, readme));

            // The gallery shows the README alone: every link must be absolute (or an anchor on the page).
            foreach (Match link in Regex.Matches(readme, @"\]\((?<url>[^)\s]+)[^)]*\)"))
            {
                var url = link.Groups["url"].Value;
                Assert.True(url.StartsWith("https://", StringComparison.Ordinal) || url.StartsWith('#'),
                    $"{p.Id}: README link '{url}' does not work on the package gallery (use an absolute https link)");
            }

            // Repository-only material (test folders, benchmark runs) belongs in the repository's docs.
            foreach (Match m in Regex.Matches(readme, @"(?<![\w/.-])(tests|benchmarks)/[\w./-]+"))
            {
                var line = readme[..m.Index].Count(c => c == '\n') + 1;
                var context = readme.Substring(Math.Max(0, m.Index - 30), Math.Min(80, readme.Length - Math.Max(0, m.Index - 30)));
                Assert.True(IsInsideAbsoluteLink(readme, m.Index), $"{p.Id} README.md:{line}: repository path '{m.Value}' ({context.ReplaceLineEndings(" ")})");
            }
        }
    }

    /// <summary>One version for the whole product: both daemons' <c>-v</c> print the packages' version, in the
    /// format they always had (scripts take the third word of hanet-proxyd's line, HAProxy's place, and the
    /// second of hanet-vrrpd's, keepalived's).</summary>
    [Fact]
    public void BothDaemons_PrintTheProductVersion()
    {
        var proxyd = ProcessRunner.Run("dotnet", [TestFiles.Built("samples/ProxyDaemon", "hanet-proxyd.dll"), "-v"]);
        Assert.Matches($@"^hanet-proxyd version {Regex.Escape(feed.Version)} \(", proxyd);
        var vrrpd = ProcessRunner.Run("dotnet", [TestFiles.Built("samples/VrrpDaemon", "hanet-vrrpd.dll"), "-v"]);
        Assert.Matches($@"^hanet-vrrpd {Regex.Escape(feed.Version)} \(", vrrpd);
    }

    private static bool IsInsideAbsoluteLink(string text, int index)
    {
        var start = text.LastIndexOf("https://", index, StringComparison.Ordinal);
        return start >= 0 && !text.AsSpan(start, index - start).ContainsAny(" \n)");
    }
}
