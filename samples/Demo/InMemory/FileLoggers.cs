using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.Demo.InMemory;

/// <summary>One log file per in-memory node (<c>dc1.log</c>, ...), timestamped lines, so the console shows only the story.</summary>
internal sealed class FileLoggers(string directory) : IAsyncDisposable
{
    private readonly ConcurrentBag<ILoggerFactory> _factories = [];

    public ILoggerFactory For(string name)
    {
        var writer = new StreamWriter(Path.Combine(directory, $"{name}.log"), append: true) { AutoFlush = true };
        var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Information).AddProvider(new Provider(TextWriter.Synchronized(writer))));
        _factories.Add(factory);
        return factory;
    }

    public ValueTask DisposeAsync()
    {
        foreach (var f in _factories)
        {
            f.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private sealed class Provider(TextWriter writer) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(writer, categoryName);

        public void Dispose() => writer.Dispose();
    }

    private sealed class Logger(TextWriter writer, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            try
            {
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel,-11} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.Message)}"));
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
