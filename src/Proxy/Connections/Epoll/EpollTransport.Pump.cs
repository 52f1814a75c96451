using System.Buffers;
using static Ha.Net.Proxy.Connections.Epoll.LinuxNative;

namespace Ha.Net.Proxy.Connections.Epoll;

/// <summary>
/// How each direction moves its bytes: copied through the loop's buffer, or spliced through a kernel pipe.
/// </summary>
/// <remarks>
/// <para><b>Copy.</b> A read goes into the loop's buffer and is sent straight on; only bytes the target
/// cannot take now are copied into a rented buffer (this direction's pending data), and the direction
/// reads no more until they are gone. Short reads wait in the loop's arena and go out at the end of its
/// turn, so the peers are woken once per burst, as HAProxy's I/O runs after its polling.</para>
/// <para><b>Splice.</b> socket → pipe → socket with <c>SPLICE_F_MOVE|SPLICE_F_NONBLOCK</c>, the pipe
/// emptied before the next read, so an <c>EAGAIN</c> from the read side always means the socket is
/// drained (a full pipe is never the cause). A direction takes a pipe from the shared pool when it reads
/// and gives it back empty when its source is drained, so idle connections hold none. It splices from
/// the first byte when forced (<c>splice-request</c>/<c>splice-response</c>), or under <c>splice-auto</c>
/// from the first copy read that fills the whole buffer: bulk transfers move in the kernel, while
/// request/response exchanges smaller than a buffer keep the copy path and its per-turn batching. No pipe
/// free, or a socket that refuses splice (<c>EINVAL</c>), and the direction copies.</para>
/// <para>A direction that keeps finding data yields after <see cref="RoundsPerTurn"/> rounds so that one
/// bulk transfer cannot starve the loop's other connections.</para>
/// </remarks>
internal sealed partial class EpollTransport
{
    private const int RoundsPerTurn = 16;
    private const int MinDeferSpace = 16 * 1024;

    /// <summary>Asks splice for as much as the pipe takes (the kernel stops at its capacity).</summary>
    private const int SpliceChunk = 1 << 30;

    private Direction _up;
    private Direction _down;
    private bool _again;
    private bool _spliceAuto;

    /// <summary>One direction's state.</summary>
    private struct Direction
    {
        /// <summary>Bytes read but not yet accepted by the target (rented), from <see cref="Offset"/>.</summary>
        public byte[]? Pending;
        public int Offset;
        public int Count;
        public bool SourceEnded;
        public bool Deferred;
        public bool FinSent;

        /// <summary>This direction splices (forced, or it streams under splice-auto).</summary>
        public bool Splice;
        public bool HasPipe;
        public KernelPipe Pipe;

        /// <summary>Bytes in the pipe, not yet spliced out.</summary>
        public int InPipe;
    }

    /// <summary>Moves data one way until the source is drained, the target is full, or the turn is over.</summary>
    private unsafe void Pump(bool upstream)
    {
        ref var direction = ref upstream ? ref _up : ref _down;
        ref byte source = ref upstream ? ref _clientReady : ref _serverReady;
        ref byte target = ref upstream ? ref _serverReady : ref _clientReady;
        int sourceFd = upstream ? _clientFd : _serverFd;
        var loop = _loop;
        for (int round = 0; round < RoundsPerTurn; round++)
        {
            if (_closed || direction.Deferred)
            {
                return;
            }

            if (direction.Pending is { } pending)
            {
                if ((target & MayWrite) == 0)
                {
                    return;
                }

                int sent;
                fixed (byte* p = &pending[direction.Offset])
                {
                    sent = TrySend(upstream, p, direction.Count);
                }

                if (sent < 0)
                {
                    return;
                }

                direction.Offset += sent;
                direction.Count -= sent;
                if (direction.Count > 0)
                {
                    WaitWritable(upstream);
                    return;
                }

                ArrayPool<byte>.Shared.Return(pending);
                direction.Pending = null;
                StopWaitingWritable(upstream);
                Touch();
                continue;
            }

            if (direction.InPipe > 0)
            {
                if ((target & MayWrite) == 0 || !SpliceOut(upstream, ref direction))
                {
                    return;
                }

                continue;
            }

            if (direction.SourceEnded)
            {
                if (!direction.FinSent)
                {
                    direction.FinSent = true;
                    ReleasePipe(ref direction);
                    _session.OnSourceEnded(upstream);
                }

                return;
            }

            if ((source & MayRead) == 0)
            {
                return;
            }

            if (direction.Splice && (direction.HasPipe || TakePipe(ref direction)))
            {
                nint spliced = splice(sourceFd, 0, direction.Pipe.WriteFd, 0, SpliceChunk, SpliceFMove | SpliceFNonblock);
                if (spliced > 0)
                {
                    direction.InPipe = (int)spliced;
                    Touch();
                    _session.CountBytes(upstream, (int)spliced, spliced: true);
                    continue;
                }

                if (spliced == 0)
                {
                    direction.SourceEnded = true;
                    continue;
                }

                int spliceErrno = Errno;
                if (spliceErrno == EAgain)
                {
                    // The pipe is empty here, so the socket is drained: the pipe goes back until more comes.
                    source &= unchecked((byte)~MayRead);
                    ReleasePipe(ref direction);
                    return;
                }

                if (spliceErrno is EInval or ENoSys)
                {
                    // This socket refuses splice: copy from now on.
                    direction.Splice = false;
                    ReleasePipe(ref direction);
                    continue;
                }

                _session.OnFailed(client: upstream, ToSocketError(spliceErrno));
                return;
            }

            // Read into the arena when this read may be deferred, else into the scratch buffer.
            bool defer = !loop.Flushing && loop.Arena.Length - loop.ArenaUsed >= MinDeferSpace;
            byte* at = defer ? loop.ArenaPointer + loop.ArenaUsed : loop.BufferPointer;
            int size = defer ? loop.Arena.Length - loop.ArenaUsed : loop.Buffer.Length;
            nint received = recv(sourceFd, at, size, MsgDontWait);
            if (received > 0)
            {
                int count = (int)received;
                Touch();
                _session.CountBytes(upstream, count);
                bool drained = count < size;
                if (drained && (source & PeerClosed) == 0)
                {
                    // Drained: the next edge says when there is more.
                    source &= unchecked((byte)~MayRead);
                    if (defer)
                    {
                        direction.Deferred = true;
                        loop.Defer(this, upstream ? 0 : 1, count);
                        return;
                    }
                }
                else if (!drained && _spliceAuto && count >= MinDeferSpace)
                {
                    // splice-auto: a read that filled the buffer means this direction streams.
                    direction.Splice = true;
                }

                // A short read after the peer's FIN arrived: the next read is the end, and the FIN
                // passed on right after this send can ride in the same segment (MSG_MORE holds the
                // data until shutdown() or close() pushes it, as HAProxy does before a shutw).
                if (!SendOut(upstream, at, count, more: drained && (source & PeerClosed) != 0))
                {
                    return;
                }

                continue;
            }

            if (received == 0)
            {
                direction.SourceEnded = true;
                continue;
            }

            int readErrno = Errno;
            if (readErrno == EAgain)
            {
                source &= unchecked((byte)~MayRead);
                return;
            }

            _session.OnFailed(client: upstream, ToSocketError(readErrno));
            return;
        }

        if (!_again)
        {
            _again = true;
            loop.Again(this);
        }
    }

    /// <summary>Empties the pipe into the target as far as it takes; false when the pump must stop
    /// (the target is full, or failed).</summary>
    private bool SpliceOut(bool upstream, ref Direction direction)
    {
        nint sent = splice(direction.Pipe.ReadFd, 0, upstream ? _serverFd : _clientFd, 0, direction.InPipe, SpliceFMove | SpliceFNonblock);
        if (sent > 0)
        {
            direction.InPipe -= (int)sent;
            if (direction.InPipe > 0)
            {
                WaitWritable(upstream);
                return false;
            }

            StopWaitingWritable(upstream);
            Touch();
            return true;
        }

        int errno = sent == 0 ? EAgain : Errno;
        if (errno == EAgain)
        {
            WaitWritable(upstream);
            return false;
        }

        _session.OnFailed(client: !upstream, ToSocketError(errno));
        return false;
    }

    private bool TakePipe(ref Direction direction)
    {
        if (!_pipes!.TryRent(out direction.Pipe))
        {
            return false;
        }

        direction.HasPipe = true;
        return true;
    }

    private void ReleasePipe(ref Direction direction)
    {
        if (direction.HasPipe)
        {
            direction.HasPipe = false;
            _pipes!.Return(direction.Pipe, empty: direction.InPipe == 0);
            direction.InPipe = 0;
        }
    }

    private void Touch() => Volatile.Write(ref _session.LastActivity, _session.Runtime.Time.GetTimestamp());

    /// <summary>Sends <paramref name="count"/> bytes at <paramref name="data"/> to this direction's target;
    /// what it does not take now becomes pending (rented). False when the pump must stop.</summary>
    private unsafe bool SendOut(bool upstream, byte* data, int count, bool more = false)
    {
        ref var direction = ref upstream ? ref _up : ref _down;
        byte target = upstream ? _serverReady : _clientReady;
        int sent = (target & MayWrite) != 0 ? TrySend(upstream, data, count, more) : 0;
        if (sent < 0)
        {
            return false;
        }

        if (sent < count)
        {
            // The target took only part: keep the rest, and read no more until it is gone.
            WaitWritable(upstream);
            var rest = ArrayPool<byte>.Shared.Rent(Math.Max(count - sent, 4096));
            new ReadOnlySpan<byte>(data + sent, count - sent).CopyTo(rest);
            direction.Pending = rest;
            direction.Offset = 0;
            direction.Count = count - sent;
            return false;
        }

        return true;
    }

    /// <summary>One non-blocking send to this direction's target: the bytes taken (0 when it would
    /// block), or -1 after a socket error, which has been reported.</summary>
    private unsafe int TrySend(bool upstream, byte* data, int count, bool more = false)
    {
        nint sent = send(upstream ? _serverFd : _clientFd, data, count, MsgDontWait | MsgNoSignal | (more ? MsgMore : 0));
        if (sent >= 0)
        {
            return (int)sent;
        }

        int errno = Errno;
        if (errno == EAgain)
        {
            return 0;
        }

        _session.OnFailed(client: !upstream, ToSocketError(errno));
        return -1;
    }

    unsafe void IEpollHandler.OnDeferred(int direction, int offset, int count)
    {
        bool upstream = direction == 0;
        (upstream ? ref _up : ref _down).Deferred = false;
        if (_closed)
        {
            return;
        }

        if (SendOut(upstream, _loop.ArenaPointer + offset, count))
        {
            Pump(upstream);
        }
    }

    /// <summary>The target of this direction took less than offered: note it and ask for its write readiness.</summary>
    private void WaitWritable(bool upstream)
    {
        if (upstream)
        {
            _serverReady &= unchecked((byte)~MayWrite);
            if (!_serverWatchWrite && _serverFd >= 0)
            {
                _serverWatchWrite = true;
                _loop.Modify(_serverFd, _slot, TagServer, write: true);
            }
        }
        else
        {
            _clientReady &= unchecked((byte)~MayWrite);
            if (!_clientWatchWrite && _clientFd >= 0)
            {
                _clientWatchWrite = true;
                _loop.Modify(_clientFd, _slot, TagClient, write: true);
            }
        }
    }

    /// <summary>This direction's pending data went out: stop watching its target for write readiness.</summary>
    private void StopWaitingWritable(bool upstream)
    {
        if (upstream ? _serverWatchWrite : _clientWatchWrite)
        {
            if (upstream)
            {
                _serverWatchWrite = false;
                _loop.Modify(_serverFd, _slot, TagServer, write: false);
            }
            else
            {
                _clientWatchWrite = false;
                _loop.Modify(_clientFd, _slot, TagClient, write: false);
            }
        }
    }
}
