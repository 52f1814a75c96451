namespace Ha.Net.Proxy.Stats;

/// <summary>
/// The counters of one frontend, backend or server, the columns of HAProxy's <c>show stat</c>.
/// Updated lock-free; the objects outlive configuration reloads (matched by name).
/// </summary>
internal sealed class ProxyCounters
{
    private const int AverageWindow = 1024;

    public long CurrentSessions;
    public long MaxSessions;
    public long TotalSessions;
    public long BytesIn;
    public long BytesOut;

    /// <summary>Of <see cref="BytesIn"/> and <see cref="BytesOut"/>, the bytes moved with splice(2) rather than copied.</summary>
    public long BytesSpliced;
    public long DeniedConnections;
    public long ConnectErrors;
    public long Retries;
    public long Redispatches;
    public long QueueCurrent;
    public long QueueMax;
    public long ClientAborts;
    public long ServerAborts;

    /// <summary>Connection attempts to servers, retries included (<c>connect</c>).</summary>
    public long ConnectAttempts;

    /// <summary>The longest queue, connect and total times of an ended session, in ms (<c>qtime_max</c>,
    /// <c>ctime_max</c>, <c>ttime_max</c>).</summary>
    public long QueueTimeMax;

    /// <summary>See <see cref="QueueTimeMax"/>.</summary>
    public long ConnectTimeMax;

    /// <summary>See <see cref="QueueTimeMax"/>.</summary>
    public long TotalTimeMax;
    public long LastSessionTimestamp;

    /// <summary>New sessions per second (<c>rate</c>, <c>rate_max</c>).</summary>
    public SessionRate Rate { get; } = new();

    /// <summary>A frontend's accepted connections (<c>conn_tot</c>).</summary>
    public long TotalConnections;

    /// <summary>A frontend's new connections per second (<c>conn_rate</c>, <c>conn_rate_max</c>).</summary>
    public SessionRate ConnectionRate { get; } = new();

    // HAProxy's "swrate" sliding averages over the last 1024 sessions, in milliseconds × window.
    private long _queueTimeSum;
    private long _connectTimeSum;
    private long _totalTimeSum;

    private long _endedSessions;

    // As HAProxy's swrate_avg: the window is the number of samples until it reaches 1024.
    private long Window => Math.Clamp(Volatile.Read(ref _endedSessions), 1, AverageWindow);

    public long AverageQueueTimeMs => Volatile.Read(ref _queueTimeSum) / Window;

    public long AverageConnectTimeMs => Volatile.Read(ref _connectTimeSum) / Window;

    public long AverageTotalTimeMs => Volatile.Read(ref _totalTimeSum) / Window;

    /// <summary>Counts a session that starts at <paramref name="timestamp"/> (of <paramref name="time"/>).</summary>
    public long SessionStarted(long timestamp, TimeProvider time)
    {
        long current = Opened();
        SessionCounted(timestamp, time);
        return current;
    }

    /// <summary>A frontend's accepted connection (<c>scur</c>, <c>smax</c>, <c>conn_tot</c>,
    /// <c>conn_rate</c>). It counts as a session (<see cref="SessionCounted"/>) at once, or, behind
    /// <c>accept-proxy</c>, once its PROXY header is read, as in HAProxy.</summary>
    public void ConnectionAccepted(long timestamp, TimeProvider time)
    {
        Opened();
        Interlocked.Increment(ref TotalConnections);
        ConnectionRate.Add(Milliseconds(timestamp, time));
    }

    /// <summary>One more current session (<c>scur</c>, and <c>smax</c> when it is a new high); returns the count.</summary>
    private long Opened()
    {
        long current = Interlocked.Increment(ref CurrentSessions);
        UpdateMax(ref MaxSessions, current);
        return current;
    }

    /// <summary>Counts a new session in <c>stot</c>, <c>rate</c> and <c>lastsess</c>.</summary>
    public void SessionCounted(long timestamp, TimeProvider time)
    {
        Interlocked.Increment(ref TotalSessions);
        Volatile.Write(ref LastSessionTimestamp, timestamp);
        Rate.Add(Milliseconds(timestamp, time));
    }

    /// <summary>A timestamp of <paramref name="time"/> in milliseconds, the unit <see cref="SessionRate"/> counts in.</summary>
    public static long Milliseconds(long timestamp, TimeProvider time) =>
        (long)(timestamp * (1000.0 / time.TimestampFrequency));

    public void SessionEnded(long queueMs, long connectMs, long totalMs)
    {
        Interlocked.Decrement(ref CurrentSessions);
        Interlocked.Increment(ref _endedSessions);
        AddSample(ref _queueTimeSum, queueMs);
        AddSample(ref _connectTimeSum, connectMs);
        AddSample(ref _totalTimeSum, totalMs);
        UpdateMax(ref QueueTimeMax, queueMs);
        UpdateMax(ref ConnectTimeMax, connectMs);
        UpdateMax(ref TotalTimeMax, totalMs);
    }

    public void Enqueued()
    {
        long current = Interlocked.Increment(ref QueueCurrent);
        UpdateMax(ref QueueMax, current);
    }

    public void Dequeued() => Interlocked.Decrement(ref QueueCurrent);

    /// <summary>Resets the maxima (HAProxy <c>clear counters</c>).</summary>
    public void ClearMaxima()
    {
        Volatile.Write(ref MaxSessions, Volatile.Read(ref CurrentSessions));
        Volatile.Write(ref QueueMax, Volatile.Read(ref QueueCurrent));
        Rate.ClearMax();
    }

    internal static void UpdateMax(ref long max, long value)
    {
        long seen = Volatile.Read(ref max);
        while (value > seen)
        {
            long previous = Interlocked.CompareExchange(ref max, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    private static void AddSample(ref long sum, long value)
    {
        long seen = Volatile.Read(ref sum);
        while (true)
        {
            long next = seen + value - (seen / AverageWindow);
            long previous = Interlocked.CompareExchange(ref sum, next, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }
}
