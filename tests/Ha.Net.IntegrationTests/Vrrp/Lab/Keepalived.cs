using System.Globalization;
using Ha.Net.Testing.Environment;

namespace Ha.Net.Vrrp.Linux.Lab;

/// <summary>A keepalived 2.2.7 VRRP process in a lab namespace (foreground, console log, VRRP only, detailed).</summary>
internal sealed class Keepalived
{
    private static int _counter;

    private Keepalived(ChildProcess process, string name)
    {
        Process = process;
        Name = name;
    }

    public ChildProcess Process { get; }

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

    /// <summary>The last state keepalived entered (MASTER, BACKUP, FAULT), from its "(VI_1) Entering X STATE" lines.</summary>
    public string? State => Log.Split('\n').Where(l => l.Contains("Entering ", StringComparison.Ordinal) && l.Contains(" STATE", StringComparison.Ordinal))
        .Select(l => l[(l.IndexOf("Entering ", StringComparison.Ordinal) + 9)..].Split(' ')[0]).LastOrDefault();

    public int Count(string state) => Process.CountOf($"Entering {state} STATE");

    /// <summary>Waits (bounded) until the current state is <paramref name="state"/>; fails with the log otherwise.</summary>
    public async Task WaitFor(string state)
    {
        if (!await VrrpTopology.Eventually(() => State == state))
        {
            throw new Xunit.Sdk.XunitException($"keepalived did not reach {state} within {VrrpTopology.Bound.TotalSeconds} s. Its log:\n{Log}");
        }
    }

    /// <summary>SIGKILL to keepalived's parent and VRRP child.</summary>
    public void Kill9() => Process.KillTree();

    public void Terminate() => Process.Signal("TERM");

    /// <summary>Lines that mean keepalived refused or distrusted a packet (ka: vrrp_check_packet and friends).</summary>
    /// <remarks>"received lower priority (P) advert … - discarding" is not one: it is a backup about to preempt.</remarks>
    public IReadOnlyList<string> Complaints() => Log.Split('\n')
        .Where(l => ComplaintMarkers.Any(m => l.Contains(m, StringComparison.OrdinalIgnoreCase)))
        .ToList();

    private static readonly string[] ComplaintMarkers =
    [
        "invalid", "wrong", "mismatch", "unexpected", "bad ", "checksum", "ttl", "error", "Expected unicast", "Expected multicast", "not present", "rogue", "both configured as address owner",
    ];
}
