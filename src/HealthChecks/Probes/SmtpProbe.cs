using System.Net.Sockets;
using System.Text;

namespace Ha.Net.HealthChecks.Probes;

/// <summary>
/// HAProxy 2.6.12's <c>option smtpchk</c> (hap:<c>src/tcpcheck.c</c> <c>do_parse_smtpchk_opt</c>):
/// <list type="number">
/// <item>connect (L4CON / L4TOUT), optionally send a PROXY header;</item>
/// <item>wait for the greeting without sending anything: it must be an SMTP reply (else L7RSP) with a 2xx code (else L7STS);</item>
/// <item>send <c>HELO|EHLO domain</c>; the reply, possibly multi-line, must be 2xx (else L7STS);</item>
/// <item>send <c>QUIT</c>; the reply must be 2xx (else L7STS);</item>
/// <item>close cleanly with a FIN (HAProxy's <c>linger</c>), then report L7OK with the last reply checked,
/// QUIT's (its code, e.g. 221, is <c>check_code</c>, as HAProxy's <c>status-code</c> of that last expect).</item>
/// </list>
/// One deliberate difference: a multi-line greeting (<c>220-…</c> then <c>220 …</c>, legal per
/// RFC 5321 §4.2) is accepted, where HAProxy's <c>^[0-9]{3}[ \r]</c> would reject it.
/// A timeout after connecting is L7TOUT; a connection closed or reset mid-dialogue is L7RSP.
/// </summary>
internal sealed class SmtpProbe : IHealthProbe
{
    private const int MaxReply = 16384; // HAProxy's tune.bufsize
    private readonly SmtpProbeOptions _options;
    private readonly TimeProvider _time;
    private readonly byte[] _hello;

    public SmtpProbe(SmtpProbeOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _hello = Encoding.ASCII.GetBytes((options.Greeting == SmtpGreeting.Ehlo ? "EHLO " : "HELO ") + options.Domain + "\r\n");
    }

    private static readonly byte[] Quit = "QUIT\r\n"u8.ToArray();

    public async ValueTask<CheckResult> ProbeAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var (socket, failure) = await ProbeIo.ConnectAsync(_options, _time, started, cancellationToken).ConfigureAwait(false);
        if (socket is null)
        {
            return failure;
        }

        using var buffer = new ReceiveBuffer(MaxReply);
        var step = "SMTP greeting";
        var clean = false;
        try
        {
            if (_options.SendProxy != ProxyProtocolVersion.None)
            {
                step = "PROXY header";
                await socket.SendAsync(ProbeIo.ProxyHeader(_options.SendProxy, socket), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                step = "SMTP greeting";
            }

            var greeting = await ReadReplyAsync(socket, buffer, step, started, cancellationToken).ConfigureAwait(false);
            if (greeting.Failure is { } f1)
            {
                return f1;
            }

            if (greeting.Code / 100 != 2)
            {
                return Result(CheckStatus.L7Status, greeting.Code, greeting.Text, started);
            }

            step = _options.Greeting == SmtpGreeting.Ehlo ? "EHLO reply" : "HELO reply";
            await socket.SendAsync(_hello, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            var hello = await ReadReplyAsync(socket, buffer, step, started, cancellationToken).ConfigureAwait(false);
            if (hello.Failure is { } f2)
            {
                return f2;
            }

            if (hello.Code / 100 != 2)
            {
                return Result(CheckStatus.L7Status, hello.Code, hello.Text, started);
            }

            step = "QUIT reply";
            await socket.SendAsync(Quit, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            var quit = await ReadReplyAsync(socket, buffer, step, started, cancellationToken).ConfigureAwait(false);
            if (quit.Failure is { } f3)
            {
                return f3;
            }

            if (quit.Code / 100 != 2)
            {
                return Result(CheckStatus.L7Status, quit.Code, quit.Text, started);
            }

            clean = true;
            return Result(CheckStatus.L7Ok, quit.Code, quit.Text, started);
        }
        catch (OperationCanceledException)
        {
            return Result(CheckStatus.L7Timeout, null, "Timeout waiting for " + step, started);
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return Result(CheckStatus.L7Response, null, $"{ProbeIo.Describe(ex)} while waiting for {step}", started);
        }
        finally
        {
            if (clean)
            {
                try
                {
                    // FIN, not RST: the MTA sees an orderly end after QUIT.
                    socket.Shutdown(SocketShutdown.Send);
                }
                catch (SocketException)
                {
                }
            }

            socket.Dispose();
        }
    }

    private CheckResult Result(CheckStatus status, int? code, string? text, long started) => ProbeIo.Result(status, code, text, _time, started);

    private async ValueTask<Reply> ReadReplyAsync(Socket socket, ReceiveBuffer buffer, string step, long started, CancellationToken cancellationToken)
    {
        while (true)
        {
            switch (SmtpReply.TryParse(buffer.Data, out var consumed, out var code, out var text, out _))
            {
                case SmtpParse.Complete:
                    buffer.Consume(consumed);
                    return new Reply(code, text, null);
                case SmtpParse.Malformed:
                    return new Reply(0, null, Result(CheckStatus.L7Response, null, $"Invalid SMTP reply in {step}: '{text}'", started));
            }

            var n = await buffer.FillAsync(socket, cancellationToken).ConfigureAwait(false);
            if (n < 0)
            {
                return new Reply(0, null, Result(CheckStatus.L7Response, null, $"SMTP reply longer than {MaxReply} bytes in {step}", started));
            }

            if (n == 0)
            {
                var partial = buffer.Data.IsEmpty ? "" : $" after '{ProbeIo.Printable(buffer.Data)}'";
                return new Reply(0, null, Result(CheckStatus.L7Response, null, $"Connection closed by the server while waiting for {step}{partial}", started));
            }
        }
    }

    private readonly record struct Reply(int Code, string? Text, CheckResult? Failure);
}
