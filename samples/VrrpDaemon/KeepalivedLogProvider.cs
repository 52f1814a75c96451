using System.Globalization;
using Ha.Net.Samples.Shared.Syslog;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.VrrpDaemon;

/// <summary>
/// Writes log lines as keepalived does with <c>--log-console</c>: <c>Sun Nov 22 01:30:00 2026: (VI_1) Entering MASTER STATE</c>,
/// no category and no level prefix, so existing grep patterns and log shippers keep working. Errors and warnings go to
/// the same stream (stdout), as keepalived's console log does; under systemd the journal collects it. With <c>-S</c>
/// every line also goes to the local syslog socket as keepalived's VRRP process sends it: ident
/// <c>Keepalived_vrrp[pid]</c>, the <c>-S</c> facility, keepalived's severities (info, warning, err, debug).
/// </summary>
internal sealed class KeepalivedLogProvider(TextWriter output, SyslogWriter? syslog = null, SyslogTarget? target = null) : ILoggerProvider
{
    private readonly object _gate = new();
    private readonly SyslogTarget[] _targets = target is null ? [] : [target];

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
        lock (_gate)
        {
            output.Flush();
        }
    }

    private void Write(LogLevel level, string message, Exception? exception)
    {
        if (syslog is not null && _targets.Length > 0)
        {
            var severity = level switch
            {
                LogLevel.Critical => 2,
                LogLevel.Error => 3,
                LogLevel.Warning => 4,
                LogLevel.Information => 6,
                _ => 7,
            };
            syslog.Write(severity, exception is null ? message : $"{message} ({exception.GetType().Name}: {exception.Message})", _targets);
        }

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
                provider.Write(logLevel, formatter(state, exception), exception);
            }
        }
    }
}
