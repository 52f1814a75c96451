using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ha.Net.Testing.HealthChecks;

/// <summary>
/// A TCP server on 127.0.0.1 and a spare port that plays a script for each connection: send lines,
/// read lines, reset, hang, close. Records what each client sent and whether it spoke before the
/// server did, so tests can assert a probe's dialogue byte for byte.
/// </summary>
public sealed class ScriptedServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<ScriptedConnection, Task> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ScriptedConnection> _connections = [];
    private readonly Task _acceptLoop;

    /// <summary>Starts listening; each accepted connection runs <paramref name="script"/>.</summary>
    public ScriptedServer(Func<ScriptedConnection, Task> script)
    {
        _script = script;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Where to connect.</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Connections accepted so far.</summary>
    public IReadOnlyList<ScriptedConnection> Connections
    {
        get { lock (_connections) { return _connections.ToArray(); } }
    }

    /// <summary>Waits (bounded) until <paramref name="count"/> connections have finished their script.</summary>
    public async Task<IReadOnlyList<ScriptedConnection>> WaitForConnectionsAsync(int count = 1)
    {
        for (var i = 0; i < 3000; i++)
        {
            var done = Connections.Where(c => c.Finished.IsCompleted).ToArray();
            if (done.Length >= count)
            {
                return done;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException($"Expected {count} finished connections, have {Connections.Count(c => c.Finished.IsCompleted)} of {Connections.Count}.");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var c in Connections)
        {
            c.Abort();
        }

        try
        {
            await _acceptLoop.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or TimeoutException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var connection = new ScriptedConnection(socket, _stop.Token);
            lock (_connections)
            {
                _connections.Add(connection);
            }

            _ = connection.RunAsync(_script);
        }
    }
}

/// <summary>One accepted connection, driven by a script.</summary>
public sealed class ScriptedConnection
{
    private readonly Socket _socket;
    private readonly CancellationToken _stop;
    private readonly List<byte> _received = [];
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly byte[] _buffer = new byte[4096];
    private int _start;
    private int _end;
    private bool _serverSpoke;

    internal ScriptedConnection(Socket socket, CancellationToken stop)
    {
        _socket = socket;
        _stop = stop;
    }

    /// <summary>Completes when the script has ended (and the socket is closed).</summary>
    public Task Finished => _finished.Task;

    /// <summary>Everything the client sent, as Latin-1 text.</summary>
    public string Received
    {
        get { lock (_received) { return Encoding.Latin1.GetString([.. _received]); } }
    }

    /// <summary>Whether the client sent bytes before the server's first send (SMTP pregreet).</summary>
    public bool ClientSpokeFirst { get; private set; }

    /// <summary>Whether the client closed its side (FIN) before the script ended.</summary>
    public bool ClientClosed { get; private set; }

    /// <summary>Lines the client sent, without CRLF.</summary>
    public IReadOnlyList<string> Lines => Received.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Sends text as-is (Latin-1).</summary>
    public async Task SendAsync(string text)
    {
        if (!_serverSpoke)
        {
            _serverSpoke = true;
            if (_socket.Available > 0)
            {
                ClientSpokeFirst = true;
            }
        }

        await _socket.SendAsync(Encoding.Latin1.GetBytes(text), SocketFlags.None, _stop);
    }

    /// <summary>Reads one line (CRLF or LF); null when the client closed.</summary>
    public async Task<string?> ReadLineAsync()
    {
        while (true)
        {
            var nl = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (nl >= 0)
            {
                var line = Encoding.Latin1.GetString(_buffer, _start, nl - _start).TrimEnd('\r');
                _start = nl + 1;
                return line;
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            var n = await ReceiveAsync(_buffer.AsMemory(_end));
            if (n == 0)
            {
                return null;
            }

            _end += n;
        }
    }

    /// <summary>Reads until the client closes (or <paramref name="bound"/> passes); returns whether it closed.</summary>
    public async Task<bool> WaitForClientCloseAsync(TimeSpan bound)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stop);
        cts.CancelAfter(bound);
        var scratch = new byte[1024];
        try
        {
            while (await ReceiveAsync(scratch, cts.Token) > 0)
            {
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Reads the request head of an HTTP request (up to the empty line).</summary>
    public async Task<IReadOnlyList<string>> ReadHttpRequestHeadAsync()
    {
        var lines = new List<string>();
        while (await ReadLineAsync() is { } line && line.Length > 0)
        {
            lines.Add(line);
        }

        return lines;
    }

    /// <summary>Waits until the test or the server ends (a server that never answers or never closes).</summary>
    public async Task HangAsync()
    {
        try
        {
            await Task.Delay(Timeout.Infinite, _stop);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Closes with RST (SO_LINGER 0).</summary>
    public void Reset()
    {
        _socket.LingerState = new LingerOption(true, 0);
        _socket.Close();
    }

    internal void Abort()
    {
        try
        {
            _socket.Dispose();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    internal async Task RunAsync(Func<ScriptedConnection, Task> script)
    {
        try
        {
            await script(this);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
        }
        finally
        {
            Abort();
            _finished.TrySetResult();
        }
    }

    private async Task<int> ReceiveAsync(Memory<byte> memory, CancellationToken token = default)
    {
        var n = await _socket.ReceiveAsync(memory, SocketFlags.None, token == default ? _stop : token);
        if (n == 0)
        {
            ClientClosed = true;
        }

        lock (_received)
        {
            _received.AddRange(memory.Span[..n]);
        }

        return n;
    }
}
