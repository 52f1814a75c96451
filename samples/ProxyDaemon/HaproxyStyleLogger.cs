using Ha.Net.Samples.Shared.Syslog;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.ProxyDaemon;

/// <summary>
/// Writes log lines to stdout the way HAProxy writes its start-up and runtime messages to stderr/syslog:
/// <c>[NOTICE]   (1234) : message</c>, <c>[WARNING]  (1234) : ...</c>, <c>[ALERT]    (1234) : ...</c>.
/// Per-connection tcplog lines (event 3001) are written as syslog would: <c>hanet-proxyd[1234]: line</c>.
/// With <c>log</c> targets in the configuration every line also goes to syslog, as HAProxy sends it: connection lines
/// at <c>info</c> to their frontend's targets (HAProxy's tcplog line exactly), process messages to the global targets
/// at <c>alert</c> ([ALERT]), <c>warning</c> or <c>notice</c>, tagged <c>haproxy[pid]</c> so that existing rsyslog
/// rules (<c>$programname == 'haproxy'</c>, <c>local2.=info</c>) keep matching.
/// </summary>
internal sealed class HaproxyStyleLoggerProvider(TextWriter output, LogLevel minimum, SyslogWriter? syslog = null) : ILoggerProvider
{
    private readonly Lock _gate = new();
    private readonly int _pid = Environment.ProcessId;
    private readonly LogLevel _minimum = minimum;
    private volatile LogRouting _routing = LogRouting.None;

    /// <summary>The syslog targets in force (replaced on reload).</summary>
    public LogRouting Routing
    {
        get => _routing;
        set => _routing = value;
    }

    /// <summary>The syslog writer, if any target was configured at start.</summary>
    public SyslogWriter? Syslog => syslog;

    private const int SeverityAlert = 1;
    private const int SeverityWarning = 4;
    private const int SeverityNotice = 5;
    private const int SeverityInfo = 6;
    private const int SeverityDebug = 7;

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    /// <summary>A line for stdout only (the syslog writer's own drop reports must not go back into syslog).</summary>
    public void WriteStdout(LogLevel level, string message)
    {
        lock (_gate)
        {
            output.WriteLine($"{Tag(level)}({_pid}) : {message}");
            output.Flush();
        }
    }

    private static string Tag(LogLevel level) => level switch
    {
        >= LogLevel.Error => "[ALERT]    ",
        LogLevel.Warning => "[WARNING]  ",
        _ => "[NOTICE]   ",
    };

    public void Write(LogLevel level, string message)
    {
        if (level < _minimum)
        {
            return;
        }

        lock (_gate)
        {
            output.WriteLine($"{Tag(level)}({_pid}) : {message}");
            output.Flush();
        }

        if (syslog is not null && _routing.Process is { Count: > 0 } targets)
        {
            var severity = level switch
            {
                >= LogLevel.Error => SeverityAlert,
                LogLevel.Warning => SeverityWarning,
                LogLevel.Information => SeverityNotice,
                _ => SeverityDebug,
            };
            syslog.Write(severity, message, targets);
        }
    }

    private void WriteTraffic(string message, string? frontend)
    {
        lock (_gate)
        {
            output.WriteLine($"hanet-proxyd[{_pid}]: {message}");
            output.Flush();
        }

        if (syslog is not null && frontend is not null && _routing.Frontends.TryGetValue(frontend, out var targets) && targets.Count > 0)
        {
            syslog.Write(SeverityInfo, message, targets); // Ha.Net.Proxy's tcplog event text is HAProxy's line
        }
    }

    private static string? StateValue<TState>(TState state, string key)
    {
        if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            for (var i = 0; i < values.Count; i++)
            {
                if (values[i].Key == key)
                {
                    return values[i].Value as string;
                }
            }
        }

        return null;
    }

    private sealed class Logger(HaproxyStyleLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var message = formatter(state, exception);
            if (exception is not null)
            {
                message += $" ({exception.GetType().Name}: {exception.Message})";
            }

            if (eventId.Id == 3001)
            {
                owner.WriteTraffic(message, StateValue(state, "Frontend"));
            }
            else
            {
                owner.Write(logLevel, message);
            }
        }
    }
}

/// <summary>A logger factory over the one provider (no Microsoft.Extensions.Logging dependency, fast start-up).</summary>
internal sealed class SingleProviderLoggerFactory(ILoggerProvider provider) : ILoggerFactory
{
    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("hanet-proxyd logs to stdout only.");

    public ILogger CreateLogger(string categoryName) => provider.CreateLogger(categoryName);

    public void Dispose()
    {
    }
}
