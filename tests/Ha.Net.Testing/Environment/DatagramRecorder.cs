using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;

namespace Ha.Net.Testing.Environment;

/// <summary>An AF_UNIX datagram socket that records what it receives (sd_notify, syslog), for as long as the test runs.</summary>
public sealed class DatagramRecorder : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly ConcurrentQueue<string> _received = new();
    private readonly Task _loop;

    /// <summary>Binds <paramref name="path"/> (a leading NUL names an abstract socket) and starts recording.</summary>
    /// <param name="path">The socket path.</param>
    public DatagramRecorder(string path)
    {
        Path = path;
        _socket.Bind(new UnixDomainSocketEndPoint(path));
        _loop = Task.Run(async () =>
        {
            var buffer = new byte[65536];
            while (true)
            {
                int n;
                try
                {
                    n = await _socket.ReceiveAsync(buffer, SocketFlags.None);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }

                _received.Enqueue(Encoding.UTF8.GetString(buffer, 0, n));
            }
        });
    }

    /// <summary>The socket's name as given (<c>@name</c> for an abstract socket: bind with a leading NUL).</summary>
    public string Path { get; }

    /// <summary>Every datagram so far, in arrival order, as UTF-8 text.</summary>
    public IReadOnlyList<string> Received => [.. _received];

    /// <summary>Waits (bounded) until <paramref name="count"/> datagrams match; returns them.</summary>
    /// <param name="match">Which datagrams count.</param>
    /// <param name="timeout">The bound.</param>
    /// <param name="count">How many are needed.</param>
    /// <returns>The matching datagrams.</returns>
    public async Task<List<string>> WaitForAsync(Func<string, bool> match, TimeSpan timeout, int count = 1)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var found = _received.Where(match).ToList();
            if (found.Count >= count)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{count} datagram(s) expected, got: {string.Join(" | ", _received)}");
            }

            await Task.Delay(20);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _socket.Dispose();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
