using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Transport;
using Ha.Net.Vrrp.Wire;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Vrrp.Hosting;

/// <summary>
/// The runner around <see cref="VirtualRouterMachine"/>: one loop, on a thread of its own, over a queue of inputs fed by
/// the transport's receive loop and the public calls, waking itself at the machine's next deadline. It executes the
/// machine's actions in the order emitted, straight from the decision to the syscalls, and feeds a failed bind back
/// as an input.
/// </summary>
/// <remarks>
/// <para>Why a thread: a <see cref="System.Threading.Timer"/> callback and every <c>await</c> continuation wait for a
/// thread-pool thread, so a busy process (a proxy under load in the same daemon, a starved pool) delays adverts by
/// as long as its queue is. The loop thread waits on its own monitor; with <see cref="TimeProvider.System"/> it times
/// that wait itself (see <see cref="WaitForWork"/>), so nothing between the deadline and the send goes through the pool. With any other <see cref="TimeProvider"/> (tests, a
/// simulation) a timer from that provider wakes it instead.</para>
/// <para>Effects are called through the seams' <see cref="ValueTask"/>s and waited for on the loop thread; the Linux
/// backend completes them synchronously (one sendto or netlink round trip each). Log lines of a batch are written
/// after its effects, in the order they were decided, so a slow log sink never delays a VIP or an advert.</para>
/// </remarks>
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
    private readonly ConcurrentQueue<Work> _inputs = new();
    private readonly object _gate = new();
    private readonly bool _ownTimer;
    private readonly ITimer? _timer;
    private readonly List<PendingLog> _pendingLogs = [];
    private readonly List<VrrpAction> _pendingEvents = [];
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
    private int _disposed;
    private readonly TaskCompletionSource _loopDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread? _thread;
    private bool _completed;
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
    private TimeSpan? _carpLoggedAt;
    private long _carpSuppressed;

    // Leadership: _term is the loop's own (created on entering MASTER, cancelled on leaving it, before anything
    // else of the leaving batch runs); _published is what callers see, set after the entering batch's effects (the
    // addresses are bound) and cleared before the term is cancelled. Both under _leadershipGate.
    private readonly object _leadershipGate = new();
    private CancellationTokenSource? _term;
    private CancellationTokenSource? _published;
    private TaskCompletionSource<CancellationToken>? _leadershipWaiter;
    private bool _leadershipClosed;

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
        _ownTimer = ReferenceEquals(_time, TimeProvider.System);
        _timer = _ownTimer
            ? null
            : _time.CreateTimer(static s => ((VirtualRouterHost)s!).Post(new Work(VrrpInput.DeadlineReached())), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _metrics.Register(this);
        (transport as IHostedTransport)?.OnHosted(FlushAsync, () => Volatile.Read(ref _started) != 0 && !_loopDone.Task.IsCompleted);
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

        HotPath.Prepare(_s, _transport, _binder, _announcer);
        _startTimestamp = _time.GetTimestamp();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new Work(VrrpInput.Startup(), done));
        _stopping.Token.UnsafeRegister(static s => ((VirtualRouterHost)s!).Wake(), this);
        _thread = new Thread(Run) { IsBackground = true, Name = "vrrp " + _s.Name };
        _thread.Start();
        if (_transport is ISynchronousVrrpReceiver receiver)
        {
            var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _receiveLoop = received.Task;
            new Thread(() => Receive(receiver, received, _stopping.Token)) { IsBackground = true, Name = "vrrp rx " + _s.Name }.Start();
        }
        else
        {
            _receiveLoop = Task.Run(() => ReceiveAsync(_stopping.Token), CancellationToken.None);
        }

        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _started) == 0)
        {
            CloseLeadership();
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
            await Task.WhenAll(_thread is null ? Task.CompletedTask : _loopDone.Task, _receiveLoop).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

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
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

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

    public bool TryGetLeadership(out CancellationToken leadership)
    {
        lock (_leadershipGate)
        {
            if (_published is { IsCancellationRequested: false } term)
            {
                leadership = term.Token;
                return true;
            }
        }

        leadership = new CancellationToken(canceled: true);
        return false;
    }

    public Task<CancellationToken> AcquireLeadershipAsync(CancellationToken cancellationToken = default)
    {
        Task<CancellationToken> waiting;
        lock (_leadershipGate)
        {
            if (_published is { IsCancellationRequested: false } term)
            {
                return Task.FromResult(term.Token);
            }

            if (_leadershipClosed)
            {
                return Task.FromException<CancellationToken>(new OperationCanceledException($"vrrp_instance {_s.Name} is stopped."));
            }

            _leadershipWaiter ??= new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
            waiting = _leadershipWaiter.Task;
        }

        return cancellationToken.CanBeCanceled ? waiting.WaitAsync(cancellationToken) : waiting;
    }

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
        if (Volatile.Read(ref _started) == 0)
        {
            return Task.CompletedTask; // nothing is handled before the start
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new Work(default, done, IsFlush: true));
        return done.Task;
    }

    private TimeSpan Now => _time.GetElapsedTime(_startTimestamp);

    private void Post(Work work)
    {
        lock (_gate)
        {
            if (_completed)
            {
                work.Done?.TrySetResult();
                return;
            }

            _inputs.Enqueue(work);
            Monitor.Pulse(_gate);
        }
    }

    private void Wake()
    {
        lock (_gate)
        {
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>The loop thread: inputs first (in arrival order), then a due deadline, then a wait for whichever comes next.</summary>
    private void Run()
    {
        var cancellationToken = _stopping.Token;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (_inputs.TryDequeue(out var work))
                {
                    if (!Process(work, cancellationToken))
                    {
                        return;
                    }

                    continue;
                }

                if (_ownTimer && _machine.NextDeadline is { } due && due <= Now)
                {
                    HandleSafely(VrrpInput.DeadlineReached(), null, cancellationToken);
                    continue;
                }

                WaitForWork();
            }
        }
        finally
        {
            lock (_gate)
            {
                _completed = true;
            }

            EndTerm();
            CloseLeadership();
            _stopped.TrySetResult();
            while (_inputs.TryDequeue(out var left))
            {
                left.Done?.TrySetResult();
            }

            _loopDone.TrySetResult();
        }
    }

    /// <summary>Handles one queued input; <see langword="false"/> after Shutdown (the loop ends).</summary>
    private bool Process(in Work work, CancellationToken cancellationToken)
    {
        if (work.IsFlush)
        {
            work.Done?.TrySetResult();
            return true;
        }

        HandleSafely(work.Input, work.ReceivedAt, cancellationToken);
        work.Done?.TrySetResult();
        if (work.Input.Kind == VrrpInputKind.Shutdown)
        {
            _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Blocks until an input is queued or, with the system clock, the next deadline is due. The monitor's wait is in
    /// whole milliseconds, so it waits the milliseconds left rounded down (an input wakes it at once); the fraction of a
    /// millisecond left after it is slept with <see cref="PreciseSleep"/> (nanosleep, where the platform has it) and the
    /// last 50 µs are spun, so a deadline is met within the kernel's wake-up latency rather than up to a millisecond
    /// late. Master_Down (e.g. 36.09 ms at advert_int 0.01) and every advert are then on time as keepalived's timerfd
    /// has them. An input queued during that last fraction waits for it (under a millisecond).
    /// </summary>
    /// <remarks>
    /// Measured alternatives: waiting the milliseconds rounded up (the earlier code) woke 0.5 ms late on average and up
    /// to 1.3 ms (B's expiry at advert_int 0.01 was 1.26 ms late in every run of benchmarks/failover); waiting rounded
    /// down and yielding (sched_yield) through the fraction put the advert period's p99 at +12 ms with a load average
    /// of 13 on 2 cores: a yielding thread goes behind every runnable one. Where there is no precise sleep, the wait
    /// rounds up as before.
    /// </remarks>
    private void WaitForWork()
    {
        TimeSpan due;
        lock (_gate)
        {
            if (!_inputs.IsEmpty || _stopping.IsCancellationRequested)
            {
                return;
            }

            if (!_ownTimer || _machine.NextDeadline is not { } next)
            {
                Monitor.Wait(_gate);
                return;
            }

            due = next;
            var left = due - Now;
            if (left <= TimeSpan.Zero)
            {
                return;
            }

            if (left >= OneMillisecond || (left > SpinBelow && !PreciseSleep.IsSupported))
            {
                var whole = PreciseSleep.IsSupported ? Math.Floor(left.TotalMilliseconds) : Math.Ceiling(left.TotalMilliseconds);
                Monitor.Wait(_gate, (int)Math.Min(whole, int.MaxValue - 1));
                return;
            }
        }

        var fraction = due - Now - SpinBelow;
        if (fraction > TimeSpan.Zero)
        {
            PreciseSleep.Sleep(fraction);
        }

        while (Now < due && _inputs.IsEmpty && !_stopping.IsCancellationRequested)
        {
            Thread.SpinWait(20);
        }
    }

    private void HandleSafely(in VrrpInput input, TimeSpan? receivedAt, CancellationToken cancellationToken)
    {
        try
        {
            Handle(input, receivedAt, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // One bad input must not stop the router; it is logged at Critical.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            FlushLogs();
            Log.LoopFailed(_logger, ex, _s.Name, input.Kind.ToString());
        }
    }

    /// <param name="input">The input.</param>
    /// <param name="receivedAt">For an advert, when the receive loop read it: the machine's timers count from its
    /// arrival, not from when this thread got to it (keepalived reads and handles in one thread; here the hand-over
    /// between the two threads would otherwise push a backup's Master_Down_Timer back by its latency).</param>
    /// <param name="cancellationToken">Stops the effects.</param>
    private void Handle(in VrrpInput input, TimeSpan? receivedAt, CancellationToken cancellationToken)
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

        var now = receivedAt ?? Now;
        if (input.Kind == VrrpInputKind.DeadlineReached && _machine.NextDeadline is { } due && due <= now)
        {
            _metrics.TimerLateness.Record((now - due).TotalSeconds, _instanceTag);
        }

        _actions.Clear();
        _machine.Handle(input, now, _actions);
        Execute(_actions, cancellationToken);
        if (!_ownTimer)
        {
            Rearm();
        }
    }

    /// <summary>Runs the actions of one input in order, then writes their log lines and raises their events.</summary>
    private void Execute(List<VrrpAction> actions, CancellationToken cancellationToken)
    {
        _pendingLogs.Clear();
        _pendingEvents.Clear();
        try
        {
            ExecuteEffects(actions, cancellationToken);
        }
        finally
        {
            PublishTerm();
            FlushLogs();
            foreach (var change in _pendingEvents)
            {
                RaiseStateChanged(change);
            }

            _pendingEvents.Clear();
        }
    }

    private void ExecuteEffects(List<VrrpAction> actions, CancellationToken cancellationToken)
    {
        // A state change's event is raised after the whole batch, so a MASTER handler sees the addresses already added.
        foreach (var action in actions)
        {
            switch (action.Kind)
            {
                case VrrpActionKind.StateChanged:
                    if (action.From == VirtualRouterState.Master)
                    {
                        // First of the leaving batch: the work stops before the priority-0 advert and the address removal.
                        EndTerm();
                    }
                    else if (action.To == VirtualRouterState.Master)
                    {
                        _term = new CancellationTokenSource();
                    }

                    _state = (int)action.To;
                    _effectivePriority = _machine.EffectivePriority;
                    _pendingLogs.Add(new PendingLog(PendingLogKind.StateChanged, action));
                    _pendingEvents.Add(action);
                    if (action is { From: VirtualRouterState.Fault, To: VirtualRouterState.Backup } && _s.IsUnicast)
                    {
                        // keepalived (try_up_instance): a unicast backup leaving FAULT announces its own source address,
                        // so the master's neighbour cache holds it and the master's adverts reach it at once.
                        AnnounceSource(cancellationToken);
                    }

                    break;

                case VrrpActionKind.SendAdvertisement:
                    Send(action.Priority, cancellationToken);
                    break;

                case VrrpActionKind.BindAddresses:
                    if (!Bind(cancellationToken))
                    {
                        // Feed the failure back before anything else (announcing an address we do not hold is pointless).
                        var feedback = new List<VrrpAction>();
                        _machine.Handle(VrrpInput.BindFailed(), Now, feedback);
                        ExecuteEffects(feedback, cancellationToken);
                        return;
                    }

                    break;

                case VrrpActionKind.UnbindAddresses:
                    Unbind(cancellationToken);
                    break;

                case VrrpActionKind.AnnounceAddresses:
                    Announce(action.Count, cancellationToken);
                    break;

                case VrrpActionKind.RefreshAddresses:
                    foreach (var address in _s.AllAddresses)
                    {
                        AnnounceOne(address, cancellationToken); // not logged: one per advert
                    }

                    break;

                case VrrpActionKind.EffectivePriorityChanged:
                    _effectivePriority = action.Priority;
                    _pendingLogs.Add(new PendingLog(PendingLogKind.PriorityChanged, action));
                    break;

                case VrrpActionKind.Note:
                    _pendingLogs.Add(new PendingLog(PendingLogKind.Note, action));
                    break;
            }
        }
    }

    /// <summary>Makes a term begun in this batch visible to callers, once its addresses are bound (loop thread).</summary>
    private void PublishTerm()
    {
        if (_term is not { IsCancellationRequested: false } term)
        {
            return;
        }

        TaskCompletionSource<CancellationToken>? waiter;
        lock (_leadershipGate)
        {
            if (ReferenceEquals(_published, term))
            {
                return;
            }

            _published = term;
            waiter = _leadershipWaiter;
            _leadershipWaiter = null;
        }

        waiter?.TrySetResult(term.Token);
    }

    /// <summary>
    /// Ends the current term (loop thread): unpublished first, then cancelled here, synchronously, so callbacks
    /// registered on the token run before the leaving batch's next action (the priority-0 advert, the address removal).
    /// </summary>
    private void EndTerm()
    {
        var term = _term;
        if (term is null)
        {
            return;
        }

        _term = null;
        lock (_leadershipGate)
        {
            _published = null;
        }

        try
        {
            term.Cancel();
        }
#pragma warning disable CA1031 // A leadership callback's bug must not break the election.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.LeadershipCallbackFailed(_logger, ex, _s.Name);
        }
    }

    /// <summary>The loop ended: waiters for leadership are cancelled, later calls fail at once.</summary>
    private void CloseLeadership()
    {
        TaskCompletionSource<CancellationToken>? waiter;
        lock (_leadershipGate)
        {
            _leadershipClosed = true;
            waiter = _leadershipWaiter;
            _leadershipWaiter = null;
        }

        waiter?.TrySetCanceled();
    }

    /// <summary>Writes the log lines a batch deferred, in the order they were decided.</summary>
    private void FlushLogs()
    {
        foreach (var log in _pendingLogs)
        {
            switch (log.Kind)
            {
                case PendingLogKind.StateChanged:
                    LogStateChanged(log.Action);
                    break;
                case PendingLogKind.PriorityChanged:
                    Log.ChangingPriority(_logger, _s.Name, log.Action.OldPriority, log.Action.Priority);
                    break;
                case PendingLogKind.Note:
                    LogNote(log.Action);
                    break;
                case PendingLogKind.SettingVips:
                    Log.SettingVips(_logger, _s.Name);
                    break;
                case PendingLogKind.RemovingVips:
                    Log.RemovingVips(_logger, _s.Name);
                    break;
                case PendingLogKind.SentPriorityZero:
                    Log.SentPriorityZero(_logger, _s.Name);
                    break;
                case PendingLogKind.Gratuitous:
                    Log.SendingGratuitous(_logger, _s.Name, log.Address!.InterfaceName, log.Address.Address);
                    break;
            }
        }

        _pendingLogs.Clear();
    }

    /// <summary>Waits on the loop thread for an effect; the Linux backend's complete synchronously.</summary>
    private static void Complete(ValueTask effect)
    {
        if (effect.IsCompleted)
        {
            effect.GetAwaiter().GetResult();
        }
        else
        {
            effect.AsTask().GetAwaiter().GetResult();
        }
    }

    private void LogStateChanged(in VrrpAction action)
    {
        _metrics.Transitions.Add(1, _instanceTag, new(VrrpMetricNames.StateTag, StateNames[(int)action.To]));
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

    private void Send(byte priority, CancellationToken cancellationToken)
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
                Complete(_transport.SendAsync(_sendBuffer.AsMemory(0, length), destination, cancellationToken));
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
                FlushLogs();
                Log.SendFailed(_logger, ex, _s.Name, destination);
            }
        }

        if (priority == 0)
        {
            _pendingLogs.Add(new PendingLog(PendingLogKind.SentPriorityZero, default));
        }
    }

    private bool TryWriteAdvert(in VrrpAdvertisement advert, IPAddress destination, out int length)
    {
        Span<byte> dst = stackalloc byte[16];
        destination.TryWriteBytes(dst, out var dstLength);
        return VrrpPacket.TryWrite(
            _sendBuffer, advert, _s.AdvertisedAddressBytes, _s.Password, _s.ChecksumMode, _localBytes, dst[..dstLength], out length);
    }

    private bool Bind(CancellationToken cancellationToken)
    {
        if (_s.AllAddresses.Length == 0)
        {
            return true;
        }

        _pendingLogs.Add(new PendingLog(PendingLogKind.SettingVips, default));
        foreach (var address in _s.AllAddresses)
        {
            try
            {
                Complete(_binder.AddAsync(address, cancellationToken));
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
                FlushLogs();
                Log.AddFailed(_logger, ex, _s.Name, address.ToString());
                return false;
            }
        }

        return true;
    }

    private void Unbind(CancellationToken cancellationToken)
    {
        if (_s.AllAddresses.Length == 0)
        {
            return;
        }

        _pendingLogs.Add(new PendingLog(PendingLogKind.RemovingVips, default));
        foreach (var address in _s.AllAddresses)
        {
            try
            {
                Complete(_binder.RemoveAsync(address, cancellationToken));
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
                FlushLogs();
                Log.RemoveFailed(_logger, ex, _s.Name, address.ToString());
            }
        }
    }

    private void Announce(int count, CancellationToken cancellationToken)
    {
        foreach (var address in _s.AllAddresses)
        {
            _pendingLogs.Add(new PendingLog(PendingLogKind.Gratuitous, default, address));
        }

        // keepalived sends the burst round-robin: every address once, count times.
        for (var round = 0; round < count; round++)
        {
            foreach (var address in _s.AllAddresses)
            {
                AnnounceOne(address, cancellationToken);
            }
        }
    }

    private void AnnounceSource(CancellationToken cancellationToken)
    {
        var local = new IPAddress(_localBytes);
        var source = new VirtualAddress(local, _s.IsIPv6 ? 128 : 32, _s.InterfaceName);
        _pendingLogs.Add(new PendingLog(PendingLogKind.Gratuitous, default, source));
        AnnounceOne(source, cancellationToken);
    }

    /// <summary>One announcement frame: counted on success, counted and logged on failure (best effort).</summary>
    private void AnnounceOne(VirtualAddress address, CancellationToken cancellationToken)
    {
        try
        {
            Complete(_announcer.AnnounceAsync(address, cancellationToken));
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
            FlushLogs();
            Log.AnnounceFailed(_logger, ex, _s.Name, address.Address);
        }
    }

    /// <summary>Arms the provider's timer at the next deadline (only with a <see cref="TimeProvider"/> other than the system's).</summary>
    private void Rearm()
    {
        if (_machine.NextDeadline is { } deadline)
        {
            var due = deadline - Now;
            _timer!.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _timer!.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>The receive loop on a thread of its own, for a transport that can block (the Linux raw sockets).</summary>
    private void Receive(ISynchronousVrrpReceiver receiver, TaskCompletionSource done, CancellationToken cancellationToken)
    {
        var buffer = new byte[VrrpPacket.MaxLength + 64];
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                VrrpReceiveResult received;
                try
                {
                    // Bounded, so a stop is seen within 100 ms even on a silent segment.
                    if (receiver.Receive(buffer, TimeSpan.FromMilliseconds(100)) is not { } r)
                    {
                        continue;
                    }

                    received = r;
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
                    cancellationToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100));
                    continue;
                }

                OnReceived(buffer.AsSpan(0, Math.Min(received.BytesReceived, buffer.Length)), received);
            }
        }
        finally
        {
            done.TrySetResult();
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

        Post(new Work(VrrpInput.Advertisement(advert.Priority, advert.Interval, envelope.Source), ReceivedAt: Now));
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
                LogCarp(source);
                break;
            default:
                Log.Dropped(_logger, _s.Name, source, reason.ToString());
                break;
        }
    }

    /// <summary>A deadline closer than this is spun for rather than waited for.</summary>
    private static readonly TimeSpan SpinBelow = TimeSpan.FromMicroseconds(50);

    private static readonly TimeSpan OneMillisecond = TimeSpan.FromMilliseconds(1);

    /// <summary>At most one CARP line per this long (every CARP advert is still counted).</summary>
    private static readonly TimeSpan CarpLogInterval = TimeSpan.FromSeconds(60);

    private static readonly string[] StateNames = Enum.GetValues<VirtualRouterState>().Select(v => v.ToString()).ToArray();

    /// <summary>
    /// A CARP/ucarp advert (protocol 112 too) is counted every time but logged at most once per
    /// <see cref="CarpLogInterval"/>: the first at once, later ones with how many were dropped unlogged since
    /// (a CARP host on the segment sends one a second, forever).
    /// </summary>
    private void LogCarp(IPAddress source)
    {
        var now = Now;
        if (_carpLoggedAt is { } last && now - last < CarpLogInterval)
        {
            _carpSuppressed++;
            return;
        }

        if (_carpSuppressed == 0)
        {
            Log.CarpReceived(_logger, _s.Name, source);
        }
        else
        {
            Log.CarpReceivedAgain(_logger, _s.Name, source, _carpSuppressed, (int)CarpLogInterval.TotalSeconds);
        }

        _carpLoggedAt = now;
        _carpSuppressed = 0;
    }

    private readonly record struct Work(VrrpInput Input, TaskCompletionSource? Done = null, bool IsFlush = false, TimeSpan? ReceivedAt = null);

    private enum PendingLogKind
    {
        StateChanged,
        PriorityChanged,
        Note,
        SettingVips,
        RemovingVips,
        SentPriorityZero,
        Gratuitous,
    }

    /// <summary>A log line decided during a batch and written after its effects.</summary>
    private readonly record struct PendingLog(PendingLogKind Kind, VrrpAction Action, VirtualAddress? Address = null);
}
