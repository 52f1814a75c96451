using System.Net.Sockets;
using System.Text;

namespace Ha.Net.HealthChecks.Probes;

/// <summary>
/// HAProxy's <c>option tcp-check</c>: connect, then the steps in order (send bytes, expect a string, a
/// regular expression or bytes in what the server sent). L7OK once every step passed; L7RSP when the
/// server closed or filled the buffer without a match; L7TOUT when the monitor's timeout came first;
/// L4CON/L4TOUT when the connect failed.
/// </summary>
internal sealed class TcpCheckProbe(TcpCheckProbeOptions options, TimeProvider time) : IHealthProbe
{
    public async ValueTask<CheckResult> ProbeAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var (socket, failure) = await ProbeIo.ConnectAsync(options, time, started, cancellationToken).ConfigureAwait(false);
        if (socket is null)
        {
            return failure;
        }

        using var buffer = new ReceiveBuffer(options.ReceiveBufferSize);
        int step = 0;
        try
        {
            if (options.SendProxy != ProxyProtocolVersion.None)
            {
                await socket.SendAsync(ProbeIo.ProxyHeader(options.SendProxy, socket), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }

            // HAProxy numbers the implicit connect as step 1.
            for (step = 0; step < options.Steps.Count; step++)
            {
                var rule = options.Steps[step];
                if (rule.Action == TcpCheckAction.Send)
                {
                    await socket.SendAsync(rule.Bytes, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                while (true)
                {
                    int matchEnd = rule.Match(buffer.Data);
                    if (matchEnd >= 0)
                    {
                        // The next expect looks at what came after this match.
                        buffer.Consume(matchEnd);
                        break;
                    }

                    int read = await buffer.FillAsync(socket, cancellationToken).ConfigureAwait(false);
                    if (read <= 0)
                    {
                        string why = read == 0 ? "the server closed the connection" : "the receive buffer is full";
                        return ProbeIo.Result(CheckStatus.L7Response, null,
                            $"TCPCHK did not match content {rule.Description} at step {step + 2} ({why}; received '{ProbeIo.Printable(buffer.Data)}')", time, started);
                    }
                }
            }

            return ProbeIo.Result(CheckStatus.L7Ok, null, "(tcp-check)", time, started);
        }
        catch (OperationCanceledException)
        {
            string at = step < options.Steps.Count ? $" at step {step + 2} of tcp-check ({options.Steps[step].Description})" : "";
            return ProbeIo.Result(CheckStatus.L7Timeout, null, "Layer7 timeout" + at, time, started);
        }
        catch (SocketException ex)
        {
            return ProbeIo.Result(CheckStatus.L7Response, null, $"{ProbeIo.Describe(ex)} at step {step + 2} of tcp-check", time, started);
        }
        finally
        {
            socket.Dispose();
        }
    }
}

/// <summary>What one <c>tcp-check</c> step does.</summary>
public enum TcpCheckAction
{
    /// <summary>Send bytes (<c>tcp-check send</c>, <c>send-binary</c>).</summary>
    Send,

    /// <summary>Wait until the bytes received contain a string (<c>tcp-check expect string</c>).</summary>
    ExpectString,

    /// <summary>Wait until the bytes received, read as Latin-1 text, match a regular expression (<c>expect rstring</c>).</summary>
    ExpectRegex,

    /// <summary>Wait until the bytes received contain a byte sequence (<c>tcp-check expect binary</c>).</summary>
    ExpectBinary,
}

/// <summary>One step of a <see cref="TcpCheckProbeOptions"/> script. Create with the static methods.</summary>
public sealed record TcpCheckStep
{
    private TcpCheckStep(TcpCheckAction action, ReadOnlyMemory<byte> bytes, System.Text.RegularExpressions.Regex? pattern, string description)
    {
        Action = action;
        Bytes = bytes;
        Pattern = pattern;
        Description = description;
    }

    /// <summary>What the step does.</summary>
    public TcpCheckAction Action { get; }

    /// <summary>The bytes sent, or looked for.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>The regular expression of <see cref="TcpCheckAction.ExpectRegex"/>.</summary>
    public System.Text.RegularExpressions.Regex? Pattern { get; }

    /// <summary>The step as HAProxy's messages quote it (<c>'+PONG'</c>, <c>regex '^OK'</c>, <c>binary '0a'</c>).</summary>
    public string Description { get; }

    /// <summary>Sends <paramref name="text"/> as Latin-1 bytes (HAProxy's config escapes such as <c>\r\n</c> already applied).</summary>
    public static TcpCheckStep Send(string text) => new(TcpCheckAction.Send, Latin1(text), null, $"send '{text}'");

    /// <summary>Sends raw bytes (<c>send-binary</c>).</summary>
    public static TcpCheckStep SendBinary(byte[] bytes) => new(TcpCheckAction.Send, bytes, null, $"send-binary '{Convert.ToHexStringLower(bytes)}'");

    /// <summary>Waits for <paramref name="text"/> (Latin-1) anywhere in what has arrived.</summary>
    public static TcpCheckStep ExpectString(string text) => new(TcpCheckAction.ExpectString, Latin1(text), null, $"'{text}'");

    /// <summary>Waits for <paramref name="bytes"/> anywhere in what has arrived.</summary>
    public static TcpCheckStep ExpectBinary(byte[] bytes) => new(TcpCheckAction.ExpectBinary, bytes, null, $"binary '{Convert.ToHexStringLower(bytes)}'");

    /// <summary>Waits until what has arrived matches <paramref name="pattern"/> (a .NET regular expression, bounded to 1 s per match).</summary>
    public static TcpCheckStep ExpectRegex(string pattern) => new(
        TcpCheckAction.ExpectRegex, default,
        new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)),
        $"regex '{pattern}'");

    /// <summary>Where the match ends in <paramref name="data"/>, or −1 (a send never matches).</summary>
    internal int Match(ReadOnlySpan<byte> data)
    {
        switch (Action)
        {
            case TcpCheckAction.ExpectString or TcpCheckAction.ExpectBinary:
                int at = data.IndexOf(Bytes.Span);
                return at < 0 ? -1 : at + Bytes.Length;
            case TcpCheckAction.ExpectRegex:
                var m = Pattern!.Match(Encoding.Latin1.GetString(data));
                return m.Success ? m.Index + m.Length : -1;
            default:
                return -1;
        }
    }

    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);
}

/// <summary>HAProxy's <c>option tcp-check</c> with its <c>tcp-check send|send-binary|expect</c> rules.</summary>
public sealed record TcpCheckProbeOptions : NetworkProbeOptions
{
    /// <summary>The steps after the connect, in order; none = a plain connect check reported as L7OK.</summary>
    public IReadOnlyList<TcpCheckStep> Steps { get; init; } = [];

    /// <summary>The most bytes an expect looks through before it fails (HAProxy's <c>tune.bufsize</c>); default 16 KiB.</summary>
    public int ReceiveBufferSize { get; init; } = 16 * 1024;

    /// <inheritdoc />
    protected override void Validate(List<string> errors)
    {
        base.Validate(errors);
        if (Steps is null)
        {
            errors.Add("Steps must not be null.");
        }
        else
        {
            for (int i = 0; i < Steps.Count; i++)
            {
                if (Steps[i] is null)
                {
                    errors.Add(Invariant($"Steps[{i}] must not be null."));
                }
                else if (Steps[i].Action != TcpCheckAction.ExpectRegex && Steps[i].Bytes.IsEmpty)
                {
                    errors.Add(Invariant($"Steps[{i}] ({Steps[i].Description}) has no bytes."));
                }
            }
        }

        if (ReceiveBufferSize is < 64 or > 1024 * 1024)
        {
            errors.Add(Invariant($"ReceiveBufferSize must be between 64 and 1048576, was {ReceiveBufferSize}."));
        }
    }
}
