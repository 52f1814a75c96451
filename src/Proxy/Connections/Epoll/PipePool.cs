namespace Ha.Net.Proxy.Connections.Epoll;

/// <summary>A kernel pipe for <c>splice(2)</c>: bytes go socket → <see cref="WriteFd"/>, then
/// <see cref="ReadFd"/> → socket, without entering user space.</summary>
internal readonly record struct KernelPipe(int ReadFd, int WriteFd, int Size);

/// <summary>
/// The splice path's pipes, shared by every event loop: at most <see cref="MaxPipes"/> exist at once
/// (HAProxy's <c>maxpipes</c>), each made once and reused across connections (HAProxy's pipe pool), so a
/// direction pays <c>pipe2</c> only the first time. A direction holds a pipe only while bytes stream
/// through it and gives it back empty; a pipe given back with bytes in it (its session ended abortively)
/// is closed instead of reused.
/// </summary>
internal sealed class PipePool : IDisposable
{
    private readonly Stack<KernelPipe> _free = new();
    private readonly int _requestedSize;
    private int _created;
    private int _used;
    private bool _disposed;

    /// <param name="maxPipes">The most pipes at once (0 = none: every direction copies).</param>
    /// <param name="pipeSize">The size asked of the kernel (<c>F_SETPIPE_SZ</c>); 0 = its default.</param>
    public PipePool(int maxPipes, int pipeSize)
    {
        MaxPipes = maxPipes;
        _requestedSize = pipeSize;
    }

    /// <summary>HAProxy's <c>Maxpipes</c>.</summary>
    public int MaxPipes { get; }

    /// <summary>Pipes held by connections now (HAProxy's <c>PipesUsed</c>).</summary>
    public int Used => Volatile.Read(ref _used);

    /// <summary>Pipes made and waiting in the pool (HAProxy's <c>PipesFree</c>).</summary>
    public int Free
    {
        get
        {
            lock (_free)
            {
                return _free.Count;
            }
        }
    }

    /// <summary>Takes a free pipe, or makes one while fewer than <see cref="MaxPipes"/> exist. False when
    /// the limit is reached or the kernel refuses one (out of descriptors): the caller copies instead.</summary>
    public bool TryRent(out KernelPipe pipe)
    {
        lock (_free)
        {
            if (!_disposed && _free.TryPop(out pipe))
            {
                _used++;
                return true;
            }

            if (_disposed || _created >= MaxPipes)
            {
                pipe = default;
                return false;
            }

            _created++;
            _used++;
        }

        if (Create(out pipe))
        {
            return true;
        }

        lock (_free)
        {
            _created--;
            _used--;
        }

        return false;
    }

    /// <summary>Gives a pipe back: kept for reuse when <paramref name="empty"/>, else closed.</summary>
    public void Return(KernelPipe pipe, bool empty)
    {
        lock (_free)
        {
            _used--;
            if (empty && !_disposed)
            {
                _free.Push(pipe);
                return;
            }

            _created--;
        }

        Close(pipe);
    }

    /// <summary>Closes the free pipes; pipes still held are closed when given back.</summary>
    public void Dispose()
    {
        KernelPipe[] free;
        lock (_free)
        {
            _disposed = true;
            free = [.. _free];
            _created -= free.Length;
            _free.Clear();
        }

        foreach (var pipe in free)
        {
            Close(pipe);
        }
    }

    private unsafe bool Create(out KernelPipe pipe)
    {
        int* fds = stackalloc int[2];
        if (LinuxNative.pipe2(fds, LinuxNative.ONonblock | LinuxNative.OCloexec) != 0)
        {
            pipe = default;
            return false;
        }

        int size = _requestedSize > 0 ? LinuxNative.fcntl(fds[1], LinuxNative.FSetPipeSize, _requestedSize) : -1;
        if (size <= 0)
        {
            // The kernel's own size (or a refused F_SETPIPE_SZ, e.g. above pipe-max-size): ask what it is.
            size = LinuxNative.fcntl(fds[1], LinuxNative.FGetPipeSize, 0);
        }

        pipe = new KernelPipe(fds[0], fds[1], size > 0 ? size : 65536);
        return true;
    }

    private static void Close(KernelPipe pipe)
    {
        LinuxNative.close(pipe.ReadFd);
        LinuxNative.close(pipe.WriteFd);
    }
}
