using System.Globalization;
using System.Net;
using System.Text;
using Ha.Net.Vrrp.Testing;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Vrrp.Tests.Simulation;

/// <summary>
/// A generated multi-router scenario, entirely determined by its seed: 2–5 routers (priorities with ties and at
/// most one owner, preempt on or off, addresses in any order), VRRPv2 or v3 timing, a link delay, and a chaos
/// phase of crashes, restarts, graceful stops, partitions and heals under loss; then a loss-free, healed phase
/// where the invariants must hold, ending with the master crashing or stopping.
/// </summary>
public sealed class ElectionScenario
{
    public enum ChaosKind
    {
        Crash,
        Restart,
        Shutdown,
        Partition,
        Heal,
    }

    public sealed record Router(int Priority, bool Preempt, int AddressByte);

    public sealed record ChaosEvent(TimeSpan At, ChaosKind Kind, int Node, int Mask);

    public required int Seed { get; init; }
    public required VrrpVersion Version { get; init; }
    public required TimeSpan Interval { get; init; }
    public required TimeSpan Delay { get; init; }
    public required double Loss { get; init; }
    public required Router[] Routers { get; init; }
    public required TimeSpan[] StartAt { get; init; }
    public required ChaosEvent[] Chaos { get; init; }
    public required bool GracefulFinalStop { get; init; }

    public TimeSpan ChaosEnd => Interval * 20;

    /// <summary>Long enough for a loss-free segment to converge: several Master_Down_Intervals.</summary>
    public TimeSpan Settle => (Interval * 12) + TimeSpan.FromSeconds(Version == VrrpVersion.V2 ? 2 : 0) + (Delay * 4);

    public static ElectionScenario FromSeed(int seed)
    {
        var r = new Random(seed);
        var v3 = r.Next(2) == 0;
        var interval = v3 ? TimeSpan.FromMilliseconds(10 * r.Next(5, 201)) : TimeSpan.FromSeconds(r.Next(1, 4));
        var n = r.Next(2, 6);
        var priorities = new[] { 1, 50, 100, 100, 150, 200, 254 };
        var owner = r.Next(4) == 0 ? r.Next(n) : -1;
        var bytes = Enumerable.Range(1, 250).OrderBy(_ => r.Next()).Take(n).ToArray();
        var routers = Enumerable.Range(0, n).Select(i =>
        {
            var p = i == owner ? 255 : (r.Next(3) == 0 ? 100 : priorities[r.Next(priorities.Length)]);
            return new Router(p, p == 255 || r.Next(4) != 0, bytes[i]);
        }).ToArray();
        var chaosEnd = interval * 20;
        var chaos = Enumerable.Range(0, r.Next(0, 7)).Select(_ =>
        {
            var kind = (ChaosKind)r.Next(5);
            var at = TimeSpan.FromTicks((long)((2 + (r.NextDouble() * 17)) * interval.Ticks));
            return new ChaosEvent(at, kind, r.Next(n), r.Next(1, (1 << n) - 1));
        }).OrderBy(e => e.At).ToArray();
        return new ElectionScenario
        {
            Seed = seed,
            Version = v3 ? VrrpVersion.V3 : VrrpVersion.V2,
            Interval = interval,
            Delay = TimeSpan.FromTicks((long)(r.NextDouble() * interval.Ticks / 10)),
            Loss = r.Next(3) == 0 ? 0 : r.NextDouble() * 0.3,
            Routers = routers,
            StartAt = routers.Select(_ => r.Next(3) == 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)(r.NextDouble() * 2 * interval.Ticks))).ToArray(),
            Chaos = chaos,
            GracefulFinalStop = r.Next(2) == 0,
        };
    }

    public static VirtualRouterOptions Options(VrrpVersion version, TimeSpan interval, int priority, bool preempt) => new()
    {
        InstanceName = "VI_1",
        InterfaceName = "eth0",
        VirtualRouterId = 51,
        Priority = priority,
        Preempt = preempt,
        Version = version,
        AdvertisementInterval = interval,
        VirtualAddresses = [new VirtualAddress(IPAddress.Parse("198.18.0.100"), 32, "eth0")],
    };

    public static IPAddress AddressOf(int b) => new([198, 18, 0, (byte)b]);

    public override string ToString()
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"seed {Seed}: VRRPv{(int)Version}, interval {Interval.TotalSeconds} s, delay {Delay.TotalMilliseconds:0.###} ms, loss {Loss:0.###}");
        for (var i = 0; i < Routers.Length; i++)
        {
            var x = Routers[i];
            s.Append(CultureInfo.InvariantCulture, $"\n  node {i}: {AddressOf(x.AddressByte)} priority {x.Priority}{(x.Preempt ? "" : " nopreempt")} starts at {StartAt[i].TotalSeconds:0.###} s");
        }

        foreach (var e in Chaos)
        {
            s.Append(CultureInfo.InvariantCulture, $"\n  at {e.At.TotalSeconds:0.###} s: {e.Kind} {(e.Kind == ChaosKind.Partition ? $"mask {e.Mask}" : e.Kind == ChaosKind.Heal ? "" : $"node {e.Node}")}");
        }

        s.Append(CultureInfo.InvariantCulture, $"\n  at {ChaosEnd.TotalSeconds} s: loss 0, heal, restart the dead; then the master {(GracefulFinalStop ? "stops (priority 0)" : "crashes")} after {Settle.TotalSeconds:0.###} s");
        return s.ToString();
    }
}
