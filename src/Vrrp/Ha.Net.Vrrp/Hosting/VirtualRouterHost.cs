using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Threading.Channels;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Transport;
using Ha.Net.Vrrp.Wire;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Vrrp.Hosting;

/// <summary>
/// The async runner around <see cref="VirtualRouterMachine"/>: one loop over a channel of inputs fed by the transport's
/// receive loop, a <see cref="TimeProvider"/> timer armed at the machine's next deadline, and the public calls.
/// It executes the machine's actions in the order emitted and feeds a failed bind back as an input.
/// </summary>
internal sealed partial class VirtualRouterHost : IVirtualRouter
{
    private readonly VirtualRouterSettings _s;
    private readonly IReadOnlyList<VrrpOptionIssue> _warnings;
    private readonly IVrrpTransport _transport;
    private readonly IVirtualAddressBinder _binder;
    private readonly IAddressAnnouncer _announcer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly VrrpMetrics _metrics;
    private readonly bool _ownsMetrics;
    private readonly VirtualRouterMachine _machine;
    private readonly AdvertisementFilter _filter;
    private readonly Channel<Work> _inputs = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ITimer _timer;
    private readonly CancellationTokenSource _stopping = new();
    private readonly byte[] _sendBuffer = new byte[VrrpPacket.MaxLength];
    private readonly byte[] _localBytes;
    private readonly IPAddress[] _destinations;
    private readonly KeyValuePair<string, object?> _instanceTag;
    private readonly long[] _dropped = new long[Enum.GetValues<VrrpDropReason>().Length];
    private readonly List<VrrpAction> _actions = [];
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _startTimestamp;
    private int _started;
    private int _stopRequested;
    private Task _loop = Task.CompletedTask;
    private Task _receiveLoop = Task.CompletedTask;
    private volatile int _state;
    private volatile int _effectivePriority;
    private long _sent;
    private long _received;
    private long _becameMaster;
    private long _sendErrors;
    private long _addressErrors;
    private long _announcements;
    private IPAddress? _lastMismatchSource;
    private bool _intervalNoted;

    public VirtualRouterHost(
        VirtualRouterSettings settings,
        IReadOnlyList<VrrpOptionIssue> warnings,
        IVrrpTransport transport,
        IVirtualAddressBinder binder,
        IAddressAnnouncer announcer,
        TimeProvider timeProvider,
        ILogger logger,
        VrrpMetrics metrics,
        bool ownsMetrics)
    {
        _s = settings;
        _warnings = warnings;
        _transport = transport;
        _binder = binder;
        _announcer = announcer;
        _time = timeProvider;
        _logger = logger;
        _ownsMetrics = ownsMetrics;
        _metrics = metrics;
        var local = transport.LocalAddress ?? throw new ArgumentException("The transport has no local address.", nameof(transport));
        if ((local.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) != settings.IsIPv6)
        {
            throw new ArgumentException($"vrrp_instance {settings.Name}: the transport's local address {local} is not of the instance's address family.", nameof(transport));
        }

        _localBytes = local.GetAddressBytes();
        _machine = new VirtualRouterMachine(settings, local);
        _filter = new AdvertisementFilter(settings, local);
        _destinations = settings.IsUnicast ? settings.UnicastPeers : [settings.MulticastGroup];
        _instanceTag = new(VrrpMetricNames.InstanceTag, settings.Name);
        _effectivePriority = _machine.EffectivePriority;
        _timer = _time.CreateTimer(static s => ((VirtualRouterHost)s!).Post(new Work(VrrpInput.DeadlineReached())), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _metrics.Register(this);
    }

    public event EventHandler<VirtualRouterStateChangedEventArgs>? StateChanged;

    public string InstanceName => _s.Name;

    public VirtualRouterState State => (VirtualRouterState)_state;

    public int EffectivePriority => _effectivePriority;

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException($"vrrp_instance {_s.Name} was already started.");
        }

        foreach (var warning in _warnings)
        {
            Log.ConfigurationWarning(_logger, new VrrpIssueText(warning));
        }

        _startTimestamp = _time.GetTimestamp();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new Work(VrrpInput.Startup(), done));
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        _receiveLoop = Task.Run(() => ReceiveAsync(_stopping.Token), CancellationToken.None);
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _started) == 0)
        {
            _stopped.TrySetResult();
            return;
        }

        if (Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            Post(new Work(VrrpInput.Shutdown(), _stopped));
        }

        await _stopped.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loop, _receiveLoop).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            try
            {
                await StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _timer.DisposeAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        _metrics.Unregister(this);
        if (_ownsMetrics)
        {
            _metrics.Dispose();
        }

        _stopping.Dispose();
    }

    public void SetTrackedObjectState(string name, bool isUp)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_machine.IsTracked(name))
        {
            throw new ArgumentException($"vrrp_instance {_s.Name} tracks no object named '{name}'.", nameof(name));
        }

        Post(new Work(VrrpInput.TrackedObject(name, isUp)));
    }

    public void SetLinkState(bool isUp) => Post(new Work(VrrpInput.Link(isUp)));

    public void ReportAddressRemoved(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (Array.Exists(_s.AllAddresses, a => a.Address.Equals(address)))
        {
            Post(new Work(VrrpInput.AddressRemoved(address)));
        }
    }

    public VirtualRouterStatistics GetStatistics()
    {
        var dropped = new Dictionary<VrrpDropReason, long>();
        foreach (var reason in Enum.GetValues<VrrpDropReason>())
        {
            if (reason != VrrpDropReason.None)
            {
                dropped[reason] = Interlocked.Read(ref _dropped[(int)reason]);
            }
        }

        return new VirtualRouterStatistics(
            Interlocked.Read(ref _sent),
            Interlocked.Read(ref _received),
            dropped,
            Interlocked.Read(ref _becameMaster),
            Interlocked.Read(ref _sendErrors),
            Interlocked.Read(ref _addressErrors),
            Interlocked.Read(ref _announcements));
    }

    /// <summary>Completes when every input queued before the call has been handled (tests and simulations).</summary>
    internal Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_inputs.Writer.TryWrite(new Work(default, done, IsFlush: true)))
        {
            done.TrySetResult();
        }

        return done.Task;
    }

    private TimeSpan Now => _time.GetElapsedTime(_startTimestamp);

    private void Post(Work work) => _inputs.Writer.TryWrite(work);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = _inputs.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var work))
                {
                    if (work.IsFlush)
                    {
                        work.Done?.TrySetResult();
                        continue;
                    }

                    try
                    {
                        await HandleAsync(work.Input, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        throw;
                    }
#pragma warning disable CA1031 // One bad input must not stop the router; it is logged at Critical.
                    catch (Exception ex)
#pragma warning restore CA1031
                    {
                        Log.LoopFailed(_logger, ex, _s.Name, work.Input.Kind.ToString());
                    }

                    work.Done?.TrySetResult();
                    if (work.Input.Kind == VrrpInputKind.Shutdown)
                    {
                        _inputs.Writer.TryComplete();
                        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _stopped.TrySetResult();
            while (reader.TryRead(out var left))
            {
                left.Done?.TrySetResult();
            }
        }
    }

    private async Task HandleAsync(VrrpInput input, CancellationToken cancellationToken)
    {
        switch (input.Kind)
        {
            case VrrpInputKind.TrackedObjectChanged when _machine.IsTrackedObjectUp(input.Name) != input.IsUp:
                Log.TrackedObjectState(_logger, _s.Name, input.Name!, input.IsUp ? "UP" : "DOWN");
                break;
            case VrrpInputKind.LinkChanged when _machine.IsLinkUp != input.IsUp:
                Log.LinkState(_logger, _s.Name, _s.InterfaceName, input.IsUp ? "UP" : "DOWN");
                break;
            case VrrpInputKind.AddressRemoved when _machine.State == VirtualRouterState.Master:
                Log.AddressRemovedExternally(_logger, _s.Name, input.Address!);
                break;
        }

        _actions.Clear();
        _machine.Handle(input, Now, _actions);
        await ExecuteAsync(_actions, cancellationToken).ConfigureAwait(false);
        Rearm();
    }

    private async Task ExecuteAsync(List<VrrpAction> actions, CancellationToken cancellationToken)
    {
        // Actions of one input run in order. A state change's event is raised after the rest of the batch,
        // so a MASTER handler sees the addresses already added.
        VrrpAction? change = null;
        foreach (var action in actions)
        {
            switch (action.Kind)
            {
                case VrrpActionKind.StateChanged:
                    if (change is { } earlier)
                    {
                        RaiseStateChanged(earlier);
                    }

                    change = action;
                    OnStateChanged(action);
                    if (action is { From: VirtualRouterState.Fault, To: VirtualRouterState.Backup } && _s.IsUnicast)
                    {
                        // keepalived (try_up_instance): a unicast backup leaving FAULT announces its own source address,
                        // so the master's neighbour cache holds it and the master's adverts reach it at once.
                        await AnnounceSourceAsync(cancellationToken).ConfigureAwait(false);
                    }

                    break;

                case VrrpActionKind.SendAdvertisement:
                    await SendAsync(action.Priority, cancellationToken).ConfigureAwait(false);
                    break;

                case VrrpActionKind.BindAddresses:
                    if (!await BindAsync(cancellationToken).ConfigureAwait(false))
                    {
                        // Feed the failure back before anything else (announcing an address we do not hold is pointless).
                        if (change is { } c)
                        {
                            RaiseStateChanged(c);
                        }

                        var feedback = new List<VrrpAction>();
                        _machine.Handle(VrrpInput.BindFailed(), Now, feedback);
                        await ExecuteAsync(feedback, cancellationToken).ConfigureAwait(false);
                        return;
                    }

                    break;

                case VrrpActionKind.UnbindAddresses:
                    await UnbindAsync(cancellationToken).ConfigureAwait(false);
                    break;

                case VrrpActionKind.AnnounceAddresses:
                    await AnnounceAsync(action.Count, cancellationToken).ConfigureAwait(false);
                    break;

                case VrrpActionKind.EffectivePriorityChanged:
                    _effectivePriority = action.Priority;
                    Log.ChangingPriority(_logger, _s.Name, action.OldPriority, action.Priority);
                    break;

                case VrrpActionKind.Note:
                    LogNote(action);
                    break;
            }
        }

        if (change is { } last)
        {
            RaiseStateChanged(last);
        }
    }

    private void OnStateChanged(in VrrpAction action)
    {
        _state = (int)action.To;
        _effectivePriority = _machine.EffectivePriority;
        _metrics.Transitions.Add(1, _instanceTag, new(VrrpMetricNames.StateTag, action.To.ToString()));
        switch (action.Reason)
        {
            case VirtualRouterTransitionReason.MasterDownTimerExpired:
                Log.ReceiveTimeout(_logger, _s.Name);
                break;
            case VirtualRouterTransitionReason.HigherPriorityAdvertisement when action.PeerPriority == _machine.EffectivePriority:
                Log.MasterSamePriorityHigherAddress(_logger, _s.Name, action.Peer, action.PeerPriority);
                break;
            case VirtualRouterTransitionReason.HigherPriorityAdvertisement:
                Log.MasterHigherPriority(_logger, _s.Name, action.Peer, action.PeerPriority, _machine.EffectivePriority);
                break;
        }

        switch (action.To)
        {
            case VirtualRouterState.Master:
                Interlocked.Increment(ref _becameMaster);
                Log.EnteringMaster(_logger, _s.Name);
                break;
            case VirtualRouterState.Backup when action.From == VirtualRouterState.Initialize:
                Log.EnteringBackupInit(_logger, _s.Name);
                break;
            case VirtualRouterState.Backup:
                Log.EnteringBackup(_logger, _s.Name);
                break;
            case VirtualRouterState.Fault:
                Log.EnteringFault(_logger, _s.Name);
                break;
            default:
                Log.Stopped(_logger, _s.Name);
                break;
        }
    }

    private void RaiseStateChanged(in VrrpAction action)
    {
        var handler = StateChanged;
        if (handler is null)
        {
            return;
        }

        try
        {
            handler(this, new VirtualRouterStateChangedEventArgs(_s.Name, action.From, action.To, action.Reason, _machine.EffectivePriority, action.Peer));
        }
#pragma warning disable CA1031 // A subscriber's bug must not break the election.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.HandlerFailed(_logger, ex, _s.Name);
        }
    }

    private void LogNote(in VrrpAction action)
    {
        switch (action.Note)
        {
            case VrrpNote.MasterReceivedLowerPriority:
                Log.ForcingNewElection(_logger, _s.Name, action.Peer, action.PeerPriority, action.Priority);
                break;
            case VrrpNote.BackupDiscardedLowerPriority:
                Log.DiscardingLowerPriority(_logger, _s.Name, action.PeerPriority, action.Peer);
                break;
            case VrrpNote.BackupReceivedPriorityZero:
                Log.BackupPriorityZero(_logger, _s.Name);
                break;
            case VrrpNote.MasterReceivedPriorityZero:
                Log.MasterPriorityZero(_logger, _s.Name);
                break;
            case VrrpNote.PreemptDelayStarted:
                Log.PreemptDelayStarted(_logger, _s.Name, _s.PreemptDelay.TotalSeconds);
                break;
            case VrrpNote.PreemptDelayStopped:
                Log.PreemptDelayStopped(_logger, _s.Name);
                break;
        }
    }

    private async Task SendAsync(byte priority, CancellationToken cancellationToken)
    {
        var advert = new VrrpAdvertisement(_s.Version, _s.VirtualRouterId, priority, (byte)_s.AdvertisedAddresses.Length, _s.RawInterval, _s.IsIPv6, _s.AuthenticationType);
        foreach (var destination in _destinations)
        {
            int length;
            if (!TryWriteAdvert(advert, destination, out length))
            {
                continue;
            }

            try
            {
                await _transport.SendAsync(_sendBuffer.AsMemory(0, length), destination, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _sent);
                _metrics.Sent.Add(1, _instanceTag);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // A failed send is counted and logged; the election goes on (the link may be down).
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _sendErrors);
                _metrics.Errors.Add(1, _instanceTag, new(VrrpMetricNames.OperationTag, "send"));
                Log.SendFailed(_logger, ex, _s.Name, destination);
            }
        }

        if (priority == 0)
        {
            Log.SentPriorityZero(_logger, _s.Name);
        }
    }

    private bool TryWriteAdvert(in VrrpAdvertisement advert, IPAddress destination, out int length)
    {
        Span<byte> dst = stackalloc byte[16];
        destination.TryWriteBytes(dst, out var dstLength);
        return VrrpPacket.TryWrite(
            _sendBuffer, advert, _s.AdvertisedAddressBytes, _s.Password, _s.ChecksumMode, _localBytes, dst[..dstLength], out length);
    }

    private async Task<bool> BindAsync(CancellationToken cancellationToken)
    {
        if (_s.AllAddresses.Length == 0)
        {
            return true;
        }

        Log.SettingVips(_logger, _s.Name);
        foreach (var address in _s.AllAddresses)
        {
            try
            {
                await _binder.AddAsync(address, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // Fed back to the election as AddressBindFailed.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _addressErrors);
                _metrics.Errors.Add(1, _instanceTag, new(VrrpMetricNames.OperationTag, "add"));
                Log.AddFailed(_logger, ex, _s.Name, address.ToString());
                return false;
            }
        }

        return true;
    }

    private async Task UnbindAsync(CancellationToken cancellationToken)
    {
        if (_s.AllAddresses.Length == 0)
        {
            return;
        }

        Log.RemovingVips(_logger, _s.Name);
        foreach (var address in _s.AllAddresses)
        {
            try
            {
                await _binder.RemoveAsync(address, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // Removal is best effort: logged and counted, the others are still removed.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _addressErrors);
                _metrics.Errors.Add(1, _instanceTag, new(VrrpMetricNames.OperationTag, "remove"));
                Log.RemoveFailed(_logger, ex, _s.Name, address.ToString());
            }
        }
    }

    private async Task AnnounceAsync(int count, CancellationToken cancellationToken)
    {
        foreach (var address in _s.AllAddresses)
        {
            Log.SendingGratuitous(_logger, _s.Name, address.InterfaceName, address.Address);
        }

        // keepalived sends the burst round-robin: every address once, count times.
        for (var round = 0; round < count; round++)
        {
            foreach (var address in _s.AllAddresses)
            {
                await AnnounceOneAsync(address, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task AnnounceSourceAsync(CancellationToken cancellationToken)
    {
        var local = new IPAddress(_localBytes);
        var source = new VirtualAddress(local, _s.IsIPv6 ? 128 : 32, _s.InterfaceName);
        Log.SendingGratuitous(_logger, _s.Name, _s.InterfaceName, local);
        await AnnounceOneAsync(source, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One announcement frame: counted on success, counted and logged on failure (best effort).</summary>
    private async Task AnnounceOneAsync(VirtualAddress address, CancellationToken cancellationToken)
    {
        try
        {
            await _announcer.AnnounceAsync(address, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _announcements);
            _metrics.Announcements.Add(1, _instanceTag);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // An announcement is best effort.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _metrics.Errors.Add(1, _instanceTag, new(VrrpMetricNames.OperationTag, "announce"));
            Log.AnnounceFailed(_logger, ex, _s.Name, address.Address);
        }
    }

    private void Rearm()
    {
        if (_machine.NextDeadline is { } deadline)
        {
            var due = deadline - Now;
            _timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[VrrpPacket.MaxLength + 64];
        while (!cancellationToken.IsCancellationRequested)
        {
            VrrpReceiveResult received;
            try
            {
                received = await _transport.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Logged, counted, retried after a pause.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _metrics.Errors.Add(1, _instanceTag, new(VrrpMetricNames.OperationTag, "receive"));
                Log.ReceiveFailed(_logger, ex, _s.Name);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            OnReceived(buffer.AsSpan(0, Math.Min(received.BytesReceived, buffer.Length)), received);
        }
    }

    /// <summary>Validates one received message, counts it, and queues a valid advert for the election.</summary>
    internal void OnReceived(ReadOnlySpan<byte> message, in VrrpReceiveResult envelope)
    {
        var reason = _filter.Check(message, envelope, out var advert, out var notes);
        if (reason != VrrpDropReason.None)
        {
            Interlocked.Increment(ref _dropped[(int)reason]);
            _metrics.Dropped.Add(1, _instanceTag, new(VrrpMetricNames.DropReasonTag, VrrpMetrics.ReasonName(reason)));
            LogDrop(reason, advert, envelope);
            return;
        }

        Interlocked.Increment(ref _received);
        _metrics.Received.Add(1, _instanceTag);
        if ((notes & AdvertisementFilter.Notes.AddressListMismatch) != 0 && !envelope.Source.Equals(_lastMismatchSource))
        {
            _lastMismatchSource = envelope.Source;
            Log.AddressListMismatch(_logger, _s.Name, _s.AdvertisedAddresses.Length, advert.AddressCount, envelope.Source);
        }

        if ((notes & AdvertisementFilter.Notes.IntervalMismatch) != 0 && !_intervalNoted)
        {
            _intervalNoted = true;
            Log.IntervalMismatch(_logger, _s.Name, envelope.Source, Interval(_s.RawInterval), Interval(advert.RawInterval));
        }

        Post(new Work(VrrpInput.Advertisement(advert.Priority, advert.Interval, envelope.Source)));
    }

    private string Interval(int raw) => _s.Version == VrrpVersion.V2
        ? raw.ToString(CultureInfo.InvariantCulture) + " sec"
        : (raw * 10).ToString(CultureInfo.InvariantCulture) + " milli-sec";

    private void LogDrop(VrrpDropReason reason, in VrrpAdvertisement advert, in VrrpReceiveResult envelope)
    {
        var source = envelope.Source;
        switch (reason)
        {
            case VrrpDropReason.VirtualRouterIdMismatch or VrrpDropReason.OwnAdvertisement:
                // Normal on a shared segment: other instances' adverts.
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    Log.DroppedDebug(_logger, _s.Name, source, reason.ToString());
                }

                break;
            case VrrpDropReason.VersionMismatch:
                Log.WrongVersion(_logger, _s.Name, source, (int)advert.Version, (int)_s.Version);
                break;
            case VrrpDropReason.AuthenticationFailure:
                Log.InvalidPassword(_logger, _s.Name, source);
                break;
            case VrrpDropReason.AuthenticationTypeMismatch:
                Log.AuthTypeMismatch(_logger, _s.Name, source);
                break;
            case VrrpDropReason.IntervalMismatch:
                Log.IntervalMismatch(_logger, _s.Name, source, Interval(_s.RawInterval), Interval(advert.RawInterval));
                break;
            case VrrpDropReason.AddressListMismatch:
                Log.AddressCountDropped(_logger, _s.Name, advert.AddressCount, _s.AdvertisedAddresses.Length);
                break;
            case VrrpDropReason.InvalidChecksum:
                Log.InvalidChecksum(_logger, _s.Name, source);
                break;
            case VrrpDropReason.InvalidTimeToLive:
                Log.InvalidTtl(_logger, _s.Name, source, envelope.TimeToLive);
                break;
            case VrrpDropReason.CarpAdvertisement:
                Log.CarpReceived(_logger, _s.Name, source);
                break;
            default:
                Log.Dropped(_logger, _s.Name, source, reason.ToString());
                break;
        }
    }

    private readonly record struct Work(VrrpInput Input, TaskCompletionSource? Done = null, bool IsFlush = false);
}
