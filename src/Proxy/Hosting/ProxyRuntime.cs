using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Connections.Epoll;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Proxy.Hosting;

/// <summary>What every frontend and session shares: clock, logger, metrics, buffer size, global limit, event loops.</summary>
internal sealed partial class ProxyRuntime : IDisposable
{
    private readonly EpollLoop[]? _loops;
    private long _activeConnections;
    private uint _nextLoop;

    public ProxyRuntime(TimeProvider time, ILogger logger, ProxyMetrics metrics, ProxyOptions options)
    {
        Time = time;
        Logger = logger;
        Metrics = metrics;
        BufferSize = options.BufferSize;
        var engine = options.IoEngine;
        bool epoll = engine == ProxyIoEngine.Epoll || (engine == ProxyIoEngine.Auto && OperatingSystem.IsLinux());
        Budget = DescriptorBudget.For(options, splices: epoll);
        int maxConnections = Budget.MaxConnections;
        GlobalLimit = maxConnections > 0 ? new SemaphoreSlim(maxConnections, maxConnections) : null;
        if (epoll)
        {
            _loops = new EpollLoop[Math.Max(1, Environment.ProcessorCount)];
            for (int i = 0; i < _loops.Length; i++)
            {
                _loops[i] = new EpollLoop(i, BufferSize, e => LoopFailed(logger, e));
            }

            Pipes = new PipePool(Budget.MaxPipes, options.PipeSize);
        }
    }

    /// <summary>The connections and pipes that fit in the descriptor limit (HAProxy's <c>maxconn</c> and
    /// <c>maxpipes</c>, derived from <c>ulimit -n</c> when not configured).</summary>
    public DescriptorBudget Budget { get; }

    /// <summary>The splice path's pipes (epoll engine only).</summary>
    public PipePool? Pipes { get; }

    /// <summary>The event loop for a new connection (round-robin); <see langword="null"/> with the sockets engine.</summary>
    public EpollLoop? NextLoop() => _loops is null ? null
        : _loops.Length == 1 ? _loops[0]
        : _loops[(int)(Interlocked.Increment(ref _nextLoop) % (uint)_loops.Length)];

    private readonly System.Collections.Concurrent.ConcurrentQueue<Listening.Frontend> _pausedListeners = new();

    /// <summary>Remembers a listener that stopped accepting at maxconn (epoll engine).</summary>
    public void PauseListener(Listening.Frontend frontend) => _pausedListeners.Enqueue(frontend);

    /// <summary>A connection ended: listeners stopped at maxconn may accept again.</summary>
    public void ResumePausedListeners()
    {
        while (_pausedListeners.TryDequeue(out var frontend))
        {
            frontend.Resume();
        }
    }

    /// <summary>Stops the event loops; call once no connection is left.</summary>
    public void Dispose()
    {
        foreach (var loop in _loops ?? [])
        {
            loop.Dispose();
        }

        Pipes?.Dispose();
    }

    [LoggerMessage(EventId = 3040, EventName = "EventLoopFailed", Level = LogLevel.Error, Message = "Event loop: unexpected failure")]
    private static partial void LoopFailed(ILogger logger, Exception exception);

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
