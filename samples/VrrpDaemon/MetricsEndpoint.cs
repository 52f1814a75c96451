using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Hosting;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.VrrpDaemon;

/// <summary>What the metrics endpoint shows of one running instance.</summary>
internal sealed record InstanceStatus(string Name, string Interface, int VirtualRouterId, IReadOnlyList<IPAddress> Addresses, VirtualRouterState State, int Priority, int EffectivePriority);

/// <summary>
/// The counters Ha.Net.Vrrp publishes through System.Diagnostics.Metrics (meter <c>Ha.Net.Vrrp</c>), summed per
/// instance from a <see cref="MeterListener"/>: adverts sent and accepted, drops by reason, transitions by the state
/// entered (and master releases, counted from the order of transitions), failed operations, gratuitous announcements.
/// </summary>
internal sealed class VrrpCounters : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Instrument, string Instance, string Tag), long> _counts = [];
    private readonly Dictionary<string, string> _lastState = new(StringComparer.Ordinal);

    public VrrpCounters()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == VrrpMetricNames.MeterName && instrument is Counter<long>)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>The count of <paramref name="instrument"/> for an instance and tag value (<c>""</c> for untagged).</summary>
    public long Get(string instrument, string instance, string tag = "")
    {
        lock (_lock)
        {
            return _counts.GetValueOrDefault((instrument, instance, tag));
        }
    }

    /// <summary>Every tag value counted for <paramref name="instrument"/> and an instance, with its count.</summary>
    public IReadOnlyList<(string Tag, long Count)> ByTag(string instrument, string instance)
    {
        lock (_lock)
        {
            return [.. _counts.Where(kv => kv.Key.Instrument == instrument && kv.Key.Instance == instance)
                              .Select(kv => (kv.Key.Tag, kv.Value))
                              .OrderBy(t => t.Tag, StringComparer.Ordinal)];
        }
    }

    /// <summary>The name under which master releases are counted (transitions from Master to another state).</summary>
    public const string ReleaseMaster = "hanet.release_master";

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? instance = null;
        var tag = "";
        foreach (var t in tags)
        {
            if (t.Key == VrrpMetricNames.InstanceTag)
            {
                instance = t.Value as string;
            }
            else if (t.Key is VrrpMetricNames.DropReasonTag or VrrpMetricNames.StateTag or VrrpMetricNames.OperationTag)
            {
                tag = t.Value as string ?? "";
            }
        }

        if (instance is null)
        {
            return;
        }

        lock (_lock)
        {
            var key = (instrument.Name, instance, tag);
            _counts[key] = _counts.GetValueOrDefault(key) + value;
            if (instrument.Name == VrrpMetricNames.Transitions)
            {
                if (_lastState.TryGetValue(instance, out var last) && last == nameof(VirtualRouterState.Master) && tag != last)
                {
                    var release = (ReleaseMaster, instance, "");
                    _counts[release] = _counts.GetValueOrDefault(release) + value;
                }

                _lastState[instance] = tag;
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}

/// <summary>
/// <c>hanet-vrrpd --metrics-address ADDR:PORT</c>: VRRP metrics for Prometheus at <c>/metrics</c>, in the text exposition
/// format 0.0.4 written directly (no exporter library: the names must be the ones keepalived users already scrape, and
/// the daemon stays trimming- and Native-AOT-clean). keepalived has no exporter; its users run
/// mehdy/keepalived-exporter, which signals keepalived for its data and stats files and publishes
/// <c>keepalived_vrrp_state</c> and <c>keepalived_*_total</c> with the labels <c>iname</c>, <c>intf</c>, <c>vrid</c>
/// (and <c>state</c> or <c>ip_address</c>). The same names and labels are written here, for the counters Ha.Net keeps,
/// so those dashboards keep working; what that exporter cannot show (every drop reason, transitions by state, the
/// effective priority, failed operations) is under <c>hanet_vrrp_*</c>.
/// </summary>
internal sealed partial class MetricsEndpoint : IAsyncDisposable
{
    private const int MaxHead = 8 * 1024;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);
    private readonly Socket _listener;
    private readonly Func<IReadOnlyList<InstanceStatus>> _instances;
    private readonly VrrpCounters _counters;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public MetricsEndpoint(IPEndPoint endPoint, Func<IReadOnlyList<InstanceStatus>> instances, VrrpCounters counters, ILogger log)
    {
        _instances = instances;
        _counters = counters;
        _log = log;
        _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                _listener.DualMode = true;
            }

            _listener.Bind(endPoint);
            _listener.Listen(64);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }
    }

    public EndPoint LocalEndPoint => _listener.LocalEndPoint!;

    public void Start() => _loop = AcceptLoopAsync();

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                LogAcceptFailed(_log, ex.Message);
                continue;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(RequestTimeout);
        await using var stream = new NetworkStream(client, ownsSocket: true);
        try
        {
            var buffer = new byte[MaxHead];
            var filled = 0;
            while (buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8) < 0)
            {
                if (filled == buffer.Length)
                {
                    await stream.WriteAsync(Response(431, "Request Header Fields Too Large", "text/plain", "request header too large\n"), timeout.Token);
                    return;
                }

                var n = await stream.ReadAsync(buffer.AsMemory(filled), timeout.Token);
                if (n == 0)
                {
                    return;
                }

                filled += n;
            }

            var requestLine = Encoding.ASCII.GetString(buffer, 0, buffer.AsSpan(0, filled).IndexOf("\r\n"u8)).Split(' ');
            var response = requestLine.Length != 3 ? Response(400, "Bad Request", "text/plain", "bad request\n")
                : requestLine[0] is not ("GET" or "HEAD") ? Response(405, "Method Not Allowed", "text/plain", "only GET and HEAD\n")
                : Path(requestLine[1]) != "/metrics" ? Response(404, "Not Found", "text/plain", "metrics are at /metrics\n")
                : Response(200, "OK", "text/plain; version=0.0.4; charset=utf-8", Render(_instances(), _counters), requestLine[0] == "HEAD");
            await stream.WriteAsync(response, timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
        {
            // Client gone or too slow.
        }
    }

    private static string Path(string target) => target.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? target[..q] : target;

    private static byte[] Response(int code, string reason, string contentType, string body, bool headOnly = false)
    {
        var content = Encoding.UTF8.GetBytes(body);
        var head = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {code} {reason}\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: {contentType}\r\nContent-Length: {content.Length}\r\n\r\n");
        return headOnly ? head : [.. head, .. content];
    }

    // keepalived's state numbers (vrrp.h VRRP_STATE_*), as keepalived-exporter publishes them.
    private static int KeepalivedState(VirtualRouterState s) => s switch
    {
        VirtualRouterState.Backup => 1,
        VirtualRouterState.Master => 2,
        VirtualRouterState.Fault => 3,
        _ => 0,
    };

    private static string KeepalivedStateName(VirtualRouterState s) => s switch
    {
        VirtualRouterState.Backup => "BACKUP",
        VirtualRouterState.Master => "MASTER",
        VirtualRouterState.Fault => "FAULT",
        _ => "INIT",
    };

    // keepalived.stats counters (vrrp_print_stats) fed by Ha.Net's drop reasons; keepalived-exporter's metric names.
    private static readonly (string Metric, string Help, string[] Reasons)[] KeepalivedDropCounters =
    [
        ("keepalived_packet_length_errors_total", "Packet length errors", ["TooShort", "LengthMismatch"]),
        ("keepalived_advertisements_interval_errors_total", "Advertisement interval errors", ["IntervalMismatch", "InvalidInterval"]),
        ("keepalived_ip_ttl_errors_total", "TTL errors", ["InvalidTimeToLive"]),
        ("keepalived_invalid_type_received_total", "Invalid type errors", ["UnknownType"]),
        ("keepalived_address_list_errors_total", "Address list errors", ["AddressListMismatch"]),
        ("keepalived_authentication_mismatch_total", "Authentication mismatch", ["AuthenticationTypeMismatch"]),
        ("keepalived_authentication_failure_total", "Authentication failure", ["AuthenticationFailure"]),
    ];

    /// <summary>The exposition text for the running instances.</summary>
    internal static string Render(IReadOnlyList<InstanceStatus> instances, VrrpCounters counters)
    {
        var sb = new StringBuilder(4096);
        Header(sb, "keepalived_up", "Status", "gauge");
        sb.Append("keepalived_up 1\n");

        Header(sb, "keepalived_vrrp_state", "State of vrrp", "gauge");
        foreach (var i in instances)
        {
            foreach (var address in i.Addresses.Count > 0 ? i.Addresses.Select(a => a.ToString()) : [""])
            {
                sb.Append("keepalived_vrrp_state{iname=\"").Append(Escape(i.Name)).Append("\",intf=\"").Append(Escape(i.Interface))
                  .Append("\",vrid=\"").Append(i.VirtualRouterId.ToString(CultureInfo.InvariantCulture)).Append("\",ip_address=\"").Append(address)
                  .Append("\"} ").Append(KeepalivedState(i.State).ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        void Counter(string metric, string help, Func<InstanceStatus, long> value)
        {
            Header(sb, metric, help, "counter");
            foreach (var i in instances)
            {
                sb.Append(metric);
                CommonLabels(sb, i);
                sb.Append(' ').Append(value(i).ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        Counter("keepalived_advertisements_received_total", "Advertisements received", i => counters.Get(VrrpMetricNames.AdvertisementsReceived, i.Name));
        Counter("keepalived_advertisements_sent_total", "Advertisements sent", i => counters.Get(VrrpMetricNames.AdvertisementsSent, i.Name));
        Counter("keepalived_become_master_total", "Became master", i => counters.Get(VrrpMetricNames.Transitions, i.Name, nameof(VirtualRouterState.Master)));
        Counter("keepalived_release_master_total", "Released master", i => counters.Get(VrrpCounters.ReleaseMaster, i.Name));
        foreach (var (metric, help, reasons) in KeepalivedDropCounters)
        {
            Counter(metric, help, i => reasons.Sum(r => counters.Get(VrrpMetricNames.AdvertisementsDropped, i.Name, r)));
        }

        Header(sb, "hanet_vrrp_priority", "Configured priority of the instance (keepalived 'priority')", "gauge");
        foreach (var i in instances)
        {
            sb.Append("hanet_vrrp_priority");
            InstanceLabels(sb, i);
            sb.Append(' ').Append(i.Priority.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        Header(sb, "hanet_vrrp_effective_priority", "Priority advertised now: the configured one adjusted by tracked scripts and interfaces", "gauge");
        foreach (var i in instances)
        {
            sb.Append("hanet_vrrp_effective_priority");
            InstanceLabels(sb, i);
            sb.Append(' ').Append(i.EffectivePriority.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        Header(sb, "hanet_vrrp_state", "Current state, one series per state label with 1 for the current one", "gauge");
        foreach (var i in instances)
        {
            foreach (var s in new[] { VirtualRouterState.Initialize, VirtualRouterState.Backup, VirtualRouterState.Master, VirtualRouterState.Fault })
            {
                sb.Append("hanet_vrrp_state");
                InstanceLabels(sb, i, ("state", KeepalivedStateName(s)));
                sb.Append(' ').Append(i.State == s ? '1' : '0').Append('\n');
            }
        }

        Header(sb, "hanet_vrrp_transitions_total", "State transitions, by the state entered", "counter");
        foreach (var i in instances)
        {
            foreach (var s in new[] { VirtualRouterState.Initialize, VirtualRouterState.Backup, VirtualRouterState.Master, VirtualRouterState.Fault })
            {
                sb.Append("hanet_vrrp_transitions_total");
                InstanceLabels(sb, i, ("state", KeepalivedStateName(s)));
                sb.Append(' ').Append(counters.Get(VrrpMetricNames.Transitions, i.Name, s.ToString()).ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        Header(sb, "hanet_vrrp_dropped_total", "VRRP messages dropped, by reason (Ha.Net.Vrrp.Wire.VrrpDropReason)", "counter");
        foreach (var i in instances)
        {
            foreach (var reason in Enum.GetNames<Ha.Net.Vrrp.Wire.VrrpDropReason>().Where(r => r != nameof(Ha.Net.Vrrp.Wire.VrrpDropReason.None)))
            {
                sb.Append("hanet_vrrp_dropped_total");
                InstanceLabels(sb, i, ("reason", reason));
                sb.Append(' ').Append(counters.Get(VrrpMetricNames.AdvertisementsDropped, i.Name, reason).ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        Header(sb, "hanet_vrrp_errors_total", "Failed operations (send, add, remove, announce, receive)", "counter");
        foreach (var i in instances)
        {
            foreach (var operation in new[] { "send", "add", "remove", "announce", "receive" })
            {
                sb.Append("hanet_vrrp_errors_total");
                InstanceLabels(sb, i, ("operation", operation));
                sb.Append(' ').Append(counters.Get(VrrpMetricNames.Errors, i.Name, operation).ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        Counter("hanet_vrrp_gratuitous_announcements_total", "Gratuitous ARP / unsolicited NA frames sent", i => counters.Get(VrrpMetricNames.AnnouncementsSent, i.Name));
        return sb.ToString();
    }

    private static void Header(StringBuilder sb, string name, string help, string type) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    /// <summary>keepalived-exporter's labels for its counters: iname, intf, vrid, state.</summary>
    private static void CommonLabels(StringBuilder sb, InstanceStatus i) =>
        sb.Append("{iname=\"").Append(Escape(i.Name)).Append("\",intf=\"").Append(Escape(i.Interface)).Append("\",vrid=\"")
          .Append(i.VirtualRouterId.ToString(CultureInfo.InvariantCulture)).Append("\",state=\"").Append(KeepalivedStateName(i.State)).Append("\"}");

    private static void InstanceLabels(StringBuilder sb, InstanceStatus i, (string Name, string Value)? extra = null)
    {
        sb.Append("{iname=\"").Append(Escape(i.Name)).Append("\",intf=\"").Append(Escape(i.Interface)).Append("\",vrid=\"")
          .Append(i.VirtualRouterId.ToString(CultureInfo.InvariantCulture)).Append('"');
        if (extra is { } e)
        {
            sb.Append(',').Append(e.Name).Append("=\"").Append(e.Value).Append('"');
        }

        sb.Append('}');
    }

    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _loop;
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "metrics endpoint: accept failed: {Reason}")]
    private static partial void LogAcceptFailed(ILogger logger, string reason);
}
