using System.Diagnostics.Metrics;

namespace Ha.Net.Proxy.Hosting;

/// <summary>
/// The proxy's instruments, on the meter <see cref="ProxyNames.MeterName"/>, named like Kestrel's
/// (<c>kestrel.active_connections</c>, <c>kestrel.connection.duration</c>, <c>kestrel.queued_connections</c>,
/// <c>kestrel.rejected_connections</c>). Byte totals are observable counters read from the stats
/// counters, so the data path pays nothing for them.
/// </summary>
internal sealed class ProxyMetrics : IDisposable
{
    public const string ActiveConnectionsName = "hanet.proxy.active_connections";
    public const string ConnectionDurationName = "hanet.proxy.connection.duration";
    public const string QueuedConnectionsName = "hanet.proxy.queued_connections";
    public const string RejectedConnectionsName = "hanet.proxy.rejected_connections";
    public const string ConnectErrorsName = "hanet.proxy.connect.errors";
    public const string IoName = "hanet.proxy.io";
    public const string SplicedName = "hanet.proxy.io.spliced";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly UpDownCounter<long> _active;
    private readonly Histogram<double> _duration;
    private readonly UpDownCounter<long> _queued;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _connectErrors;

    public ProxyMetrics(IMeterFactory? meterFactory, Func<IEnumerable<Measurement<long>>> io, Func<IEnumerable<Measurement<long>>>? spliced = null)
    {
        if (meterFactory is null)
        {
            _meter = new Meter(ProxyNames.MeterName);
            _ownsMeter = true;
        }
        else
        {
            _meter = meterFactory.Create(ProxyNames.MeterName);
        }

        _active = _meter.CreateUpDownCounter<long>(ActiveConnectionsName, "{connection}", "Connections currently open on a frontend.");
        _duration = _meter.CreateHistogram<double>(ConnectionDurationName, "s", "How long proxied connections lasted.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 3600] });
        _queued = _meter.CreateUpDownCounter<long>(QueuedConnectionsName, "{connection}", "Connections waiting for a server slot.");
        _rejected = _meter.CreateCounter<long>(RejectedConnectionsName, "{connection}", "Connections refused: no usable server, or the queue is full.");
        _connectErrors = _meter.CreateCounter<long>(ConnectErrorsName, "{error}", "Failed connection attempts to servers.");
        _meter.CreateObservableCounter(IoName, io, "By", "Bytes forwarded (network.io.direction: receive = client to server, transmit = server to client).");
        if (spliced is not null)
        {
            _meter.CreateObservableCounter(SplicedName, spliced, "By", "Of the bytes forwarded, those moved with splice(2) through a kernel pipe rather than copied (both directions).");
        }
    }

    public void ConnectionOpened(string frontend)
    {
        if (_active.Enabled)
        {
            _active.Add(1, new KeyValuePair<string, object?>("hanet.proxy.frontend", frontend));
        }
    }

    public void ConnectionClosed(string frontend, string backend, string terminationState, double seconds)
    {
        if (_active.Enabled)
        {
            _active.Add(-1, new KeyValuePair<string, object?>("hanet.proxy.frontend", frontend));
        }

        if (_duration.Enabled)
        {
            _duration.Record(seconds,
                new KeyValuePair<string, object?>("hanet.proxy.frontend", frontend),
                new KeyValuePair<string, object?>("hanet.proxy.backend", backend),
                new KeyValuePair<string, object?>("hanet.proxy.termination_state", terminationState));
        }
    }

    public void Queued(string backend, int delta)
    {
        if (_queued.Enabled)
        {
            _queued.Add(delta, new KeyValuePair<string, object?>("hanet.proxy.backend", backend));
        }
    }

    public void Rejected(string frontend, string backend, string reason)
    {
        if (_rejected.Enabled)
        {
            _rejected.Add(1,
                new KeyValuePair<string, object?>("hanet.proxy.frontend", frontend),
                new KeyValuePair<string, object?>("hanet.proxy.backend", backend),
                new KeyValuePair<string, object?>("error.type", reason));
        }
    }

    public void ConnectError(string backend, string server, string reason)
    {
        if (_connectErrors.Enabled)
        {
            _connectErrors.Add(1,
                new KeyValuePair<string, object?>("hanet.proxy.backend", backend),
                new KeyValuePair<string, object?>("hanet.proxy.server", server),
                new KeyValuePair<string, object?>("error.type", reason));
        }
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
