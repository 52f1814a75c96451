using Microsoft.Extensions.Hosting;

namespace Ha.Net.Proxy.Hosting;

/// <summary>Starts the proxy with the host; stops it gracefully with the host.</summary>
internal sealed class TcpProxyHostedService(ITcpProxy proxy) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => proxy.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => proxy.StopAsync(cancellationToken);
}
