using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.ProxyDaemon;

/// <summary>
/// Writes log lines to stdout the way HAProxy writes its start-up and runtime messages to stderr/syslog:
/// <c>[NOTICE]   (1234) : message</c>, <c>[WARNING]  (1234) : ...</c>, <c>[ALERT]    (1234) : ...</c>.
/// Per-connection tcplog lines (event 3001) are written as syslog would: <c>hanet-proxyd[1234]: line</c>.
/// </summary>
internal sealed class HaproxyStyleLoggerProvider(TextWriter output, LogLevel minimum) : ILoggerProvider
{
    private readonly Lock _gate = new();
    private readonly int _pid = Environment.ProcessId;
    private readonly LogLevel _minimum = minimum;

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    public void Write(LogLevel level, string message)
    {
        if (level < _minimum)
        {
            return;
        }

        var tag = level switch
        {
            >= LogLevel.Error => "[ALERT]    ",
            LogLevel.Warning => "[WARNING]  ",
            _ => "[NOTICE]   ",
        };
        lock (_gate)
        {
            output.WriteLine($"{tag}({_pid}) : {message}");
            output.Flush();
        }
    }

    private void WriteTraffic(string message)
    {
        lock (_gate)
        {
            output.WriteLine($"hanet-proxyd[{_pid}]: {message}");
            output.Flush();
        }
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
                owner.WriteTraffic(message);
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
