using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ha.Net.HealthChecks.Probes;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Hosting;
using Ha.Net.Testing.Environment;
using Ha.Net.Testing.Logging;
using Ha.Net.Testing.Proxy;

namespace Ha.Net.Proxy.Tests.Functional;

/// <summary>Ha.Net's <c>accept-proxy</c> against the PROXY headers a real HAProxy 2.6 sends.</summary>
public class HaproxyInteropTests
{
    [RequiresTheory("cmd:haproxy")]
    [InlineData("send-proxy")]
    [InlineData("send-proxy-v2")]
    public async Task RealHaproxysHeader_IsReadByAcceptProxy(string sendProxy)
    {
        // client -> haproxy (mode tcp, server ... send-proxy[-v2]) -> Ha.Net (accept-proxy, send-proxy v1) -> server.
        // The server sees Ha.Net's v1 header built from what HAProxy said: the client and HAProxy's frontend.
        var received = new ConcurrentQueue<string>();
        await using var server = TestServer.Recorder(received);
        var logs = new ListLoggerProvider();
        await using var proxy = new TcpProxy(
            new ProxyOptions
            {
                Frontends = [new FrontendOptions { Name = "fe", Bind = new IPEndPoint(IPAddress.Loopback, 0), Backend = "be", AcceptProxy = true, ClientTimeout = TimeSpan.FromSeconds(30) }],
                Backends = [new BackendOptions { Name = "be", Servers = [new ServerOptions { Name = "s1", Address = server.EndPoint, SendProxy = ProxyProtocolVersion.V1 }] }],
                HardStopAfter = TimeSpan.FromSeconds(5),
            },
            logs);
        await proxy.StartAsync();

        var dir = Directory.CreateTempSubdirectory("hanet-haproxy-interop-");
        try
        {
            int haproxyPort = ProxyTestClient.FreePort();
            var cfg = Path.Combine(dir.FullName, "haproxy.cfg");
            await File.WriteAllTextAsync(cfg, $"""
                global
                    maxconn 100
                defaults
                    mode tcp
                    timeout connect 5s
                    timeout client 30s
                    timeout server 30s
                frontend in
                    bind 127.0.0.1:{haproxyPort}
                    default_backend hanet
                backend hanet
                    server h1 127.0.0.1:{proxy.GetFrontendEndPoint("fe").Port} {sendProxy}

                """);
            await using var haproxy = ChildProcess.Start(Prerequisites.FindExecutable("haproxy")!, ["-db", "-f", cfg], "haproxy");
            using var client = await ConnectWhenListeningAsync(new IPEndPoint(IPAddress.Loopback, haproxyPort), haproxy);
            int clientPort = ((IPEndPoint)client.LocalEndPoint!).Port;
            await client.SendAsync("hello\n"u8.ToArray());
            client.Shutdown(SocketShutdown.Send);

            Assert.Equal("ok\n", Encoding.ASCII.GetString(await ProxyTestClient.ReadToEndAsync(client)));
            Assert.Equal($"PROXY TCP4 127.0.0.1 127.0.0.1 {clientPort} {haproxyPort}\r\nhello\n", Assert.Single(received));
            await ProxyTestClient.WaitUntilAsync(() => logs.Entries.Any(e => e.Id.Id == 3001), "tcplog line");
            Assert.StartsWith($"127.0.0.1:{clientPort} [", Assert.Single(logs.Entries, e => e.Id.Id == 3001).Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Connects once HAProxy listens (bounded: a refused connect is retried for up to 30 s).</summary>
    private static async Task<Socket> ConnectWhenListeningAsync(IPEndPoint endPoint, ChildProcess haproxy)
    {
        var deadline = DateTime.UtcNow + ProxyTestClient.Generous;
        while (true)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(endPoint);
                return socket;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused && DateTime.UtcNow < deadline && !haproxy.HasExited)
            {
                socket.Dispose();
                await Task.Delay(50);
            }
            catch (SocketException)
            {
                socket.Dispose();
                throw new InvalidOperationException($"haproxy is not listening on {endPoint}; its output:\n{haproxy.Output}");
            }
        }
    }
}
