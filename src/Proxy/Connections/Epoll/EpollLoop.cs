using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Ha.Net.Proxy.Connections.Epoll;

/// <summary>Work that runs on an <see cref="EpollLoop"/> (posted with <see cref="EpollLoop.Run"/> or <see cref="EpollLoop.Post"/>).</summary>
internal interface IEpollWork
{
    /// <summary>Work posted with <see cref="EpollLoop.Run"/>.</summary>
    void OnWork(int operation);
}

/// <summary>Something whose descriptors an <see cref="EpollLoop"/> watches: their readiness events, and posted work.</summary>
internal interface IEpollHandler : IEpollWork
{
    /// <summary>Readiness of the descriptor registered with <paramref name="tag"/>.</summary>
    void OnEvents(int tag, uint events);

    /// <summary>Called again after the loop served everyone else (see <see cref="EpollLoop.Again"/>).</summary>
    void OnAgain();

    /// <summary>Sends what <see cref="EpollLoop.Defer"/> kept in the loop's arena (at the end of the loop's turn).</summary>
    void OnDeferred(int direction, int offset, int count);
}

/// <summary>
/// One thread, one edge-triggered epoll set: the HAProxy-style event loop of the Linux data path.
/// Every descriptor a session registers here is only ever read, written and closed on this thread,
/// so a session's data phase needs no locks and no descriptor can be reused under it. Other threads
/// reach a session through <see cref="Run"/>, which queues the work and wakes the loop with an eventfd.
/// </summary>
/// <remarks>
/// Readiness is edge-triggered and tracked per descriptor by the session, as HAProxy does: a read
/// that comes back short means the socket is drained, so no read ends in <c>EAGAIN</c> on the
/// request/response path (.NET's socket engine tries once more and gets <c>EAGAIN</c>, one wasted
/// syscall per direction and exchange). The loop owns one receive buffer: data goes from one socket
/// into it and straight out to the other, and a pooled buffer is rented only for what the other
/// socket cannot take at once.
/// </remarks>

internal sealed unsafe class EpollLoop : IDisposable
{
    private const int MaxEvents = 256;
    private const ulong WakeToken = ulong.MaxValue;

    private readonly int _epoll;
    private readonly int _wakeFd;
    private readonly Thread _thread;
    private readonly ConcurrentQueue<(IEpollWork Handler, int Operation)> _work = new();
    private readonly Action<Exception> _onError;
    private readonly byte* _events;
    private IEpollHandler?[] _handlers = new IEpollHandler?[64];
    private readonly Stack<int> _freeSlots = new();
    private readonly List<int> _freedThisRound = [];
    private int _nextSlot;
    private List<IEpollHandler> _again = [];
    private List<IEpollHandler> _againSpare = [];
    private readonly List<(IEpollHandler Handler, int Direction, int Offset, int Count)> _deferred = [];
    private int _sleeping;
    private int _signaled;
    private volatile bool _stopping;
    private int _threadId;

    public EpollLoop(int index, int bufferSize, Action<Exception> onError)
    {
        _onError = onError;
        _epoll = LinuxNative.epoll_create1(LinuxNative.EpollCloexec);
        if (_epoll < 0)
        {
            throw new System.Net.Sockets.SocketException(LinuxNative.Errno, "epoll_create1 failed");
        }

        _wakeFd = LinuxNative.eventfd(0, LinuxNative.EfdCloexec | LinuxNative.EfdNonblock);
        if (_wakeFd < 0 || LinuxNative.Control(_epoll, LinuxNative.EpollCtlAdd, _wakeFd, LinuxNative.EpollIn, WakeToken) < 0)
        {
            int errno = LinuxNative.Errno;
            LinuxNative.close(_epoll);
            throw new System.Net.Sockets.SocketException(errno, "eventfd failed");
        }

        Buffer = GC.AllocateUninitializedArray<byte>(bufferSize, pinned: true);
        BufferPointer = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(Buffer, 0);
        Arena = GC.AllocateUninitializedArray<byte>(bufferSize, pinned: true);
        ArenaPointer = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(Arena, 0);
        _events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * LinuxNative.EpollEventSize));
        _thread = new Thread(Loop) { IsBackground = true, Name = "Ha.Net.Proxy epoll " + index };
        _thread.UnsafeStart();
    }

    /// <summary>The loop's receive buffer (pinned); used only on the loop thread, never across events.</summary>
    public byte[] Buffer { get; }

    public byte* BufferPointer { get; }

    /// <summary>Where short reads wait for the end of the turn (see <see cref="Defer"/>); pinned.</summary>
    public byte[] Arena { get; }

    public byte* ArenaPointer { get; }

    /// <summary>Bytes of <see cref="Arena"/> holding deferred data.</summary>
    public int ArenaUsed { get; private set; }

    /// <summary>Whether deferred data is being sent now (no new deferral then).</summary>
    public bool Flushing { get; private set; }

    /// <summary>
    /// Keeps <paramref name="count"/> bytes just read into the arena's free part, to be sent when the
    /// loop has handled every event of this turn: small messages then leave in one burst per turn,
    /// as HAProxy's do (its I/O runs after polling), so the peers on the other side are woken once
    /// per burst rather than once per message.
    /// </summary>
    public void Defer(IEpollHandler handler, int direction, int count)
    {
        _deferred.Add((handler, direction, ArenaUsed, count));
        ArenaUsed += count;
    }

    private void FlushDeferred()
    {
        if (_deferred.Count == 0)
        {
            return;
        }

        Flushing = true;
        foreach (var (handler, direction, offset, count) in _deferred)
        {
            try
            {
                handler.OnDeferred(direction, offset, count);
            }
            catch (Exception e)
            {
                _onError(e);
            }
        }

        _deferred.Clear();
        ArenaUsed = 0;
        Flushing = false;
    }

    public bool IsOnLoop => Environment.CurrentManagedThreadId == Volatile.Read(ref _threadId);

    /// <summary>Gives <paramref name="handler"/> a slot for its descriptors' event tags (loop thread only).</summary>
    public int Attach(IEpollHandler handler)
    {
        int slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _nextSlot++;
        if (slot >= _handlers.Length)
        {
            Array.Resize(ref _handlers, _handlers.Length * 2);
        }

        _handlers[slot] = handler;
        return slot;
    }

    /// <summary>Frees the slot; events still queued for it are dropped (loop thread only). The slot is
    /// reused only after the current batch of events, so none of them can reach a new owner.</summary>
    public void Detach(int slot)
    {
        _handlers[slot] = null;
        _freedThisRound.Add(slot);
    }

    /// <summary>Watches <paramref name="fd"/> (edge-triggered) for reading, and for writing when
    /// <paramref name="write"/>; events carry <paramref name="tag"/>. Returns 0 or the errno.</summary>
    public int Add(int fd, int slot, int tag, bool write) => Control(LinuxNative.EpollCtlAdd, fd, slot, tag, write);

    /// <summary>Changes whether <paramref name="fd"/> is watched for writing. Write readiness is asked
    /// for only while a send is blocked (as HAProxy does): otherwise every ACK that frees send space
    /// would be one more event.</summary>
    public int Modify(int fd, int slot, int tag, bool write) => Control(LinuxNative.EpollCtlMod, fd, slot, tag, write);

    private int Control(int op, int fd, int slot, int tag, bool write)
        => LinuxNative.Control(_epoll, op, fd,
            LinuxNative.EpollIn | LinuxNative.EpollRdHup | LinuxNative.EpollEt | (write ? LinuxNative.EpollOut : 0),
            ((ulong)(uint)slot << 8) | (byte)tag) < 0 ? LinuxNative.Errno : 0;

    /// <summary>Runs <paramref name="handler"/>'s <paramref name="operation"/> on the loop: now if this is the loop thread, else soon.</summary>
    public void Run(IEpollWork handler, int operation)
    {
        if (IsOnLoop)
        {
            handler.OnWork(operation);
        }
        else
        {
            Post(handler, operation);
        }
    }

    /// <summary>Queues <paramref name="handler"/>'s <paramref name="operation"/> for the loop thread.</summary>
    public void Post(IEpollWork handler, int operation)
    {
        _work.Enqueue((handler, operation));
        if (Volatile.Read(ref _sleeping) != 0 && Interlocked.Exchange(ref _signaled, 1) == 0)
        {
            Wake();
        }
    }

    /// <summary>Calls <paramref name="handler"/> back once the loop has served the events already waiting (fairness for bulk transfers).</summary>
    public void Again(IEpollHandler handler) => _again.Add(handler);

    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        Wake();
        if (!IsOnLoop)
        {
            _thread.Join(TimeSpan.FromSeconds(10));
        }
    }

    private void Wake()
    {
        ulong one = 1;
        LinuxNative.write(_wakeFd, &one, sizeof(ulong));
    }

    private void Loop()
    {
        Volatile.Write(ref _threadId, Environment.CurrentManagedThreadId);
        int stride = LinuxNative.EpollEventSize;
        try
        {
            while (!_stopping)
            {
                foreach (int freed in _freedThisRound)
                {
                    _freeSlots.Push(freed);
                }

                _freedThisRound.Clear();
                int timeout = 0;
                if (_again.Count == 0)
                {
                    Interlocked.Exchange(ref _sleeping, 1);
                    timeout = _work.IsEmpty ? -1 : 0;
                }

                int count = LinuxNative.epoll_wait(_epoll, _events, MaxEvents, timeout);

                Volatile.Write(ref _sleeping, 0);
                if (count < 0)
                {
                    if (LinuxNative.Errno == LinuxNative.EIntr)
                    {
                        continue;
                    }

                    throw new System.Net.Sockets.SocketException(LinuxNative.Errno, "epoll_wait failed");
                }

                for (int i = 0; i < count; i++)
                {
                    byte* slot = _events + (i * stride);
                    ulong data = LinuxNative.ReadData(slot);
                    if (data == WakeToken)
                    {
                        ulong value;
                        LinuxNative.read(_wakeFd, &value, sizeof(ulong));
                        Volatile.Write(ref _signaled, 0);
                        continue;
                    }

                    int index = (int)(data >> 8);
                    if (index < _handlers.Length && _handlers[index] is { } handler)
                    {
                        try
                        {
                            handler.OnEvents((int)(data & 0xFF), LinuxNative.ReadEvents(slot));
                        }
                        catch (Exception e)
                        {
                            _onError(e);
                        }
                    }
                }

                FlushDeferred();
                while (_work.TryDequeue(out var item))
                {
                    try
                    {
                        item.Handler.OnWork(item.Operation);
                    }
                    catch (Exception e)
                    {
                        _onError(e);
                    }
                }

                FlushDeferred();
                if (_again.Count > 0)
                {
                    (_again, _againSpare) = (_againSpare, _again);
                    foreach (var handler in _againSpare)
                    {
                        try
                        {
                            handler.OnAgain();
                        }
                        catch (Exception e)
                        {
                            _onError(e);
                        }
                    }

                    _againSpare.Clear();
                    FlushDeferred();
                }
            }
        }
        catch (Exception e)
        {
            _onError(e);
        }
        finally
        {
            LinuxNative.close(_wakeFd);
            LinuxNative.close(_epoll);
            NativeMemory.Free(_events);
        }
    }
}
