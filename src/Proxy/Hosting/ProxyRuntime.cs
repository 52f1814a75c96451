using Microsoft.Extensions.Logging;

namespace Ha.Net.Proxy.Hosting;

/// <summary>What every frontend and session shares: clock, logger, metrics, buffer size, global limit.</summary>
internal sealed class ProxyRuntime
{
    private long _activeConnections;

    public ProxyRuntime(TimeProvider time, ILogger logger, ProxyMetrics metrics, int bufferSize, int maxConnections)
    {
        Time = time;
        Logger = logger;
        Metrics = metrics;
        BufferSize = bufferSize;
        GlobalLimit = maxConnections > 0 ? new SemaphoreSlim(maxConnections, maxConnections) : null;
    }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    public ProxyMetrics Metrics { get; }

    public int BufferSize { get; }

    /// <summary>HAProxy's global <c>maxconn</c>; <see langword="null"/> when unlimited.</summary>
    public SemaphoreSlim? GlobalLimit { get; }

    public long ActiveConnections => Volatile.Read(ref _activeConnections);

    public long MaxActiveConnections;

    public void ConnectionOpened()
    {
        long current = Interlocked.Increment(ref _activeConnections);
        Stats.ProxyCounters.UpdateMax(ref MaxActiveConnections, current);
    }

    public void ConnectionClosed() => Interlocked.Decrement(ref _activeConnections);
}
