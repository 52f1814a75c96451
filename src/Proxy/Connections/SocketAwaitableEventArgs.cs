using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace Ha.Net.Proxy.Connections;

/// <summary>
/// A reusable <see cref="SocketAsyncEventArgs"/> that is awaited as a
/// <see cref="ValueTask{TResult}"/> of <see cref="SocketResult"/>: no allocation per operation,
/// no exception per error (Kestrel's <c>SocketAwaitableEventArgs</c> idea). One instance serves one
/// direction of a connection, whose receive and send never overlap.
/// </summary>
internal sealed class SocketAwaitableEventArgs : SocketAsyncEventArgs, IValueTaskSource<SocketResult>
{
    private ManualResetValueTaskSourceCore<SocketResult> _core;

    public SocketAwaitableEventArgs()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
        // Completions arrive on the socket engine's thread-pool work item already; running the
        // continuation inline saves a second hop.
        _core.RunContinuationsAsynchronously = false;
    }

    private SocketResult CurrentResult => SocketError == SocketError.Success
        ? new SocketResult(BytesTransferred)
        : new SocketResult(SocketError);

    public ValueTask<SocketResult> ReceiveAsync(Socket socket, Memory<byte> buffer)
    {
        _core.Reset();
        SetBuffer(buffer);
        try
        {
            if (socket.ReceiveAsync(this))
            {
                return new ValueTask<SocketResult>(this, _core.Version);
            }
        }
        catch (ObjectDisposedException)
        {
            return new ValueTask<SocketResult>(new SocketResult(SocketError.OperationAborted));
        }

        return new ValueTask<SocketResult>(CurrentResult);
    }

    public ValueTask<SocketResult> SendAsync(Socket socket, ReadOnlyMemory<byte> buffer)
    {
        _core.Reset();
        SetBuffer(System.Runtime.InteropServices.MemoryMarshal.AsMemory(buffer));
        try
        {
            if (socket.SendAsync(this))
            {
                return new ValueTask<SocketResult>(this, _core.Version);
            }
        }
        catch (ObjectDisposedException)
        {
            return new ValueTask<SocketResult>(new SocketResult(SocketError.OperationAborted));
        }

        return new ValueTask<SocketResult>(CurrentResult);
    }

    public ValueTask<SocketResult> ConnectAsync(Socket socket, EndPoint remote)
    {
        _core.Reset();
        SetBuffer(Memory<byte>.Empty);
        RemoteEndPoint = remote;
        try
        {
            if (socket.ConnectAsync(this))
            {
                return new ValueTask<SocketResult>(this, _core.Version);
            }
        }
        catch (ObjectDisposedException)
        {
            return new ValueTask<SocketResult>(new SocketResult(SocketError.OperationAborted));
        }
        catch (SocketException e)
        {
            return new ValueTask<SocketResult>(new SocketResult(e.SocketErrorCode));
        }

        return new ValueTask<SocketResult>(CurrentResult);
    }

    public ValueTask<SocketResult> AcceptAsync(Socket listener)
    {
        _core.Reset();
        AcceptSocket = null;
        try
        {
            if (listener.AcceptAsync(this))
            {
                return new ValueTask<SocketResult>(this, _core.Version);
            }
        }
        catch (ObjectDisposedException)
        {
            return new ValueTask<SocketResult>(new SocketResult(SocketError.OperationAborted));
        }

        return new ValueTask<SocketResult>(CurrentResult);
    }

    protected override void OnCompleted(SocketAsyncEventArgs e) => _core.SetResult(CurrentResult);

    SocketResult IValueTaskSource<SocketResult>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<SocketResult>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<SocketResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
