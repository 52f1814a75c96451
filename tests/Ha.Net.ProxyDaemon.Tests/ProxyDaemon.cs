using Ha.Net.Testing.Environment;

namespace Ha.Net.ProxyDaemon.Tests;

/// <summary>hanet-proxyd (dotnet hanet-proxyd.dll ...) run to completion, or started and awaited until it has loaded.</summary>
internal static class ProxyDaemon
{
    public static string DaemonDll => Path.Combine(AppContext.BaseDirectory, "hanet-proxyd.dll");

    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>Runs hanet-proxyd to completion (for -c); bounded at 60 s.</summary>
    public static Task<(int ExitCode, string StdOut, string StdErr)> RunToEndAsync(params string[] args) => Task.Run(() =>
    {
        var result = ProcessRunner.TryRun(DotnetHost, [DaemonDll, .. args], TimeSpan.FromSeconds(60));
        return result.Code == -1 ? throw new TimeoutException($"hanet-proxyd {string.Join(' ', args)} {result.Stderr}") : result;
    });

    /// <summary>Starts the daemon and waits (bounded) for "Loading success".</summary>
    public static async Task<ChildProcess> StartAsync(params string[] args)
    {
        var daemon = ChildProcess.Start(DotnetHost, [DaemonDll, .. args], "hanet-proxyd");
        try
        {
            await daemon.ExpectOutputAsync("Loading success", TimeSpan.FromSeconds(30));
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }

        return daemon;
    }
}
