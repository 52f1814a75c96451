using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.VrrpDaemon;

/// <summary>
/// Writes log lines as keepalived does with <c>--log-console</c>: <c>Sun Nov 22 01:30:00 2026: (VI_1) Entering MASTER STATE</c>,
/// no category and no level prefix, so existing grep patterns and log shippers keep working. Errors and warnings go to
/// the same stream (stdout), as keepalived's console log does; under systemd the journal collects it.
/// </summary>
internal sealed class KeepalivedLogProvider(TextWriter output) : ILoggerProvider
{
    private readonly object _gate = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
        lock (_gate)
        {
            output.Flush();
        }
    }

    private void Write(string message, Exception? exception)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:ddd MMM d HH:mm:ss yyyy}: {message}");
        lock (_gate)
        {
            output.WriteLine(line);
            if (exception is not null)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:ddd MMM d HH:mm:ss yyyy}:   {exception.GetType().Name}: {exception.Message}"));
            }

            output.Flush();
        }
    }

    private sealed class Logger(KeepalivedLogProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(formatter(state, exception), exception);
            }
        }
    }
}
