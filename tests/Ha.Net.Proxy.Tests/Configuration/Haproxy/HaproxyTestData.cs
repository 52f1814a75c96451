using Ha.Net.Testing.Files;

namespace Ha.Net.Proxy.Tests.Configuration.Haproxy;

/// <summary>The copied seed configurations in Data/ beside this file (never the shared/ folder).</summary>
internal static class HaproxyTestData
{
    public static string Directory { get; } = TestFiles.Beside("Data");

    public static string PathOf(string name) => System.IO.Path.Combine(Directory, name);
}
