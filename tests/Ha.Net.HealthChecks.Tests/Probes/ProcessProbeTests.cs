using System.Diagnostics;
using Ha.Net.HealthChecks.Probes;
using Ha.Net.Testing.Environment;

namespace Ha.Net.HealthChecks.Tests.Probes;

/// <summary>Process checks against real processes, with killall itself as the oracle.</summary>
public sealed class ProcessProbeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hanet-health-proc-").FullName;
    private readonly List<Process> _started = [];

    public void Dispose()
    {
        foreach (var p in _started)
        {
            try { p.Kill(entireProcessTree: true); p.WaitForExit(10_000); } catch (InvalidOperationException) { }
            p.Dispose();
        }

        Directory.Delete(_dir, recursive: true);
    }

    private Process StartSleeper(string name)
    {
        var path = Path.Combine(_dir, name);
        File.Copy("/bin/sleep", path);
        if (!OperatingSystem.IsWindows()) { File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101); }
        var p = Process.Start(new ProcessStartInfo(path, "300"))!;
        _started.Add(p);
        for (var i = 0; i < 500 && !File.ReadAllText($"/proc/{p.Id}/stat").Contains(name[..Math.Min(15, name.Length)], StringComparison.Ordinal); i++)
        {
            Thread.Sleep(10); // until exec has happened
        }

        return p;
    }

    private static CheckResult Probe(ProcessProbeOptions options) =>
        HealthProbes.Process(options).ProbeAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();

    private static int Killall0(string name)
    {
        using var p = Process.Start(new ProcessStartInfo(Prerequisites.FindExecutable("killall")!, ["-0", name]) { RedirectStandardError = true })!;
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode;
    }

    [RequiresFact("cmd:killall")]
    public void ShortName_MatchesLikeKillall()
    {
        var name = "hnsl" + Random.Shared.Next(100000, 999999);
        var p = StartSleeper(name);
        var result = Probe(new ProcessProbeOptions { Name = name });
        Assert.Equal(CheckStatus.ProcessOk, result.Status);
        Assert.Equal(1, result.Code);
        Assert.Equal($"1 process named '{name}' (pid {p.Id})", result.Description);
        Assert.Equal(0, Killall0(name));
    }

    [RequiresFact("cmd:killall")]
    public void LongName_BeyondTheKernels15Characters_IsFoundThroughExeAndCmdline()
    {
        var name = "hanet-health-long-sleeper-" + Random.Shared.Next(1000, 9999);
        var p = StartSleeper(name);
        Assert.Equal(name[..15], File.ReadAllText($"/proc/{p.Id}/comm").Trim()); // what the kernel keeps
        Assert.Equal(CheckStatus.ProcessOk, Probe(new ProcessProbeOptions { Name = name }).Status);
        Assert.Equal(0, Killall0(name));

        // A different long name sharing the first 15 characters is not this process.
        var other = name[..15] + "-something-else";
        var miss = Probe(new ProcessProbeOptions { Name = other });
        Assert.Equal(CheckStatus.ProcessError, miss.Status);
        Assert.Equal(Killall0(other) == 0, miss.Passed);
    }

    [RequiresFact("cmd:killall")]
    public void Missing_IsProcErr_LikeKillall()
    {
        var name = "hn-none-" + Random.Shared.Next(100000, 999999);
        var result = Probe(new ProcessProbeOptions { Name = name });
        Assert.Equal(CheckStatus.ProcessError, result.Status);
        Assert.Equal(0, result.Code);
        Assert.Equal($"No process named '{name}'", result.Description);
        Assert.NotEqual(0, Killall0(name));
    }

    [Fact]
    public void Stopped_ProcessIsNoLongerFound()
    {
        var name = "hnst" + Random.Shared.Next(100000, 999999);
        var p = StartSleeper(name);
        Assert.True(Probe(new ProcessProbeOptions { Name = name }).Passed);
        p.Kill();
        p.WaitForExit(10_000);
        Assert.False(Probe(new ProcessProbeOptions { Name = name }).Passed);
    }

    [Fact]
    public void PidFile_OfALiveProcess_IsProcOk()
    {
        var p = StartSleeper("hnpid" + Random.Shared.Next(1000, 9999));
        var pidFile = Path.Combine(_dir, "x.pid");
        File.WriteAllText(pidFile, p.Id + "\n");
        var result = Probe(new ProcessProbeOptions { PidFile = pidFile });
        Assert.Equal(CheckStatus.ProcessOk, result.Status);
        Assert.Equal(p.Id, result.Code);
        Assert.Equal($"Process {p.Id} from {pidFile} is running", result.Description);
    }

    [Fact]
    public void PidFile_OfADeadProcess_IsProcErr()
    {
        var p = StartSleeper("hndead" + Random.Shared.Next(1000, 9999));
        var pid = p.Id;
        p.Kill();
        p.WaitForExit(10_000);
        var pidFile = Path.Combine(_dir, "dead.pid");
        File.WriteAllText(pidFile, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var result = Probe(new ProcessProbeOptions { PidFile = pidFile });
        Assert.Equal(CheckStatus.ProcessError, result.Status);
        Assert.Equal($"Process {pid} from {pidFile} is not running", result.Description);
    }

    [Fact]
    public void PidFile_MissingOrGarbage_IsProcErr_SayingWhich()
    {
        var missing = Path.Combine(_dir, "missing.pid");
        var r1 = Probe(new ProcessProbeOptions { PidFile = missing });
        Assert.Equal(CheckStatus.ProcessError, r1.Status);
        Assert.Equal($"Pidfile {missing} not found", r1.Description);

        var garbage = Path.Combine(_dir, "garbage.pid");
        File.WriteAllText(garbage, "haproxy\n");
        var r2 = Probe(new ProcessProbeOptions { PidFile = garbage });
        Assert.Equal(CheckStatus.ProcessError, r2.Status);
        Assert.Equal($"Pidfile {garbage} does not hold a process id: 'haproxy'", r2.Description);
    }

    [Fact]
    public void PidFile_OfInit_Exists_EvenWithoutPermissionToSignalIt()
    {
        var pidFile = Path.Combine(_dir, "init.pid");
        File.WriteAllText(pidFile, "1");
        Assert.Equal(CheckStatus.ProcessOk, Probe(new ProcessProbeOptions { PidFile = pidFile }).Status);
    }

    [Fact]
    public void Options_NeedExactlyOneOfNameAndPidFile()
    {
        var ex = Assert.Throws<ArgumentException>(() => HealthProbes.Process(new ProcessProbeOptions()));
        Assert.Contains("Exactly one of Name and PidFile", ex.Message);
        Assert.Throws<ArgumentException>(() => HealthProbes.Process(new ProcessProbeOptions { Name = "a", PidFile = "/x" }));
        Assert.Contains("without '/'", Assert.Throws<ArgumentException>(() => HealthProbes.Process(new ProcessProbeOptions { Name = "/usr/sbin/haproxy" })).Message);
    }
}
