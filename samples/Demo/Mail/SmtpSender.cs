using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ha.Net.Samples.Demo.Mail;

/// <summary>One send: when it started and ended (Unix ms), whether the server queued it, and which backend said so.</summary>
internal sealed record MailResult(int Sequence, long StartMs, long EndMs, bool Ok, string Backend, string Detail)
{
    /// <summary><c>MAIL seq=1 start=… end=… ok=1 backend=mx1 detail=…</c>: the line the client child prints for the demo.</summary>
    public string ToLine() => string.Create(CultureInfo.InvariantCulture,
        $"MAIL seq={Sequence} start={StartMs} end={EndMs} ok={(Ok ? 1 : 0)} backend={(Backend.Length == 0 ? "-" : Backend)} detail={Detail.Replace(' ', '_')}");

    public static MailResult? Parse(string line)
    {
        if (!line.StartsWith("MAIL ", StringComparison.Ordinal))
        {
            return null;
        }

        var f = line[5..].Split(' ').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        return new MailResult(
            int.Parse(f["seq"], CultureInfo.InvariantCulture),
            long.Parse(f["start"], CultureInfo.InvariantCulture),
            long.Parse(f["end"], CultureInfo.InvariantCulture),
            f["ok"] == "1",
            f["backend"] == "-" ? "" : f["backend"],
            f.GetValueOrDefault("detail", ""));
    }
}

/// <summary>
/// A real SMTP client dialogue (RFC 5321): greeting, EHLO, MAIL FROM, RCPT TO, DATA, the message, QUIT.
/// The backend is the host name in the 220 greeting (the first label: <c>mx1.home.local ESMTP ...</c> → mx1).
/// </summary>
internal static class SmtpSender
{
    public static async Task<MailResult> SendAsync(Func<IPEndPoint?> target, int sequence, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        string backend = "";
        try
        {
            var endpoint = target() ?? throw new SocketException((int)SocketError.HostUnreachable);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(endpoint, cts.Token);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            using var reader = new StreamReader(stream, Encoding.ASCII, false, 1024, leaveOpen: true);
            var greeting = await Expect(reader, "220", cts.Token);
            backend = greeting.Split(' ', 2)[0].Split('.')[0];
            await Command(stream, reader, "EHLO client.home.local", "250", cts.Token);
            await Command(stream, reader, "MAIL FROM:<client@home.local>", "250", cts.Token);
            await Command(stream, reader, "RCPT TO:<support@home.local>", "250", cts.Token);
            await Command(stream, reader, "DATA", "354", cts.Token);
            var now = DateTimeOffset.UtcNow;
            var message = string.Create(CultureInfo.InvariantCulture, $"""
                From: Ha.Net demo client <client@home.local>
                To: <support@home.local>
                Subject: Ha.Net demo mail {sequence}
                Date: {now:ddd, dd MMM yyyy HH:mm:ss} +0000
                Message-ID: <demo-{sequence}-{now.ToUnixTimeMilliseconds()}@client.home.local>

                Mail {sequence} of the Ha.Net demo, sent to the VIP through hanet-proxyd.
                .

                """).ReplaceLineEndings("\r\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes(message), cts.Token);
            var queued = await Expect(reader, "250", cts.Token);
            await Command(stream, reader, "QUIT", "221", cts.Token);
            var id = queued.Contains("queued as ", StringComparison.Ordinal) ? queued[(queued.IndexOf("queued as ", StringComparison.Ordinal) + 10)..].Trim() : queued;
            return new MailResult(sequence, start, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), true, backend, "queued_as_" + id);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or SmtpReplyException)
        {
            var detail = ex switch
            {
                SocketException se => se.SocketErrorCode.ToString(),
                OperationCanceledException => "timeout",
                SmtpReplyException sr => sr.Message,
                _ => "connection_lost",
            };
            return new MailResult(sequence, start, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), false, backend, detail);
        }
    }

    private static async Task Command(NetworkStream stream, StreamReader reader, string command, string code, CancellationToken ct)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), ct);
        await Expect(reader, code, ct);
    }

    /// <summary>Reads one (possibly multi-line) reply and checks its code; returns the text of its last line.</summary>
    private static async Task<string> Expect(StreamReader reader, string code, CancellationToken ct)
    {
        while (true)
        {
            var line = await reader.ReadLineAsync(ct) ?? throw new IOException("connection closed");
            if (line.Length < 4 || line[3] == ' ' || line.Length == 3)
            {
                return line.StartsWith(code, StringComparison.Ordinal) ? (line.Length > 4 ? line[4..] : "")
                    : throw new SmtpReplyException($"expected_{code}_got_{line.Replace(' ', '_')}");
            }
        }
    }
}

internal sealed class SmtpReplyException(string message) : Exception(message);
