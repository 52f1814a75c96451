using System.Runtime.CompilerServices;

namespace Ha.Net.Testing.Files;

/// <summary>Locates test data kept next to a test's source file (tests never read the shared/ folder).</summary>
public static class TestFiles
{
    /// <summary>
    /// The folder <paramref name="folder"/> beside the calling source file. Tests are built and run
    /// from the source tree, so the compile-time path of the caller is where its data lives.
    /// </summary>
    public static string Beside(string folder, [CallerFilePath] string callerSource = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(callerSource) ?? ".", folder);
        return Directory.Exists(path)
            ? path
            : throw new DirectoryNotFoundException($"Test data folder '{path}' (beside {callerSource}) not found.");
    }

    /// <summary>
    /// The output <paramref name="file"/> of the solution's project in <paramref name="projectFolder"/> (relative to
    /// the repository root, e.g. <c>samples/VrrpDaemon</c>), as the solution build leaves it in the configuration and
    /// target framework this test assembly was built with.
    /// </summary>
    public static string Built(string projectFolder, string file)
    {
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var tfm = baseDir.Name;
        var configuration = baseDir.Parent?.Name ?? "Release";
        for (var dir = baseDir; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ha.Net.sln")))
            {
                var path = Path.Combine(dir.FullName, projectFolder, "bin", configuration, tfm, file);
                return File.Exists(path)
                    ? path
                    : throw new FileNotFoundException($"{path} is missing: build the solution first (dotnet build Ha.Net.sln -c {configuration}).", path);
            }
        }

        throw new FileNotFoundException($"No Ha.Net.sln above {AppContext.BaseDirectory}, so {projectFolder}/{file} cannot be found.");
    }
}

/// <summary>A temporary directory removed on dispose.</summary>
public sealed class TempDir : IDisposable
{
    /// <summary>Creates a fresh directory under the system temp folder.</summary>
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hanet-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    /// <summary>The directory.</summary>
    public string Path { get; }

    /// <summary>Writes <paramref name="text"/> to <paramref name="relative"/> inside the directory and returns its full path.</summary>
    public string Write(string relative, string text)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return full;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
