using System.Globalization;

namespace Ha.Net.Vrrp.Linux.Lab;

/// <summary>A keepalived 2.2.7 VRRP process in a lab namespace (foreground, console log, VRRP only, detailed).</summary>
internal sealed class Keepalived
{
    private static int _counter;

    private Keepalived(LabProcess process, string name)
    {
        Process = process;
        Name = name;
    }

    public LabProcess Process { get; }

    public string Name { get; }

    public string Log => Process.Output;

    public static Keepalived Start(NetnsLab lab, string ns, string config)
    {
        var name = "ka" + Interlocked.Increment(ref _counter).ToString(CultureInfo.InvariantCulture);
        var conf = Path.Combine(lab.Directory, name + ".conf");
        File.WriteAllText(conf, config);
        var pid = Path.Combine(lab.Directory, name + ".pid");
        var vrrpPid = Path.Combine(lab.Directory, name + "_vrrp.pid");
        var process = lab.Start(ns, "keepalived", $"-n -l -D -G -P -f {conf} -p {pid} -r {vrrpPid}");
        return new Keepalived(process, name);
    }

    /// <summary>Lines that mean keepalived refused or distrusted one of our packets.</summary>
    public IReadOnlyList<string> Complaints() => Log.Split('\n')
        .Where(l => ComplaintMarkers.Any(m => l.Contains(m, StringComparison.OrdinalIgnoreCase)))
        .ToList();

    private static readonly string[] ComplaintMarkers =
    [
        "invalid", "wrong", "mismatch", "unexpected", "bad ", "checksum", "discard", "ttl", "error", "Truncating", "expected", "rogue",
    ];
}
