using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Vrrp.Hosting;

/// <summary>The instruments shared by the virtual routers of one meter.</summary>
internal sealed class VrrpMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly ConcurrentDictionary<VirtualRouterHost, byte> _routers = new();

    public VrrpMetrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(VrrpMetricNames.MeterName) ?? new Meter(VrrpMetricNames.MeterName);
        Sent = _meter.CreateCounter<long>(VrrpMetricNames.AdvertisementsSent, "{advertisement}", "VRRP advertisements sent");
        Received = _meter.CreateCounter<long>(VrrpMetricNames.AdvertisementsReceived, "{advertisement}", "VRRP advertisements accepted");
        Dropped = _meter.CreateCounter<long>(VrrpMetricNames.AdvertisementsDropped, "{message}", "VRRP messages dropped, by reason");
        Transitions = _meter.CreateCounter<long>(VrrpMetricNames.Transitions, "{transition}", "VRRP state transitions");
        Errors = _meter.CreateCounter<long>(VrrpMetricNames.Errors, "{error}", "Failed sends, address changes and announcements");
        Announcements = _meter.CreateCounter<long>(VrrpMetricNames.AnnouncementsSent, "{frame}", "Gratuitous ARP / unsolicited NA frames sent");
        TimerLateness = _meter.CreateHistogram<double>(
            VrrpMetricNames.TimerLateness,
            "s",
            "How late the VRRP loop woke for a deadline (advert, master down, GARP), from the deadline to the wake-up",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] });
        _meter.CreateObservableGauge(VrrpMetricNames.State, () => Observe(r => (int)r.State), description: "VRRP state: 0 Initialize, 1 Backup, 2 Master, 3 Fault");
        _meter.CreateObservableGauge(VrrpMetricNames.EffectivePriority, () => Observe(r => r.EffectivePriority), description: "VRRP effective priority");
    }

    public Counter<long> Sent { get; }
    public Counter<long> Received { get; }
    public Counter<long> Dropped { get; }
    public Counter<long> Transitions { get; }
    public Counter<long> Errors { get; }
    public Counter<long> Announcements { get; }
    public Histogram<double> TimerLateness { get; }

    public void Register(VirtualRouterHost router) => _routers.TryAdd(router, 0);

    public void Unregister(VirtualRouterHost router) => _routers.TryRemove(router, out _);

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private IEnumerable<Measurement<int>> Observe(Func<VirtualRouterHost, int> value)
    {
        foreach (var router in _routers.Keys)
        {
            yield return new Measurement<int>(value(router), new KeyValuePair<string, object?>(VrrpMetricNames.InstanceTag, router.InstanceName));
        }
    }

    public static string ReasonName(VrrpDropReason reason) => ReasonNames[(int)reason];

    private static readonly string[] ReasonNames = Enum.GetValues<VrrpDropReason>().Select(r => r.ToString()).ToArray();
}
