using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ha.Net.Proxy.Haproxy;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.ProxyDaemon;

/// <summary>
/// HAProxy's stats socket (<c>stats socket /run/haproxy.sock</c> or <c>ipv4@127.0.0.1:9999</c>): a line
/// protocol. Without <c>prompt</c> one line (';'-separated commands) is run and the connection closed;
/// <c>prompt</c> switches to interactive mode (a "> " prompt after each answer) until <c>quit</c>.
/// </summary>
internal sealed partial class RuntimeSocket : IAsyncDisposable
{
    private const int MaxLine = 16 * 1024;
    private readonly RuntimeSocketConfig _config;
    private readonly HaproxyRuntimeApi _commands;
    private readonly ILogger _logger;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private Task _acceptLoop = Task.CompletedTask;

    public RuntimeSocket(RuntimeSocketConfig config, HaproxyRuntimeApi commands, ILogger logger)
    {
        _config = config;
        _commands = commands;
        _logger = logger;
        if (config.UnixPath is { } path)
        {
            _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            TryDeleteStale(path);
            _listener.Bind(new UnixDomainSocketEndPoint(path));
            if (config.Mode is { } mode)
            {
                File.SetUnixFileMode(path, mode);
            }

            if ((config.Uid ?? config.Gid) is not null && chown(path, config.Uid ?? -1, config.Gid ?? -1) != 0)
            {
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                _listener.Dispose();
                throw new SocketException(errno, $"cannot change UNIX socket ownership of {path} (errno {errno})");
            }
        }
        else
        {
            var ep = config.TcpEndPoint!;
            _listener = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listener.Bind(ep);
        }

        _listener.Listen(16);
    }

    public string Description => _config.UnixPath ?? _config.TcpEndPoint!.ToString();

    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true, StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    private static partial int chown(string path, int owner, int group);

    public EndPoint? LocalEndPoint => _listener.LocalEndPoint;

    public void Start() => _acceptLoop = AcceptLoopAsync();

    private static void TryDeleteStale(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        // A socket file nobody listens on is a leftover of a previous run; a live one is an error (bind fails).
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            File.Delete(path);
        }
    }

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
                LogAcceptFailed(_logger, Description, ex.Message);
                continue;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(_config.Timeout);
        await using var stream = new NetworkStream(client, ownsSocket: true);
        var reader = PipeReader.Create(stream);
        var writer = PipeWriter.Create(stream);
        var interactive = false;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(timeout.Token);
                var buffer = result.Buffer;
                var closed = false;
                while (TryReadLine(ref buffer, out var line))
                {
                    var text = line.Trim();
                    timeout.CancelAfter(_config.Timeout);
                    string answer;
                    if (text == "prompt")
                    {
                        interactive = !interactive;
                        answer = "";
                    }
                    else if (text == "quit")
                    {
                        closed = true;
                        break;
                    }
                    else
                    {
                        answer = _commands.Execute(text, _config.Admin);
                    }

                    if (interactive)
                    {
                        answer += "> ";
                    }

                    await writer.WriteAsync(Encoding.UTF8.GetBytes(answer), timeout.Token);
                    if (!interactive)
                    {
                        closed = true;
                        break;
                    }
                }

                if (!closed && result.IsCompleted && buffer.Length > 0)
                {
                    // The last command without its newline (echo -n 'show stat' | socat ...).
                    var last = Encoding.UTF8.GetString(buffer).Trim();
                    buffer = buffer.Slice(buffer.End);
                    if (last is not ("quit" or "prompt"))
                    {
                        await writer.WriteAsync(Encoding.UTF8.GetBytes(_commands.Execute(last, _config.Admin)), timeout.Token);
                    }
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (closed || result.IsCompleted)
                {
                    break;
                }

                if (buffer.Length > MaxLine)
                {
                    await writer.WriteAsync("Command line too long.\n"u8.ToArray(), timeout.Token);
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
        {
            // Client gone or idle past 'stats timeout'.
        }
        finally
        {
            await reader.CompleteAsync();
            await writer.CompleteAsync();
        }
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out string line)
    {
        var position = buffer.PositionOf((byte)'\n');
        if (position is null)
        {
            line = "";
            return false;
        }

        line = Encoding.UTF8.GetString(buffer.Slice(0, position.Value)).TrimEnd('\r');
        buffer = buffer.Slice(buffer.GetPosition(1, position.Value));
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _acceptLoop;
        if (_config.UnixPath is { } path)
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
            }
        }

        _stop.Dispose();
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "stats socket {Socket}: accept failed: {Reason}")]
    private static partial void LogAcceptFailed(ILogger logger, string socket, string reason);
}
