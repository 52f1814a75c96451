using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Ha.Net.Vrrp.Keepalived;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.VrrpDaemon;

/// <summary>One alert mail, fully described when queued (a reload may change global_defs meanwhile).</summary>
internal sealed record SmtpAlert(string Server, int Port, TimeSpan ConnectTimeout, string Helo, string From, IReadOnlyList<string> To, string Subject, string Body);

/// <summary>
/// keepalived's <c>smtp_alert</c>: one mail per transition to <c>notification_email</c> through <c>smtp_server</c>,
/// subject <c>[router_id] VRRP Instance VI_1 - Entering MASTER state</c> and keepalived's body lines. The dialogue is
/// keepalived's (HELO, MAIL FROM, RCPT TO each, DATA, QUIT) but the HELO name is the host's fully qualified name (or
/// <c>smtp_helo_name</c>), never keepalived 1.x's "(null)". Mails are sent one after the other in the background.
/// </summary>
internal sealed class SmtpAlerter
{
    private readonly Channel<SmtpAlert> _queue = Channel.CreateUnbounded<SmtpAlert>();
    private readonly ILogger _logger;
    private readonly Task _loop;

    public SmtpAlerter(ILogger logger)
    {
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>The HELO name when <c>smtp_helo_name</c> is not set: the canonical name of the host (as <c>hostname -f</c>).</summary>
    public static string LocalFqdn()
    {
        var host = Dns.GetHostName();
        try
        {
            var canonical = Dns.GetHostEntry(host).HostName;
            if (!string.IsNullOrWhiteSpace(canonical))
            {
                return canonical;
            }
        }
        catch (SocketException)
        {
        }

        return string.IsNullOrWhiteSpace(host) ? "localhost" : host;
    }

    /// <summary>Queues the alert of an instance's transition if <c>smtp_alert</c> and the global settings ask for one.</summary>
    public void Alert(KeepalivedGlobalDefs g, KeepalivedVrrpInstance vi, string state)
    {
        if (!vi.SmtpAlert || g.SmtpServer is null || g.NotificationEmails.Count == 0)
        {
            return;
        }

        var (subject, body) = state switch
        {
            "MASTER" => ("Entering MASTER state", "=> VRRP Instance is now owning VRRP VIPs <="),
            "BACKUP" => ("Entering BACKUP state", "=> VRRP Instance is nolonger owning VRRP VIPs <="),
            "FAULT" => ("Entering FAULT state", "=> VRRP Instance is nolonger owning VRRP VIPs <="),
            _ => ("Stopping", "=> VRRP Instance stopping <="),
        };
        var routerId = g.RouterId ?? Dns.GetHostName();
        var fqdn = g.SmtpHeloName ?? LocalFqdn();
        var from = g.NotificationEmailFrom ?? "keepalived@" + fqdn;
        _queue.Writer.TryWrite(new SmtpAlert(g.SmtpServer, g.SmtpServerPort, g.SmtpConnectTimeout, fqdn, from, [.. g.NotificationEmails],
            $"[{routerId}] VRRP Instance {vi.Name} - {subject}", body));
    }

    /// <summary>Stops taking alerts and waits (bounded) for the queued ones to be sent.</summary>
    public async Task DrainAsync(TimeSpan bound)
    {
        _queue.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(bound);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("SMTP alerts still queued after {Seconds} s; dropped", bound.TotalSeconds);
        }
    }

    private async Task RunAsync()
    {
        await foreach (var alert in _queue.Reader.ReadAllAsync())
        {
            try
            {
                await SendAsync(alert);
                _logger.LogInformation("SMTP alert successfully sent.");
            }
            catch (Exception ex) when (ex is SocketException or IOException or SmtpDialogueException or OperationCanceledException)
            {
                _logger.LogWarning("Error sending SMTP alert to [{Server}]:{Port}: {Error}", alert.Server, alert.Port, ex.Message);
            }
        }
    }

    private async Task SendAsync(SmtpAlert alert)
    {
        using var timeout = new CancellationTokenSource(alert.ConnectTimeout > TimeSpan.Zero ? alert.ConnectTimeout : TimeSpan.FromSeconds(30));
        using var client = new TcpClient();
        await client.ConnectAsync(alert.Server, alert.Port, timeout.Token);
        _logger.LogInformation("Remote SMTP server [{Server}]:{Port} connected.", alert.Server, alert.Port);
        using var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII, false, 1024, leaveOpen: true);
        var ct = timeout.Token;

        await Expect(reader, "220", ct);
        await Command(stream, reader, $"HELO {alert.Helo}", "250", ct);
        await Command(stream, reader, $"MAIL FROM:<{alert.From}>", "250", ct);
        foreach (var to in alert.To)
        {
            await Command(stream, reader, $"RCPT TO:<{to}>", "250", ct);
        }

        await Command(stream, reader, "DATA", "354", ct);
        var message = new StringBuilder()
            .Append("Date: ").Append(RfcDate(DateTimeOffset.Now)).Append("\r\n")
            .Append(CultureInfo.InvariantCulture, $"From: {alert.From}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Subject: {alert.Subject}\r\n")
            .Append("X-Mailer: Ha.Net hanet-vrrpd (keepalived-compatible)\r\n")
            .Append(CultureInfo.InvariantCulture, $"To: {string.Join(", ", alert.To.Select(t => "<" + t + ">"))}\r\n")
            .Append("\r\n")
            .Append(alert.Body).Append("\r\n")
            .Append(".\r\n");
        await Write(stream, message.ToString(), ct);
        await Expect(reader, "250", ct);
        await Command(stream, reader, "QUIT", "221", ct);
    }

    private static string RfcDate(DateTimeOffset d) =>
        d.ToString("ddd, dd MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture) + (d.Offset < TimeSpan.Zero ? "-" : "+") + d.Offset.ToString("hhmm", CultureInfo.InvariantCulture);

    private static async Task Command(NetworkStream stream, StreamReader reader, string line, string code, CancellationToken ct)
    {
        await Write(stream, line + "\r\n", ct);
        await Expect(reader, code, ct);
    }

    private static Task Write(NetworkStream stream, string text, CancellationToken ct) =>
        stream.WriteAsync(Encoding.ASCII.GetBytes(text), ct).AsTask();

    private static async Task Expect(StreamReader reader, string code, CancellationToken ct)
    {
        while (true)
        {
            var line = await reader.ReadLineAsync(ct) ?? throw new SmtpDialogueException($"the server closed the connection (expected {code})");
            if (line.Length >= 4 && line[3] == '-')
            {
                continue; // multi-line reply
            }

            if (!line.StartsWith(code, StringComparison.Ordinal))
            {
                throw new SmtpDialogueException($"expected {code}, got '{line}'");
            }

            return;
        }
    }
}

internal sealed class SmtpDialogueException(string message) : Exception(message);
