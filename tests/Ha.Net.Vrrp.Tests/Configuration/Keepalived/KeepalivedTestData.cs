using System.Runtime.CompilerServices;

namespace Ha.Net.Vrrp.Tests.Configuration.Keepalived;

/// <summary>Locates the copied seed configurations next to this source file (never /work/shared).</summary>
internal static class KeepalivedTestData
{
    private const string Relative = "tests/Ha.Net.Vrrp.Tests/Configuration/Keepalived/Data";

    public static string Directory { get; } = Find();

    public static string PathOf(string name) => System.IO.Path.Combine(Directory, name);

    private static string Find([CallerFilePath] string source = "")
    {
        var next = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(source) ?? ".", "Data");
        if (System.IO.Directory.Exists(next))
        {
            return next;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, Relative);
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"test data {Relative} not found");
    }
}

/// <summary>A temporary directory removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hanet-cfg-" + Guid.NewGuid().ToString("N")[..10]);
        System.IO.Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Write(string relative, string text)
    {
        var full = System.IO.Path.Combine(Path, relative);
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return full;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
