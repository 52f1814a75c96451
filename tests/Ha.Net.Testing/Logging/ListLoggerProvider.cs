using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Testing.Logging;

/// <summary>Collects log entries in memory: level, event id, the formatted line (tests assert
/// operator-facing wording) and the structured properties.</summary>
public sealed class ListLoggerProvider : ILoggerProvider, ILoggerFactory
{
    public ConcurrentQueue<(LogLevel Level, EventId Id, string Message, IReadOnlyList<KeyValuePair<string, object?>> State)> Entries { get; } = new();

    public IEnumerable<string> Messages => Entries.Select(e => e.Message);

    public ILogger CreateLogger(string categoryName) => new ListLogger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class ListLogger(ListLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            owner.Entries.Enqueue((logLevel, eventId, message, state as IReadOnlyList<KeyValuePair<string, object?>> ?? []));
            Environment.SuiteOutputLog.Append("log", exception is null ? message : message + " " + exception);
        }
    }
}
