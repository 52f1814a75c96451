using Ha.Net.HealthChecks.Adapters;
using Ha.Net.Testing.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Ha.Net.HealthChecks.Tests.Adapters;

public class AdapterTests
{
    private sealed class DelegateCheck(Func<HealthCheckContext, CancellationToken, Task<HealthCheckResult>> run) : IHealthCheck
    {
        public HealthCheckContext? Seen;

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            Seen = context;
            return run(context, cancellationToken);
        }
    }

    [Theory]
    [InlineData(HealthStatus.Healthy, true, CheckStatus.L7Ok)]
    [InlineData(HealthStatus.Degraded, true, CheckStatus.L7OkConditional)]
    [InlineData(HealthStatus.Degraded, false, CheckStatus.L7Status)]
    [InlineData(HealthStatus.Unhealthy, true, CheckStatus.L7Status)]
    public async Task IHealthCheck_AsProbe_MapsStatuses(HealthStatus status, bool degradedPasses, CheckStatus expected)
    {
        var check = new DelegateCheck((_, _) => Task.FromResult(new HealthCheckResult(status, "db says so")));
        var result = await check.ToProbe("db", degradedPasses).ProbeAsync(CancellationToken.None);
        Assert.Equal(expected, result.Status);
        Assert.Equal($"{status}: db says so", result.Description);
        Assert.Equal("db", check.Seen!.Registration.Name);
    }

    [Fact]
    public async Task IHealthCheck_Throwing_IsL7Rsp_AndCancelledByTimeout_IsL7Tout()
    {
        var throwing = new DelegateCheck((_, _) => throw new InvalidOperationException("no db"));
        var r1 = await throwing.ToProbe("db").ProbeAsync(CancellationToken.None);
        Assert.Equal(CheckStatus.L7Response, r1.Status);
        Assert.Equal("Health check 'db' threw InvalidOperationException: no db", r1.Description);

        var slow = new DelegateCheck(async (_, ct) => { await Task.Delay(Timeout.Infinite, ct); return HealthCheckResult.Healthy(); });
        using var cts = new CancellationTokenSource(100);
        var r2 = await slow.ToProbe("db").ProbeAsync(cts.Token);
        Assert.Equal(CheckStatus.L7Timeout, r2.Status);
        Assert.Equal("Health check 'db' timed out", r2.Description);
    }

    [Fact]
    public async Task IHealthCheck_ScheduledWithRiseFall()
    {
        var clock = new FakeTimeProvider();
        await using var scheduler = HealthCheckScheduler.Create(clock, new Random(1));
        var healthy = true;
        var check = new DelegateCheck((_, _) => Task.FromResult(healthy ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("down")));
        var m = scheduler.Add("db", check.ToProbe("db"), new HealthMonitorOptions { Jitter = TimeSpan.Zero, Rise = 1, Fall = 2 });
        clock.Advance(TimeSpan.Zero);
        Assert.Equal(HealthState.Up, m.State);
        healthy = false;
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(HealthState.Up, m.State);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(HealthState.Down, m.State);
        Assert.Equal("Unhealthy: down", m.Snapshot.LastResult.Description);
    }

    [Fact]
    public async Task Monitor_AsIHealthCheck_ReportsStateAndData()
    {
        var clock = new FakeTimeProvider();
        await using var scheduler = HealthCheckScheduler.Create(clock, new Random(1));
        var probe = new ScriptedProbe(clock).Then(ScriptedProbe.Pass, ScriptedProbe.Fail, ScriptedProbe.Fail, ScriptedProbe.Fail);
        var m = scheduler.Add("smtp1", probe, new HealthMonitorOptions { Jitter = TimeSpan.Zero });
        var check = m.AsHealthCheck();
        var context = new HealthCheckContext { Registration = new HealthCheckRegistration("smtp1", check, HealthStatus.Degraded, null) };

        clock.Advance(TimeSpan.Zero);
        var up = await check.CheckHealthAsync(context);
        Assert.Equal(HealthStatus.Healthy, up.Status);
        Assert.Equal("UP", up.Data["status"]);
        Assert.Equal("L4OK", up.Data["check_status"]);

        clock.Advance(TimeSpan.FromSeconds(2));
        var goingDown = await check.CheckHealthAsync(context);
        Assert.Equal(HealthStatus.Degraded, goingDown.Status);
        Assert.Equal("UP 2/3", goingDown.Data["status"]);

        // Two more checks (at 4 s and 6 s): FakeTimeProvider fires a timer at most once per Advance (it moves the
        // clock to the end first, and the scheduler re-arms from there), so one interval at a time.
        clock.Advance(TimeSpan.FromSeconds(2));
        clock.Advance(TimeSpan.FromSeconds(2));
        var down = await check.CheckHealthAsync(context);
        Assert.Equal(HealthStatus.Degraded, down.Status); // the registration's failure status
        Assert.Equal("L4CON", down.Data["check_status"]);
        Assert.Equal("Connection refused", down.Data["check_description"]);
        Assert.StartsWith("smtp1 is DOWN; last check L4CON in 0ms: Connection refused", down.Description);
    }

    [Fact]
    public async Task DependencyInjection_SchedulerMonitorsAndHealthCheckService()
    {
        var clock = new FakeTimeProvider();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(clock);
        services.AddSingleton<Microsoft.Extensions.Logging.ILoggerFactory>(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        services.AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(Microsoft.Extensions.Logging.Abstractions.NullLogger<>));
        services.AddHealthMonitor("web1", _ => new ScriptedProbe(clock) { Default = ScriptedProbe.Fail }, new HealthMonitorOptions { Jitter = TimeSpan.Zero, Fall = 1 });
        services.AddHealthChecks().Add(HealthCheckAdapters.Registration("web1", tags: ["backend"]));
        await using var sp = services.BuildServiceProvider();

        var scheduler = sp.GetRequiredService<IHealthCheckScheduler>();
        Assert.True(scheduler.TryGet("web1", out var monitor));
        clock.Advance(TimeSpan.Zero);
        Assert.Equal(HealthState.Down, monitor.State);

        var report = await sp.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Equal(HealthStatus.Unhealthy, report.Entries["web1"].Status);
        Assert.Contains("backend", report.Entries["web1"].Tags);
    }

    [Fact]
    public void DependencyInjection_RejectsInvalidOptions_Early()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddHealthMonitor("x", _ => null!, new HealthMonitorOptions { Rise = 0 }));
        Assert.Contains("Rise", ex.Message);
    }
}
