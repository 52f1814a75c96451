using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Proxy.Tests.Functional;

/// <summary>A logger factory that keeps every entry: event id, formatted message and structured state.</summary>
internal sealed class ListLoggerProvider : ILoggerProvider, ILoggerFactory
{
    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public ConcurrentQueue<(EventId Id, string Message, IReadOnlyList<KeyValuePair<string, object?>> State)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new ListLogger(this);

    public void Dispose()
    {
    }

    private sealed class ListLogger(ListLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((eventId, formatter(state, exception), state as IReadOnlyList<KeyValuePair<string, object?>> ?? []));
    }
}
