using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Ha.Net.Samples.Shared.Syslog;

/// <summary>
/// Sends log lines to syslog targets without ever blocking the caller: each destination has a bounded queue
/// (<see cref="QueueCapacity"/> messages) drained by its own task; when a destination is slow or unreachable its
/// queue fills and further messages for it are dropped and counted (<see cref="Dropped"/>), as HAProxy drops
/// what its socket will not take. UDP and local datagrams are sent as they come; TCP reconnects with a back-off.
/// </summary>
/// <remarks>Thread-safe. No reflection, no dynamic code (Native AOT and trimming safe).</remarks>
internal sealed class SyslogWriter : IAsyncDisposable
{
    /// <summary>Messages queued per destination before new ones are dropped.</summary>
    public const int QueueCapacity = 4096;

    private readonly Dictionary<string, Destination> _destinations = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly string _tag;
    private readonly string? _hostName;
    private readonly int _pid = Environment.ProcessId;
    private long _dropped;
    private long _sent;
    private long _reported;
    private Timer? _reportTimer;

    /// <param name="tag">The program name in each message (HAProxy's <c>log-tag</c>, keepalived's ident).</param>
    /// <param name="hostName">The host name to send (HAProxy's <c>log-send-hostname</c>), or null for none.</param>
    public SyslogWriter(string tag, string? hostName = null)
    {
        _tag = tag;
        _hostName = hostName;
    }

    /// <summary>Messages dropped: queue full, or the destination refused or could not be reached.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Messages handed to the kernel.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>
    /// Says, at most every <paramref name="period"/>, how many lines were dropped since the last report (never through
    /// syslog itself: the daemon writes it to stdout), and once more at <see cref="CloseAsync"/>.
    /// </summary>
    public void ReportDrops(Action<string> report, TimeSpan period)
    {
        _dropReport = report;
        _reportTimer = new Timer(_ => Report(final: false), null, period, period);
    }

    private Action<string>? _dropReport;

    private void Report(bool final)
    {
        var dropped = Dropped;
        var previous = Interlocked.Exchange(ref _reported, dropped);
        if (_dropReport is { } report && dropped > previous)
        {
            report(final
                ? $"syslog: {dropped} line(s) dropped in all ({Sent} sent): a log target was unreachable or too slow"
                : $"syslog: {dropped - previous} line(s) dropped since the last report ({dropped} in all, {Sent} sent): a log target is unreachable or too slow");
        }
    }

    /// <summary>Formats <paramref name="message"/> for each target that takes <paramref name="severity"/> and queues it; never blocks.</summary>
    public void Write(int severity, string message, IReadOnlyList<SyslogTarget> targets, DateTimeOffset? now = null)
    {
        if (targets.Count == 0)
        {
            return;
        }

        var at = now ?? DateTimeOffset.Now;
        foreach (var target in targets)
        {
            if (severity > target.MaxLevel)
            {
                continue;
            }

            var level = Math.Max(severity, target.MinLevel);
            var destination = DestinationFor(target);
            if (!destination.Queue.Writer.TryWrite(Format(target, level, message, at)))
            {
                Interlocked.Increment(ref _dropped);
            }
        }
    }

    /// <summary>The bytes one message becomes for one target (header, message, truncation to <c>len</c>).</summary>
    public byte[] Format(SyslogTarget target, int severity, string message, DateTimeOffset at)
    {
        var pri = (target.Facility * 8) + severity;
        var text = target.Format switch
        {
            SyslogFormat.Rfc3164 or SyslogFormat.Local => string.Create(CultureInfo.InvariantCulture,
                $"<{pri}>{at.ToString("MMM", CultureInfo.InvariantCulture)} {at.Day,2} {at:HH:mm:ss} {(target.Format == SyslogFormat.Rfc3164 && _hostName is not null ? _hostName + " " : "")}{_tag}[{_pid}]: {message}"),
            SyslogFormat.Rfc5424 => string.Create(CultureInfo.InvariantCulture,
                $"<{pri}>1 {at:yyyy-MM-ddTHH:mm:ss.ffffffzzz} {_hostName ?? "-"} {_tag} {_pid} - - {message}"),
            SyslogFormat.Priority => string.Create(CultureInfo.InvariantCulture, $"<{pri}>{message}"),
            SyslogFormat.Short => string.Create(CultureInfo.InvariantCulture, $"<{severity}>{message}"),
            _ => message,
        };

        var newline = target.Transport is SyslogTransport.Udp or SyslogTransport.Stream ? 1 : 0; // HAProxy ends UDP lines with LF
        var bytes = Encoding.UTF8.GetBytes(text);
        var length = Math.Min(bytes.Length, target.MaxLength - newline);
        var result = new byte[length + newline];
        bytes.AsSpan(0, length).CopyTo(result);
        if (newline == 1)
        {
            result[^1] = (byte)'\n';
        }

        return result;
    }

    private Destination DestinationFor(SyslogTarget target)
    {
        var key = target.DestinationKey;
        lock (_gate)
        {
            if (!_destinations.TryGetValue(key, out var destination))
            {
                destination = new Destination(this, target);
                _destinations[key] = destination;
            }

            return destination;
        }
    }

    /// <summary>Sends what is queued (up to <paramref name="drain"/>), then closes every socket.</summary>
    public async Task CloseAsync(TimeSpan drain)
    {
        Destination[] all;
        lock (_gate)
        {
            all = [.. _destinations.Values];
            _destinations.Clear();
        }

        foreach (var d in all)
        {
            d.Queue.Writer.TryComplete();
        }

        using var cts = new CancellationTokenSource(drain);
        try
        {
            await Task.WhenAll(all.Select(d => d.Completion)).WaitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        foreach (var d in all)
        {
            d.Dispose();
        }

        if (_reportTimer is not null)
        {
            await _reportTimer.DisposeAsync().ConfigureAwait(false);
        }

        Report(final: true);
    }

    public ValueTask DisposeAsync() => new(CloseAsync(TimeSpan.FromSeconds(2)));

    private sealed class Destination : IDisposable
    {
        private readonly SyslogWriter _owner;
        private readonly SyslogTarget _target;
        private readonly CancellationTokenSource _stop = new();
        private Socket? _socket;

        public Destination(SyslogWriter owner, SyslogTarget target)
        {
            _owner = owner;
            _target = target;
            Queue = Channel.CreateBounded<byte[]>(
                new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true, SingleWriter = false });
            Completion = Task.Run(RunAsync);
        }

        public Channel<byte[]> Queue { get; }

        public Task Completion { get; }

        private async Task RunAsync()
        {
            var backoff = TimeSpan.FromMilliseconds(100);
            await foreach (var message in Queue.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                try
                {
                    await SendAsync(message).ConfigureAwait(false);
                    Interlocked.Increment(ref _owner._sent);
                    backoff = TimeSpan.FromMilliseconds(100);
                }
                catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
                {
                    Interlocked.Increment(ref _owner._dropped);
                    _socket?.Dispose();
                    _socket = null;
                    if (_target.Transport == SyslogTransport.Tcp)
                    {
                        // A TCP collector that is down: wait before the next attempt; the queue fills and drops meanwhile.
                        try
                        {
                            await Task.Delay(backoff, _stop.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                            return;
                        }

                        backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
                    }
                }
            }
        }

        private async ValueTask SendAsync(byte[] message)
        {
            switch (_target.Transport)
            {
                case SyslogTransport.Udp:
                    _socket ??= new Socket(_target.EndPoint!.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                    await _socket.SendToAsync(message, SocketFlags.None, _target.EndPoint!).ConfigureAwait(false);
                    break;
                case SyslogTransport.Unix:
                    _socket ??= new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
                    await _socket.SendToAsync(message, SocketFlags.None, new UnixDomainSocketEndPoint(_target.Path!)).ConfigureAwait(false);
                    break;
                case SyslogTransport.Tcp:
                    if (_socket is null)
                    {
                        var socket = new Socket(_target.EndPoint!.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                        using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                        connectTimeout.CancelAfter(TimeSpan.FromSeconds(5));
                        try
                        {
                            await socket.ConnectAsync(_target.EndPoint!, connectTimeout.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                            socket.Dispose();
                            throw new IOException($"connect to {_target.EndPoint} timed out");
                        }
                        catch
                        {
                            socket.Dispose();
                            throw;
                        }

                        _socket = socket;
                    }

                    // RFC 6587 octet counting: "<length> <message>".
                    var framed = new byte[message.Length + 12];
                    var prefix = Encoding.ASCII.GetBytes(message.Length.ToString(CultureInfo.InvariantCulture) + " ");
                    prefix.CopyTo(framed, 0);
                    message.CopyTo(framed, prefix.Length);
                    await _socket.SendAsync(framed.AsMemory(0, prefix.Length + message.Length), SocketFlags.None).ConfigureAwait(false);
                    break;
                default:
                    var writer = _target.Path == "stderr" ? Console.Error : Console.Out;
                    await writer.WriteAsync(Encoding.UTF8.GetString(message)).ConfigureAwait(false);
                    await writer.FlushAsync().ConfigureAwait(false);
                    break;
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _socket?.Dispose();
            _stop.Dispose();
        }
    }
}
