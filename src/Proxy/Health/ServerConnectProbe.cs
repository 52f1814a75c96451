using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Ha.Net.HealthChecks;
using Ha.Net.HealthChecks.Probes;
using Ha.Net.Proxy.Configuration;

namespace Ha.Net.Proxy.Health;

/// <summary>
/// HAProxy's default server check: "the connection can be established" (cfg §5.2 <c>check</c>),
/// with the server's PROXY header when it has <c>send-proxy</c>/<c>send-proxy-v2</c> (an MTA that
/// expects the header says nothing until it has it), then an orderly close.
/// </summary>
internal sealed class ServerConnectProbe : IHealthProbe
{
    private readonly IPEndPoint _target;
    private readonly ProxyProtocolVersion _sendProxy;
    private readonly TimeProvider _time;

    public ServerConnectProbe(ServerOptions server, TimeProvider time)
    {
        _target = server.Check?.Port is { } port ? new IPEndPoint(server.Address.Address, port) : server.Address;
        _sendProxy = server.SendProxy;
        _time = time;
    }

    public async ValueTask<CheckResult> ProbeAsync(CancellationToken cancellationToken)
    {
        long start = _time.GetTimestamp();
        using var socket = new Socket(_target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(_target, cancellationToken).ConfigureAwait(false);
            if (_sendProxy != ProxyProtocolVersion.None)
            {
                var header = new byte[ProxyProtocolHeader.MaxLength(_sendProxy)];
                int length = ProxyProtocolHeader.Write(_sendProxy, (IPEndPoint)socket.LocalEndPoint!, (IPEndPoint)socket.RemoteEndPoint!, header);
                await socket.SendAsync(header.AsMemory(0, length), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }

            socket.Shutdown(SocketShutdown.Both);
            return new CheckResult(CheckStatus.L4Ok, null, null, _time.GetElapsedTime(start));
        }
        catch (OperationCanceledException)
        {
            return new CheckResult(CheckStatus.L4Timeout, null, "Layer4 timeout", _time.GetElapsedTime(start));
        }
        catch (SocketException e)
        {
            Debug.Assert(e.SocketErrorCode != SocketError.Success);
            return new CheckResult(CheckStatus.L4ConnectionError, null, e.Message, _time.GetElapsedTime(start));
        }
    }
}
