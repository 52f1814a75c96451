using Ha.Net.Testing.Files;

namespace Ha.Net.Proxy.Tests.Configuration.Haproxy;

/// <summary>The copied seed configurations in Data/ beside this file (never the shared/ folder).</summary>
internal static class HaproxyTestData
{
    public static string Directory { get; } = TestFiles.Beside("Data");

    public static string PathOf(string name) => System.IO.Path.Combine(Directory, name);

    /// <summary>A minimal valid tcp-mode haproxy.cfg the reader and mapper tests extend.</summary>
    public const string MinimalConfig = """
        global
            maxconn 100
        defaults
            mode tcp
            timeout connect 5s
            timeout client 30s
            timeout server 30s
        frontend fe
            bind 127.0.0.1:2525
            default_backend be
        backend be
            server s1 127.0.0.1:2526 check

        """;
}
