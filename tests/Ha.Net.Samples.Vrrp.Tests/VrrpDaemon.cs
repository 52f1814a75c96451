using Ha.Net.Testing.Environment;
using Ha.Net.Testing.Files;

namespace Ha.Net.Samples.Vrrp.Tests;

/// <summary>hanet-vrrpd (the built samples/VrrpDaemon) run to completion, or started under <c>ip netns exec</c>.</summary>
internal static class VrrpDaemon
{
    public static string DllPath { get; } = TestFiles.Built("samples/VrrpDaemon", "hanet-vrrpd.dll");

    /// <summary>Runs <c>hanet-vrrpd ARGS</c> to completion (bounded at 60 s) and returns its exit code, stdout and stderr.</summary>
    public static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var result = ProcessRunner.TryRun("dotnet", [DllPath, .. args], TimeSpan.FromSeconds(60));
        return result.Code == -1 ? throw new TimeoutException($"hanet-vrrpd {string.Join(' ', args)} {result.Stderr}") : result;
    }

    /// <summary>Starts <c>ip netns exec NS dotnet hanet-vrrpd.dll ARGS</c> (ip execs it: the pid is the daemon's).</summary>
    public static ChildProcess StartInNamespace(string ns, params string[] args) =>
        ChildProcess.Start("ip", ["netns", "exec", ns, "dotnet", DllPath, .. args], "hanet-vrrpd");
}
