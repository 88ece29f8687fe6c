using System.Collections.Concurrent;

namespace DataClauses.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// Every log line a host writes, formatted as a console logger would (category, message, exception), kept in memory
/// so that tests can assert what never reaches a log: secrets, tokens, forged lines.
/// </summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    /// <summary>The lines so far.</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    /// <summary>Adds this capture to a host's logging, under the host's own filters (what its console would show).</summary>
    public void AddTo(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.AddProvider(this);
    }

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel}: {category}[{eventId.Id}] {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception)}");
    }
}
