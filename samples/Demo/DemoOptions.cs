using System.Globalization;

namespace Ha.Net.Samples.Demo;

internal enum DemoMode
{
    Auto,
    Netns,
    InMemory,
}

/// <summary>The demo's command line.</summary>
internal sealed class DemoOptions
{
    public const string Usage = """
        Usage: hanet-demo [--netns | --in-memory] [--no-handback] [--logs DIR] [--vrrpd PATH] [--proxyd PATH] [--configs DIR]
          (default)      network namespaces when root, else the in-memory story
          --netns        network namespaces or fail
          --in-memory    the in-memory story even as root
          --no-handback  do not restart the killed node
          --logs DIR     where the transcript and every daemon's log go (default: a new /tmp/hanet-demo-logs-* directory)
          --vrrpd PATH, --proxyd PATH   the daemons (default: samples/*Daemon/bin/Release/net10.0/hanet-* of this checkout)
          --configs DIR  the four configurations (default: the configs/ next to this program)
        """;

    public DemoMode Mode { get; private set; } = DemoMode.Auto;

    public bool Handback { get; private set; } = true;

    public bool Help { get; private set; }

    public string LogDirectory { get; private set; } = "";

    public string Vrrpd { get; private set; } = "";

    public string Proxyd { get; private set; } = "";

    public string ConfigDirectory { get; private set; } = Path.Combine(AppContext.BaseDirectory, "configs");

    public static DemoOptions Parse(IReadOnlyList<string> args)
    {
        var o = new DemoOptions();
        for (var i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--netns": o.Mode = DemoMode.Netns; break;
                case "--in-memory": o.Mode = DemoMode.InMemory; break;
                case "--no-handback": o.Handback = false; break;
                case "--logs": o.LogDirectory = Path.GetFullPath(Next()); break;
                case "--vrrpd": o.Vrrpd = Path.GetFullPath(Next()); break;
                case "--proxyd": o.Proxyd = Path.GetFullPath(Next()); break;
                case "--configs": o.ConfigDirectory = Path.GetFullPath(Next()); break;
                case "-h" or "--help": o.Help = true; break;
                default: throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }

        if (o.LogDirectory.Length == 0)
        {
            o.LogDirectory = Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"hanet-demo-logs-{DateTime.UtcNow:yyyyMMdd-HHmmss}"));
        }

        var repo = FindRepository();
        if (o.Vrrpd.Length == 0)
        {
            o.Vrrpd = repo is null ? "hanet-vrrpd" : Path.Combine(repo, "samples", "VrrpDaemon", "bin", "Release", "net10.0", "hanet-vrrpd");
        }

        if (o.Proxyd.Length == 0)
        {
            o.Proxyd = repo is null ? "hanet-proxyd" : Path.Combine(repo, "samples", "ProxyDaemon", "bin", "Release", "net10.0", "hanet-proxyd");
        }

        return o;
    }

    private static string? FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ha.Net.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}

/// <summary>The story could not be told: what went wrong and where to look.</summary>
internal sealed class DemoFailure(string message, string hint) : Exception($"{message}; {hint}");
