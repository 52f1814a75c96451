using System.Diagnostics.Metrics;

namespace Ha.Net.Vrrp.Linux;

/// <summary>
/// The counters of this package, on the meter <see cref="LinuxVrrpNames.MeterName"/>: packets sent,
/// received and dropped by the transport (with the drop reason), announcements sent, and virtual
/// addresses removed behind our back.
/// </summary>
internal sealed class LinuxVrrpMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    public LinuxVrrpMetrics(IMeterFactory? meterFactory = null)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(LinuxVrrpNames.MeterName) ?? new Meter(LinuxVrrpNames.MeterName);
        Sent = _meter.CreateCounter<long>("hanet.vrrp.transport.sent", "{packet}", "VRRP packets sent.");
        Received = _meter.CreateCounter<long>("hanet.vrrp.transport.received", "{packet}", "VRRP packets received and handed to the engine.");
        Dropped = _meter.CreateCounter<long>("hanet.vrrp.transport.dropped", "{packet}", "VRRP packets dropped by the transport, by reason.");
        Announcements = _meter.CreateCounter<long>("hanet.vrrp.announcements", "{packet}", "Gratuitous ARPs and unsolicited neighbour advertisements sent.");
        ExternalRemovals = _meter.CreateCounter<long>("hanet.vrrp.addresses.removed_externally", "{address}", "Bound virtual addresses deleted by something else.");
    }

    public static LinuxVrrpMetrics Shared { get; } = new();

    public Counter<long> Sent { get; }

    public Counter<long> Received { get; }

    public Counter<long> Dropped { get; }

    public Counter<long> Announcements { get; }

    public Counter<long> ExternalRemovals { get; }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
