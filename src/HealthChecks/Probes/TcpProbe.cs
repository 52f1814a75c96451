using System.Net.Sockets;

namespace Ha.Net.HealthChecks.Probes;

/// <summary>HAProxy's plain <c>check</c>: L4OK when the TCP connection is accepted (after an optional PROXY header).</summary>
internal sealed class TcpProbe(TcpProbeOptions options, TimeProvider time) : IHealthProbe
{
    private static readonly LingerOption ResetOnClose = new(true, 0);

    public async ValueTask<CheckResult> ProbeAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var (socket, failure) = await ProbeIo.ConnectAsync(options, time, started, cancellationToken, noDelay: options.SendProxy != ProxyProtocolVersion.None).ConfigureAwait(false);
        if (socket is null)
        {
            return failure;
        }

        try
        {
            if (options.SendProxy != ProxyProtocolVersion.None)
            {
                await socket.SendAsync(ProbeIo.ProxyHeader(options.SendProxy, socket), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }

            return ProbeIo.Result(CheckStatus.L4Ok, null, null, time, started); // HAProxy: no check info on a plain L4OK
        }
        catch (OperationCanceledException)
        {
            return ProbeIo.Result(CheckStatus.L4Timeout, null, "Timeout sending the PROXY header", time, started);
        }
        catch (SocketException ex)
        {
            return ProbeIo.Result(CheckStatus.L4ConnectionError, null, ex.Message, time, started);
        }
        finally
        {
            if (options.CloseWithReset)
            {
                // SO_LINGER with a zero timeout: close sends RST, no TIME_WAIT on our side.
                socket.LingerState = ResetOnClose;
            }

            socket.Dispose();
        }
    }
}
