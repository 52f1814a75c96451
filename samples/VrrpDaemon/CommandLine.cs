using Ha.Net.Samples.Shared.Syslog;

namespace Ha.Net.Samples.VrrpDaemon;

/// <summary>hanet-vrrpd's command line: keepalived's option names for what a VRRP-only daemon does.</summary>
internal sealed class CommandLine
{
    public const string DefaultConfig = "/etc/keepalived/keepalived.conf";

    public string ConfigFile { get; private set; } = DefaultConfig;

    public bool ConfigTest { get; private set; }

    public bool LogConsole { get; private set; }

    public bool LogDetail { get; private set; }

    public bool DontFork { get; private set; }

    public bool Help { get; private set; }

    public bool Version { get; private set; }

    /// <summary><c>-S</c>: the syslog facility code (keepalived: 0–7 = local0–local7, or a facility name); null without <c>-S</c>.</summary>
    public int? LogFacility { get; private set; }

    /// <summary><c>-G</c>, <c>--no-syslog</c>.</summary>
    public bool NoSyslog { get; private set; }

    /// <summary><c>-p</c>, <c>--pid</c>: keepalived's main pid file.</summary>
    public string? PidFile { get; private set; }

    /// <summary><c>-r</c>, <c>--vrrp_pid</c>: the VRRP child's pid file (hanet-vrrpd is both: its own pid).</summary>
    public string? VrrpPidFile { get; private set; }

    /// <summary><c>-c</c>, <c>--checkers_pid</c>: accepted; there is no checker process, so nothing is written.</summary>
    public string? CheckersPidFile { get; private set; }

    /// <summary>Messages for stderr about accepted-but-odd options (keepalived's <c>Invalid log facility '…'</c>).</summary>
    public List<string> Notes { get; } = [];

    /// <summary><c>--metrics-address ADDR:PORT</c>: where to serve Prometheus metrics at /metrics (none by default).</summary>
    public System.Net.IPEndPoint? MetricsAddress { get; private set; }

    /// <summary>Accepted keepalived options that change nothing here, for the start-up warning.</summary>
    public List<string> Ignored { get; } = [];

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var c = new CommandLine();
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            string? inline = null;
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=', StringComparison.Ordinal))
            {
                inline = a[(a.IndexOf('=', StringComparison.Ordinal) + 1)..];
                a = a[..a.IndexOf('=', StringComparison.Ordinal)];
            }

            switch (a)
            {
                case "-f":
                case "--use-file":
                    c.ConfigFile = inline ?? (i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{a} needs a file name"));
                    break;
                case "-t":
                case "--config-test":
                    c.ConfigTest = true;
                    break;
                case "-l":
                case "--log-console":
                    c.LogConsole = true;
                    break;
                case "-D":
                case "--log-detail":
                    c.LogDetail = true;
                    break;
                case "-n":
                case "--dont-fork":
                    c.DontFork = true;
                    break;
                case "-P":
                case "--vrrp":
                    // hanet-vrrpd is only ever the VRRP subsystem.
                    break;
                case "-S":
                case "--log-facility":
                    var facility = inline ?? (i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{a} needs a facility (0-7, local0-local7 or a name)"));
                    var code = SyslogNames.KeepalivedFacility(facility);
                    if (code < 0)
                    {
                        // keepalived 2.2.7 (core/main.c): prints this and keeps its default facility.
                        c.Notes.Add($"Invalid log facility '{facility}'");
                    }
                    else
                    {
                        c.LogFacility = code;
                    }

                    break;
                case "-G":
                case "--no-syslog":
                    c.NoSyslog = true;
                    break;
                case "-p":
                case "--pid":
                    c.PidFile = inline ?? (i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{a} needs a file name"));
                    break;
                case "-r":
                case "--vrrp_pid":
                    c.VrrpPidFile = inline ?? (i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{a} needs a file name"));
                    break;
                case "-c":
                case "--checkers_pid":
                    c.CheckersPidFile = inline ?? (i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{a} needs a file name"));
                    break;
                case "--metrics-address":
                    var metrics = inline ?? (i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{a} needs ADDRESS:PORT"));
                    c.MetricsAddress = System.Net.IPEndPoint.TryParse(metrics, out var ep) && ep.Port != 0 ? ep
                        : throw new ArgumentException($"{a} '{metrics}': expected ADDRESS:PORT (e.g. 127.0.0.1:9650 or [::]:9650)");
                    break;
                case "-h":
                case "--help":
                    c.Help = true;
                    break;
                case "-v":
                case "--version":
                    c.Version = true;
                    break;
                default:
                    // Combined short flags as keepalived's getopt accepts them: -lnD, -lD, ...
                    if (a.Length > 2 && a[0] == '-' && a[1] != '-' && a[1..].All(ch => "tlDnPG".Contains(ch, StringComparison.Ordinal)))
                    {
                        foreach (var ch in a[1..])
                        {
                            switch (ch)
                            {
                                case 't': c.ConfigTest = true; break;
                                case 'l': c.LogConsole = true; break;
                                case 'D': c.LogDetail = true; break;
                                case 'n': c.DontFork = true; break;
                                case 'G': c.NoSyslog = true; break;
                            }
                        }

                        break;
                    }

                    throw new ArgumentException($"unknown option '{args[i]}' (see --help)");
            }
        }

        return c;
    }

    public const string Usage = """
        Usage: hanet-vrrpd [OPTION...]
          -f, --use-file=FILE      Use the specified configuration file (default /etc/keepalived/keepalived.conf)
          -t, --config-test        Check the configuration for obvious errors, print them with file:line, and exit
                                   with keepalived's code: 0 = nothing to report, 4 = cannot be read,
                                   5 = configuration errors, 6 = scripts without enable_script_security
          -l, --log-console        Log messages to the console (hanet-vrrpd always logs to stdout; accepted for keepalived units)
          -D, --log-detail         Detailed log messages (debug level: priority-0 adverts sent, discarded adverts ...)
          -n, --dont-fork          Don't fork the daemon process (hanet-vrrpd never forks; accepted for keepalived units)
          -P, --vrrp               Only run with VRRP subsystem (the only subsystem hanet-vrrpd has)
          -S, --log-facility=N     Also log to the local syslog socket (/dev/log) with facility local0-local7 (0-7) or a name
          -G, --no-syslog          Don't log via syslog
          -p, --pid=FILE           Write the process id to FILE (keepalived's main pid file)
          -r, --vrrp_pid=FILE      Write the process id to FILE (keepalived's VRRP child pid file: hanet-vrrpd is one process)
          -c, --checkers_pid=FILE  Accepted: there is no checkers process, nothing is written
          --metrics-address=A:P    Serve Prometheus metrics at http://A:P/metrics (keepalived-exporter's names and hanet_vrrp_*)
          -v, --version            Display the version number
          -h, --help               Display this help message
          --generate-active-active Write every node's keepalived.conf for N nodes sharing M VIPs (see --generate-active-active --help)
        Signals: SIGTERM/SIGINT stop (priority-0 advert, VIPs removed, notify STOP), SIGHUP reloads the configuration,
                 SIGUSR1 writes $TMPDIR/keepalived.data, SIGUSR2 $TMPDIR/keepalived.stats (SIGRTMAX-1: and clears the counters).
        """;
}
