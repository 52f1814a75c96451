using System.Collections.Concurrent;
using System.Net;
using Ha.Net.HealthChecks;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Hosting;
using Ha.Net.Vrrp.Keepalived;
using Ha.Net.Vrrp.Testing;

namespace Ha.Net.Vrrp.Tests.Configuration.Keepalived;

/// <summary>
/// keepalived's tracking wired by the library (<see cref="KeepalivedTracking"/>): a tracked vrrp_script is one monitor
/// shared by the instances tracking it, its settled state moves their priority by the engine's weight rule (or FAULT
/// with weight 0), link states reach the instances on an interface and those tracking it, and a reload restarts only
/// the instances whose script definitions or unicast_ttl changed. In-memory network, simulated time, scripted probes.
/// </summary>
public sealed class KeepalivedTrackingTests : IAsyncDisposable
{
    private readonly InMemoryVrrpNetwork _network = new();
    private readonly InMemoryAddressBinder _binder = new();
    private readonly ConcurrentDictionary<string, bool> _healthy = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _links = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _probesMade = new(StringComparer.Ordinal);
    private readonly IVirtualRouterCollection _routers;
    private readonly IHealthCheckScheduler _scheduler;
    private readonly KeepalivedTracking _tracking;

    public KeepalivedTrackingTests()
    {
        _routers = VirtualRouter.CreateCollection(_network.CreateTransportFactory(IPAddress.Parse("198.18.0.1")), _binder, _binder, _network.TimeProvider);
        _scheduler = HealthCheckScheduler.Create(_network.TimeProvider, new Random(1), null, null, TimeSpan.Zero);
        _tracking = new KeepalivedTracking(_routers, _scheduler, Probe, name => _links.GetValueOrDefault(name, true));
    }

    public async ValueTask DisposeAsync()
    {
        await _tracking.DisposeAsync();
        await _scheduler.DisposeAsync();
        await _routers.DisposeAsync();
        await _network.DisposeAsync();
    }

    private IHealthProbe Probe(KeepalivedVrrpScript script)
    {
        _probesMade.AddOrUpdate(script.Name, 1, (_, n) => n + 1);
        return new ScriptedProbe(() => _healthy.GetValueOrDefault(script.Name, true));
    }

    private static string Config(int chkBInterval = 1, string vi1Extra = "") => $$"""
        vrrp_script chk_a {
            script "/usr/local/bin/check a"
            interval 1
            weight 20
        }
        vrrp_script chk_b {
            script "/usr/local/bin/check b"
            interval {{chkBInterval}}
            fall 2
        }
        vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
            priority 100
            advert_int 1
            virtual_ipaddress {
                198.18.1.51/32
            }
            track_script {
                chk_a
            }
            track_interface {
                eth1
            }
        {{vi1Extra}}
        }
        vrrp_instance VI_2 {
            interface eth0
            virtual_router_id 52
            priority 100
            advert_int 1
            virtual_ipaddress {
                198.18.1.52/32
            }
            track_script {
                chk_a
                chk_b
            }
        }
        """;

    private static KeepalivedMapping Map(string text) =>
        KeepalivedConfigMapper.ToVirtualRouterOptions(KeepalivedConfigReader.Parse(text, "/nonexistent-hanet/keepalived.conf").GetConfigOrThrow());

    [Fact]
    public async Task A_script_moves_the_priority_of_every_instance_tracking_it_by_the_engine_weight_rule()
    {
        var states = new List<(string Name, bool Up)>();
        _tracking.ScriptStateChanged += (_, e) => states.Add((e.Name, e.IsUp));

        await _tracking.ApplyAsync(Map(Config()));
        await _network.AdvanceAsync(TimeSpan.FromSeconds(5));

        // chk_a (weight 20) up: 100 + 20 on both; chk_b (weight 0) up: no change. One monitor per script.
        Assert.Equal(120, _routers["VI_1"].EffectivePriority);
        Assert.Equal(120, _routers["VI_2"].EffectivePriority);
        Assert.Equal(2, _scheduler.Monitors.Count);
        Assert.Equal(1, _probesMade["chk_a"]);
        Assert.True(_tracking.GetScriptState("chk_a"));

        // chk_a fails: the positive weight is no longer added.
        _healthy["chk_a"] = false;
        await _network.AdvanceAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(100, _routers["VI_1"].EffectivePriority);
        Assert.Equal(100, _routers["VI_2"].EffectivePriority);

        // chk_b (weight 0) fails twice (fall 2): VI_2 goes to FAULT and releases its address; VI_1 does not track it.
        _healthy["chk_b"] = false;
        await _network.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.True(_tracking.GetScriptState("chk_b")); // one failure of fall 2: not settled yet
        Assert.Equal(VirtualRouterState.Master, _routers["VI_2"].State);
        await _network.AdvanceAsync(TimeSpan.FromSeconds(2));
        Assert.False(_tracking.GetScriptState("chk_b"));
        Assert.Equal(VirtualRouterState.Fault, _routers["VI_2"].State);
        Assert.Equal(VirtualRouterState.Master, _routers["VI_1"].State);
        Assert.DoesNotContain(IPAddress.Parse("198.18.1.52"), _binder.Bound);
        Assert.Equal([("chk_a", false), ("chk_b", false)], states.Where(s => !s.Up));
    }

    [Fact]
    public async Task Link_states_reach_the_instances_on_the_interface_and_those_tracking_it()
    {
        _links["eth1"] = false; // down before start: VI_1 (track_interface eth1, weight 0) starts in FAULT

        await _tracking.ApplyAsync(Map(Config()));
        await _network.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(VirtualRouterState.Fault, _routers["VI_1"].State);
        Assert.Equal(VirtualRouterState.Master, _routers["VI_2"].State);

        _tracking.SetInterfaceState("eth1", true);
        await _network.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(VirtualRouterState.Master, _routers["VI_1"].State);

        // The instances' own interface goes down: both FAULT.
        _tracking.SetInterfaceState("eth0", false);
        await _network.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.All(_routers, r => Assert.Equal(VirtualRouterState.Fault, r.State));
    }

    [Fact]
    public async Task A_reload_restarts_only_the_instances_whose_scripts_or_unicast_ttl_changed()
    {
        await _tracking.ApplyAsync(Map(Config()));
        await _network.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.True(_scheduler.TryGet("chk_a", out var chkA));

        var same = await _tracking.ApplyAsync(Map(Config()));
        Assert.Equal(["VI_1", "VI_2"], same.Kept);
        Assert.True(_scheduler.TryGet("chk_a", out var chkAAfter));
        Assert.Same(chkA, chkAAfter);
        Assert.Equal((1, 1), (_probesMade["chk_a"], _probesMade["chk_b"]));

        // chk_b's interval changes: its monitor is replaced, and only VI_2 (which tracks it) restarts.
        var vi1 = _routers["VI_1"];
        var changed = await _tracking.ApplyAsync(Map(Config(chkBInterval: 2)));
        Assert.Equal(["VI_1"], changed.Kept);
        Assert.Equal(["VI_2"], changed.Restarted);
        Assert.Same(vi1, _routers["VI_1"]);
        Assert.Equal((1, 2), (_probesMade["chk_a"], _probesMade["chk_b"]));

        // The new VI_2 gets chk_a's settled state at once (its weight applies without waiting for a check).
        Assert.Equal(120, _routers["VI_2"].EffectivePriority);

        // unicast_ttl is the transport's: VI_1 restarts.
        var ttl = await _tracking.ApplyAsync(Map(Config(chkBInterval: 2, vi1Extra: "    unicast_ttl 10")));
        Assert.Equal(["VI_1"], ttl.Restarted);
        Assert.Equal(["VI_2"], ttl.Kept);
    }

    [Fact]
    public async Task A_mapping_with_errors_is_refused_and_nothing_changes()
    {
        await _tracking.ApplyAsync(Map(Config()));
        var vi1 = _routers["VI_1"];
        var bad = Map(Config().Replace("eth1", "chk_a", StringComparison.Ordinal)); // a track_interface named like a script
        Assert.False(bad.IsValid);

        await Assert.ThrowsAsync<VrrpConfigurationException>(() => _tracking.ApplyAsync(bad));

        Assert.Same(vi1, _routers["VI_1"]);
        Assert.Equal(2, _scheduler.Monitors.Count);
        Assert.Equal((1, 1), (_probesMade["chk_a"], _probesMade["chk_b"]));
    }

    private sealed class ScriptedProbe(Func<bool> healthy) : IHealthProbe
    {
        public ValueTask<CheckResult> ProbeAsync(CancellationToken cancellationToken) => ValueTask.FromResult(healthy()
            ? new CheckResult(CheckStatus.ProcessOk, 0, null, TimeSpan.Zero)
            : new CheckResult(CheckStatus.ProcessError, 1, "exited with status 1", TimeSpan.Zero));
    }
}
