using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.VrrpDaemon;

/// <summary>
/// <c>hanet-vrrpd [-f keepalived.conf] [-t] [-l] [-D] [-n]</c>: keepalived's VRRP subsystem on Ha.Net. Exit codes:
/// 0 stopped normally, 1 configuration refused or start-up failed, 2 bad command line; <c>-t</c> exits as keepalived
/// 2.2.7's <c>-t</c>: 0 nothing to report, 4 the file cannot be read, 5 configuration errors (keepalived runs with
/// most of them; hanet-vrrpd may refuse them), 6 scripts without <c>enable_script_security</c>.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        CommandLine cli;
        try
        {
            cli = CommandLine.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync("hanet-vrrpd: " + ex.Message);
            return 2;
        }

        var version = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
        if (cli.Help)
        {
            Console.WriteLine(CommandLine.Usage);
            return 0;
        }

        if (cli.Version)
        {
            Console.WriteLine($"hanet-vrrpd {version} (Ha.Net VRRP; reads keepalived 2.x configuration)");
            return 0;
        }

        if (cli.ConfigTest)
        {
            return ConfigTest(cli.ConfigFile);
        }

        if (!OperatingSystem.IsLinux())
        {
            await Console.Error.WriteLineAsync("hanet-vrrpd: the Linux backend (raw sockets, netlink) needs Linux");
            return 1;
        }

        return await RunAsync(cli, version);
    }

    /// <summary>
    /// <c>-t</c>: every finding on stderr as <c>file:line: severity: message</c>; nothing is started. The exit code is
    /// keepalived 2.2.7's (core/main.c config_test_exit): KEEPALIVED_CHK_EXIT_CONFIG 4, _CONFIG_TEST 5,
    /// _CONFIG_TEST_SECURITY 6, keepalived keeping the highest class met.
    /// </summary>
    private static int ConfigTest(string path)
    {
        var result = ConfigLoader.Load(path);
        foreach (var w in result.Warnings)
        {
            Console.Error.WriteLine(w);
        }

        foreach (var e in result.Errors)
        {
            Console.Error.WriteLine(e);
        }

        if (result.Loaded is null)
        {
            Console.Error.WriteLine($"hanet-vrrpd: configuration {path} refused: {result.Errors.Count} error(s)");
            return Math.Max(result.CheckExitCode, 4);
        }

        var verdict = result.CheckExitCode switch
        {
            6 => "; exit 6 as keepalived -t: scripts are configured without enable_script_security",
            5 => "; exit 5 as keepalived -t: keepalived reports some of these warnings as configuration errors",
            0 => "",
            var code => $"; exit {code} as keepalived -t",
        };
        Console.WriteLine($"hanet-vrrpd: configuration {path} is valid ({result.Loaded.Mapping.Routers.Count} vrrp_instance(s), {result.Warnings.Count} warning(s)){verdict}");
        return result.CheckExitCode;
    }

    private static async Task<int> RunAsync(CommandLine cli, string version)
    {
        using var loggers = LoggerFactory.Create(b => b
            .ClearProviders()
            .SetMinimumLevel(cli.LogDetail ? LogLevel.Debug : LogLevel.Information)
            .AddProvider(new KeepalivedLogProvider(Console.Out)));
        var log = loggers.CreateLogger("hanet-vrrpd");
        log.LogInformation("Starting hanet-vrrpd {Version} (Ha.Net VRRP, keepalived.conf compatible), pid {Pid}", version, Environment.ProcessId);
        if (!cli.DontFork)
        {
            log.LogInformation("hanet-vrrpd never forks: it runs in the foreground (as keepalived -n); use systemd Type=exec or simple");
        }

        foreach (var option in cli.Ignored)
        {
            log.LogInformation("Option {Option} accepted and ignored (hanet-vrrpd logs to stdout)", option);
        }

        log.LogInformation("Opening file '{Path}'.", cli.ConfigFile);
        var result = ConfigLoader.Load(cli.ConfigFile);
        foreach (var w in result.Warnings)
        {
            log.LogWarning("{Warning}", w);
        }

        if (result.Loaded is null)
        {
            foreach (var e in result.Errors)
            {
                log.LogError("{Error}", e);
                await Console.Error.WriteLineAsync(e);
            }

            log.LogError("Configuration refused ({Count} error(s)); nothing was started", result.Errors.Count);
            return 1;
        }

        var signals = Channel.CreateUnbounded<PosixSignal>();
        PosixSignalRegistration Register(PosixSignal s) => PosixSignalRegistration.Create(s, c =>
        {
            c.Cancel = true;
            signals.Writer.TryWrite(s);
        });
        using var term = Register(PosixSignal.SIGTERM);
        using var interrupt = Register(PosixSignal.SIGINT);
        using var hangup = Register(PosixSignal.SIGHUP);

        await using var daemon = new Daemon(loggers);
        try
        {
            await daemon.StartAsync(result.Loaded);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            log.LogError("Start-up failed: {Error} (hanet-vrrpd needs CAP_NET_RAW and CAP_NET_ADMIN: run as root or see the README)", ex.Message);
            return 1;
        }

        if (daemon.InstanceNames.Count == 0 && result.Loaded.Mapping.Routers.Count > 0)
        {
            log.LogError("No vrrp_instance could be started");
            await daemon.StopAsync();
            return 1;
        }

        await foreach (var signal in signals.Reader.ReadAllAsync())
        {
            if (signal == PosixSignal.SIGHUP)
            {
                await daemon.ReloadAsync(cli.ConfigFile);
                continue;
            }

            break;
        }

        await daemon.StopAsync();
        return 0;
    }
}
