using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Ha.Net.Testing.Environment;

namespace Ha.Net.Packaging.Tests;

/// <summary>One shipped project under src/ and what <c>dotnet pack</c> made of it.</summary>
/// <param name="Id">The package id (the project's file name).</param>
/// <param name="ProjectPath">The .csproj.</param>
/// <param name="Nupkg">The package in the feed.</param>
/// <param name="Snupkg">The symbol package beside it.</param>
public sealed record PackedProject(string Id, string ProjectPath, string Nupkg, string Snupkg)
{
    /// <summary>The project's README.md (packed as the package readme).</summary>
    public string ReadmePath => Path.Combine(Path.GetDirectoryName(ProjectPath)!, "README.md");

    /// <summary>The .nuspec inside the package.</summary>
    public XElement ReadNuspec()
    {
        using var zip = ZipFile.OpenRead(Nupkg);
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/', StringComparison.Ordinal));
        using var stream = entry.Open();
        return XElement.Load(stream);
    }
}

/// <summary>
/// Packs every packable project under src/ (found on disk, so packages added later are packed too) into a
/// local feed in a fresh temporary folder, once per test run, and builds console apps against that feed.
/// The apps' nuget.config maps <c>Ha.Net.*</c> to the local feed only (package source mapping) and restores
/// into a private packages folder, so a Ha.Net package can come from nowhere else; Microsoft.* packages come
/// from the machine's NuGet source, found first in the machine's own packages folder.
/// </summary>
public sealed class PackedFeed : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<BuiltApp>> _apps = new(StringComparer.Ordinal);

    /// <summary>Packs the solution's shipped projects.</summary>
    public PackedFeed()
    {
        RepoRoot = FindRepoRoot();
        WorkDir = Path.Combine(Path.GetTempPath(), $"hanet-pkg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..28]);
        FeedDir = Path.Combine(WorkDir, "feed");
        PackagesDir = Path.Combine(WorkDir, "packages");
        Directory.CreateDirectory(FeedDir);
        Directory.CreateDirectory(PackagesDir);

        // Builds started from a test must not leave servers behind holding our output pipes.
        Environment.SetEnvironmentVariable("MSBUILDDISABLENODEREUSE", "1");
        Environment.SetEnvironmentVariable("DOTNET_CLI_USE_MSBUILD_SERVER", "0");
        Environment.SetEnvironmentVariable("DOTNET_CLI_TELEMETRY_OPTOUT", "1");
        Environment.SetEnvironmentVariable("DOTNET_NOLOGO", "1");
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>()
                     .Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) && !k.Equals("MSBUILDDISABLENODEREUSE", StringComparison.Ordinal)))
        {
            Environment.SetEnvironmentVariable(key, null); // the test host's MSBuild, not the one `dotnet` picks
        }

        MachinePackagesDir = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        Version = ReadProductVersion(RepoRoot);
        CentralVersions = ReadCentralVersions(RepoRoot);

        var projects = Directory.EnumerateFiles(Path.Combine(RepoRoot, "src"), "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains("/bin/", StringComparison.Ordinal) && !p.Contains("/obj/", StringComparison.Ordinal))
            .Where(p => !Regex.IsMatch(File.ReadAllText(p), @"<IsPackable>\s*false\s*</IsPackable>", RegexOptions.IgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.NotEmpty(projects);

        // One `dotnet pack` over a solution filter of exactly these projects: one MSBuild run, and a project
        // under src/ that is missing from Ha.Net.sln fails here instead of being silently left out.
        var filter = Path.Combine(WorkDir, "shipped.slnf");
        File.WriteAllText(filter, JsonSerializer.Serialize(new
        {
            solution = new
            {
                path = Path.Combine(RepoRoot, "Ha.Net.sln"),
                projects = projects.Select(p => Path.GetRelativePath(RepoRoot, p).Replace('/', '\\')).ToArray(),
            },
        }));
        // The tests run after the solution's build (./test.sh, or `dotnet test --no-build` after `dotnet build`), so the
        // packages are made from those very binaries; only where they are missing does pack build them itself.
        var pack = $"pack \"{filter}\" -c Release -nologo -v q -o \"{FeedDir}\"";
        var (code, stdout, stderr) = ProcessRunner.TryRun("dotnet", pack + " --no-build", TimeSpan.FromMinutes(5), RepoRoot);
        PackLog = code == 0 ? stdout : Dotnet(pack, RepoRoot, TimeSpan.FromMinutes(12));
        if (code != 0)
        {
            PackLog = $"(pack --no-build failed, so pack built: {stdout} {stderr})\n" + PackLog;
        }

        Projects = projects.Select(p =>
        {
            var id = Path.GetFileNameWithoutExtension(p);
            return new PackedProject(id, p, Path.Combine(FeedDir, $"{id}.{Version}.nupkg"), Path.Combine(FeedDir, $"{id}.{Version}.snupkg"));
        }).ToList();
    }

    /// <summary>The repository root (where Ha.Net.sln is).</summary>
    public string RepoRoot { get; }

    /// <summary>This run's temporary folder (feed, packages, apps); deleted at the end.</summary>
    public string WorkDir { get; }

    /// <summary>The local feed the packages were packed into.</summary>
    public string FeedDir { get; }

    /// <summary>The private global-packages folder every app restores into.</summary>
    public string PackagesDir { get; }

    /// <summary>The machine's packages folder, a read-only fallback for Microsoft.* packages.</summary>
    public string MachinePackagesDir { get; }

    /// <summary>The product version (HaNetVersion in Directory.Build.props).</summary>
    public string Version { get; }

    /// <summary>Versions pinned in Directory.Packages.props, by package id.</summary>
    public IReadOnlyDictionary<string, string> CentralVersions { get; }

    /// <summary>Every packable project under src/.</summary>
    public IReadOnlyList<PackedProject> Projects { get; }

    /// <summary>What <c>dotnet pack</c> printed.</summary>
    public string PackLog { get; }

    /// <summary>Builds (once per name) a fresh console app whose Program.cs is <paramref name="quickStart"/>'s code.</summary>
    public BuiltApp Build(QuickStart quickStart) =>
        _apps.GetOrAdd(quickStart.Name, _ => new Lazy<BuiltApp>(() => CreateAndBuild(quickStart))).Value;

    /// <summary>Runs <c>dotnet ARGS</c> in <paramref name="directory"/>; throws with its output when it fails.</summary>
    public static string Dotnet(string args, string directory, TimeSpan timeout)
    {
        var (code, stdout, stderr) = ProcessRunner.TryRun("dotnet", args, timeout, directory);
        return code == 0 ? stdout : throw new InvalidOperationException($"'dotnet {args}' in {directory} {(code == -1 ? stderr : $"exited {code}")}:\n{stdout}\n{stderr}");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            Directory.Delete(WorkDir, recursive: true);
        }
        catch (IOException)
        {
            // a process of a failed test may still hold a file; the folder is in /tmp
        }
    }

    private BuiltApp CreateAndBuild(QuickStart quickStart)
    {
        var dir = Path.Combine(WorkDir, "apps", quickStart.Name);
        Directory.CreateDirectory(dir);

        // Stop MSBuild's search for Directory.Build.* / Directory.Packages.props at this folder.
        File.WriteAllText(Path.Combine(dir, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(dir, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(dir, "Directory.Packages.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(dir, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="hanet-local" value="{FeedDir}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="hanet-local"><package pattern="Ha.Net.*" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
              <fallbackPackageFolders>
                <clear />
                <add key="machine" value="{MachinePackagesDir}" />
              </fallbackPackageFolders>
            </configuration>
            """);

        // What `dotnet new console` writes for net10.0, with the quick start's packages and warnings as errors
        // (so CA1416 and any other analyzer warning on the documented calls fails the build).
        var references = string.Join("\n", quickStart.References.Select(id =>
            $"    <PackageReference Include=\"{id}\" Version=\"{VersionOf(id)}\" />"));
        File.WriteAllText(Path.Combine(dir, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
            {references}
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "Program.cs"), quickStart.Code);

        var previous = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        string log;
        try
        {
            Environment.SetEnvironmentVariable("NUGET_PACKAGES", PackagesDir);
            log = Dotnet("build -c Release -nologo -v q -p:UseSharedCompilation=false", dir, TimeSpan.FromMinutes(6));
        }
        finally
        {
            Environment.SetEnvironmentVariable("NUGET_PACKAGES", previous);
        }

        return new BuiltApp(quickStart, dir, Path.Combine(dir, "bin", "Release", "net10.0"), log);
    }

    private string VersionOf(string id) =>
        id.StartsWith("Ha.Net.", StringComparison.Ordinal) ? Version
        : CentralVersions.TryGetValue(id, out var v) ? v
        : throw new InvalidOperationException($"A quick start references {id}, which has no version in Directory.Packages.props.");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ha.Net.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Ha.Net.sln above {AppContext.BaseDirectory}.");
    }

    private static string ReadProductVersion(string root)
    {
        var props = XElement.Load(Path.Combine(root, "Directory.Build.props"));
        return props.Descendants("HaNetVersion").Single().Value.Trim();
    }

    private static Dictionary<string, string> ReadCentralVersions(string root) =>
        XElement.Load(Path.Combine(root, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!, StringComparer.OrdinalIgnoreCase);
}

/// <summary>A console app built against the local feed.</summary>
/// <param name="QuickStart">The quick start it was made from.</param>
/// <param name="Directory">The app's folder.</param>
/// <param name="OutputDirectory">bin/Release/net10.0.</param>
/// <param name="BuildLog">What <c>dotnet build</c> printed.</param>
public sealed record BuiltApp(QuickStart QuickStart, string Directory, string OutputDirectory, string BuildLog)
{
    /// <summary>The app's entry assembly.</summary>
    public string Dll => Path.Combine(OutputDirectory, "App.dll");

    /// <summary>The Ha.Net assemblies the app carries.</summary>
    public IReadOnlyList<string> HaNetAssemblies => System.IO.Directory.EnumerateFiles(OutputDirectory, "Ha.Net.*.dll")
        .Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).ToList()!;
}

/// <summary>The collection that shares one <see cref="PackedFeed"/>.</summary>
[CollectionDefinition(Name)]
public sealed class PackagingTestGroup : ICollectionFixture<PackedFeed>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "packaging";
}
