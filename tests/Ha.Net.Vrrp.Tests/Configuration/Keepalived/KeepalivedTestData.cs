using Ha.Net.Testing.Files;

namespace Ha.Net.Vrrp.Tests.Configuration.Keepalived;

/// <summary>The copied seed configurations in Data/ beside this file (never the shared/ folder).</summary>
internal static class KeepalivedTestData
{
    public static string Directory { get; } = TestFiles.Beside("Data");

    public static string PathOf(string name) => System.IO.Path.Combine(Directory, name);
}
