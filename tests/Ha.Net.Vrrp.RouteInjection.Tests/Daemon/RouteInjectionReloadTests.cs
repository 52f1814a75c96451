using System.Globalization;
using Ha.Net.Testing.Environment;
using Ha.Net.Testing.HealthChecks;

namespace Ha.Net.Vrrp.RouteInjection.Tests.Daemon;

/// <summary>
/// hanet-proxyd's reload (SIGHUP) with --route-injection: the file is re-read, checked against the new haproxy.cfg,
/// and applied to the running injector. The speaker is a fake vtysh (the file's <c>vtysh PATH</c>) that records the
/// last line of each call (<c>network P</c> / <c>no network P</c>), so every announcement and withdrawal is seen in
/// order; <c>reassert 0</c> keeps the log to real changes.
/// </summary>
public sealed class RouteInjectionReloadTests : IAsyncDisposable
{
    private const string Announce1 = "network 198.18.100.1/32";
    private const string Withdraw1 = "no network 198.18.100.1/32";
    private const string Announce2 = "network 198.18.100.2/32";
    private const string Withdraw2 = "no network 198.18.100.2/32";

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("hanet-rhi-reload-");
    private readonly string _cfg;
    private readonly string _rhi;
    private readonly string _vtysh;
    private readonly string _calls;
    private readonly string _goodCfg;
    private ChildProcess? _daemon;

    public RouteInjectionReloadTests()
    {
        _cfg = Path.Combine(_dir.FullName, "haproxy.cfg");
        _rhi = Path.Combine(_dir.FullName, "rhi.conf");
        _vtysh = Path.Combine(_dir.FullName, "vtysh");
        _calls = Path.Combine(_dir.FullName, "vtysh.calls");
        File.WriteAllText(_vtysh, $"#!/bin/sh\n# fake vtysh: records its last -c line\nfor a in \"$@\"; do last=\"$a\"; done\nprintf '%s\\n' \"$last\" >> '{_calls}'\n");
        File.SetUnixFileMode(_vtysh, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var port = SparePort.Next();
        _goodCfg = string.Create(CultureInfo.InvariantCulture, $"""
            defaults
                mode tcp
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend fe_app
                bind 127.0.0.1:{port}
                default_backend be_app
            backend be_app
                balance roundrobin
                server s1 127.0.0.1:{SparePort.Next()}

            """);
        File.WriteAllText(_cfg, _goodCfg);
        WriteRhi("prefix 198.18.100.1/32");
    }

    private IReadOnlyList<string> Calls => File.Exists(_calls) ? File.ReadAllLines(_calls) : [];

    [Fact]
    public async Task Reload_UnchangedFile_ChangesNothing_BadEditsAreRefused_AddedPrefixIsAnnouncedWithoutWithdrawingTheKeptOne()
    {
        _daemon = ChildProcess.Start(DotnetHost, [Path.Combine(AppContext.BaseDirectory, "hanet-proxyd.dll"), "-f", _cfg, "--route-injection", _rhi], "hanet-proxyd");
        await _daemon.ExpectOutputAsync("Route 198.18.100.1/32 announced", TimeSpan.FromSeconds(60));
        await ExpectCallsAsync(Announce1); // rise 1: the first sample at start announces

        // An unchanged file: no speaker call.
        await ReloadAsync(expect: "Route injection file " + _rhi + " re-read: unchanged");
        await ExpectCallsAsync(Announce1);

        // A syntax error in the route injection file refuses the reload, with file:line in HAProxy's format.
        WriteRhi("prefix 198.18.100.1/32", "prefix 198.18.100.2/32", rise: "zero");
        await ReloadAsync(expect: "Reload refused", occurrence: 1);
        Assert.Contains($"[ALERT]    ({_daemon.Id}) : config : {_rhi}:8: 'rise' expects a whole number", _daemon.Output, StringComparison.Ordinal);

        // A good route injection edit with a bad haproxy.cfg: the whole reload is refused, the new prefix is not announced.
        WriteRhi("prefix 198.18.100.1/32", "prefix 198.18.100.2/32");
        await File.WriteAllTextAsync(_cfg, _goodCfg.Replace("balance roundrobin", "balance nonsense", StringComparison.Ordinal));
        await ReloadAsync(expect: "Reload refused", occurrence: 2);
        Assert.Contains($"[ALERT]    ({_daemon.Id}) : config : {_cfg}:", _daemon.Output, StringComparison.Ordinal);

        // haproxy.cfg renames the watched backend: checked against the NEW configuration, refused.
        await File.WriteAllTextAsync(_cfg, _goodCfg.Replace("be_app", "be_new", StringComparison.Ordinal));
        await ReloadAsync(expect: "Reload refused", occurrence: 3);
        Assert.Contains($"[ALERT]    ({_daemon.Id}) : config : {_rhi}: backend 'be_app' is not in the haproxy configuration.", _daemon.Output, StringComparison.Ordinal);

        // The speaker cannot change in place.
        await File.WriteAllTextAsync(_cfg, _goodCfg);
        WriteRhi("prefix 198.18.100.1/32", "prefix 198.18.100.2/32", asn: "65101");
        await ReloadAsync(expect: "Reload refused", occurrence: 4);
        Assert.Contains($"{_rhi}: 'speaker' differs from the running one", _daemon.Output, StringComparison.Ordinal);
        await ExpectCallsAsync(Announce1); // nothing of the refused edits reached the speaker
        Assert.DoesNotContain("re-read: applied", _daemon.Output, StringComparison.Ordinal);

        // An added prefix: announced; the kept one is not touched (no withdrawal blip).
        WriteRhi("prefix 198.18.100.1/32", "prefix 198.18.100.2/32");
        await ReloadAsync(expect: "re-read: applied");
        await ExpectCallsAsync(Announce1, Announce2);

        // A removed prefix: withdrawn; the kept one stays.
        WriteRhi("prefix 198.18.100.2/32");
        await ReloadAsync(expect: "re-read: applied", occurrence: 2);
        await ExpectCallsAsync(Announce1, Announce2, Withdraw1);

        // Stop withdraws what is announced now.
        _daemon.Signal("TERM");
        Assert.True(await _daemon.WaitForExitAsync(TimeSpan.FromSeconds(60)), _daemon.Output);
        Assert.Equal(0, _daemon.ExitCode);
        await ExpectCallsAsync(Announce1, Announce2, Withdraw1, Withdraw2);
    }

    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private void WriteRhi(string prefix, string? prefix2 = null, string rise = "1", string asn = "65100") =>
        File.WriteAllText(_rhi, $"""
            # route health injection (test)
            {prefix}
            {prefix2 ?? "# one prefix"}
            speaker frr as {asn} vtysh {_vtysh}
            frontend fe_app
            backend be_app min-servers 1
            interval 100ms
            rise {rise}
            fall 1
            withdraw-grace 0
            reassert 0

            """);

    /// <summary>SIGHUP, then waits for the reload's outcome line (the occurrence-th one of that text).</summary>
    private async Task ReloadAsync(string expect, int occurrence = 1)
    {
        var completed = _daemon!.CountOf("Reload complete");
        _daemon.Signal("HUP");
        await _daemon.ExpectOutputAsync(expect, TimeSpan.FromSeconds(30), occurrence);
        if (expect != "Reload refused")
        {
            await _daemon.ExpectOutputAsync("Reload complete", TimeSpan.FromSeconds(30), completed + 1);
        }
    }

    /// <summary>Waits (bounded) until the fake vtysh has been called as many times as expected, then compares in order.</summary>
    private async Task ExpectCallsAsync(params string[] expected)
    {
        for (var i = 0; i < 500 && Calls.Count < expected.Length; i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal(expected, Calls);
    }

    public async ValueTask DisposeAsync()
    {
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
        }

        _dir.Delete(recursive: true);
    }
}
