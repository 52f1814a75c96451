using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ha.Net.Samples.Demo.Mail;

/// <summary>
/// A small but real SMTP server (RFC 5321 subset: HELO/EHLO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP,
/// QUIT) that stores every accepted message as a file in its directory and names itself in the greeting.
/// Used where Postfix cannot run (the in-memory story, which needs no root) and as the site's relay for
/// keepalived's alert mails.
/// </summary>
internal sealed class SmtpSink : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly string _name;
    private int _stored;

    private SmtpSink(Socket listener, string name, string directory)
    {
        _listener = listener;
        _name = name;
        Directory = directory;
        _accepting = AcceptLoop();
    }

    public string Directory { get; }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public int Stored => Volatile.Read(ref _stored);

    public static SmtpSink Start(IPEndPoint endPoint, string name, string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(endPoint);
        listener.Listen(128);
        return new SmtpSink(listener, name, directory);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        _stop.Dispose();
    }

    private async Task AcceptLoop()
    {
        var sessions = new List<Task>();
        try
        {
            while (true)
            {
                var client = await _listener.AcceptAsync(_stop.Token);
                sessions.Add(Session(client));
                sessions.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        await Task.WhenAll(sessions);
    }

    private async Task Session(Socket client)
    {
        using var _ = client;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var ct = timeout.Token;
        try
        {
            await using var stream = new NetworkStream(client, ownsSocket: false);
            using var reader = new StreamReader(stream, Encoding.ASCII, false, 4096, leaveOpen: true);
            async Task Say(string line) => await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), ct);
            await Say($"220 {_name}.home.local ESMTP Ha.Net demo SMTP sink");
            string? from = null;
            var to = new List<string>();
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                var verb = (line.Length >= 4 ? line[..4] : line).ToUpperInvariant();
                switch (verb)
                {
                    case "HELO": await Say($"250 {_name}.home.local"); break;
                    case "EHLO": await Say($"250-{_name}.home.local\r\n250 8BITMIME"); break;
                    case "MAIL": from = line[5..].Trim(); to.Clear(); await Say("250 2.1.0 Ok"); break;
                    case "RCPT" when from is not null: to.Add(line[3..].Trim()); await Say("250 2.1.5 Ok"); break;
                    case "DATA" when to.Count > 0:
                        {
                            await Say("354 End data with <CR><LF>.<CR><LF>");
                            var body = new StringBuilder();
                            while (await reader.ReadLineAsync(ct) is { } data && data != ".")
                            {
                                body.Append(data.StartsWith("..", StringComparison.Ordinal) ? data[1..] : data).Append("\r\n");
                            }

                            var id = Interlocked.Increment(ref _stored).ToString("X6", CultureInfo.InvariantCulture);
                            await File.WriteAllTextAsync(Path.Combine(Directory, $"{id}.eml"), $"X-Envelope-From: {from}\r\nX-Envelope-To: {string.Join(", ", to)}\r\n{body}", ct);
                            from = null;
                            to.Clear();
                            await Say($"250 2.0.0 Ok: queued as {id}");
                            break;
                        }

                    case "RSET": from = null; to.Clear(); await Say("250 2.0.0 Ok"); break;
                    case "NOOP": await Say("250 2.0.0 Ok"); break;
                    case "QUIT": await Say("221 2.0.0 Bye"); return;
                    default: await Say("503 5.5.1 Error: bad sequence of commands or unknown command"); break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ArgumentOutOfRangeException)
        {
        }
    }
}
