using System.Net;
using System.Net.Sockets;
using System.Text;
using Ha.Net.Testing.Environment;
using Ha.Net.Testing.Proxy;

namespace Ha.Net.ProxyDaemon.Tests;

/// <summary>#15 item 2: out of file descriptors is a state, not a crash.</summary>
public sealed class DescriptorLimitTests
{
    [Fact]
    public async Task UnderUlimit512_ManyMoreClientsThanDescriptors_DaemonStaysUp_ServerStaysUp_AndServesAfterwards()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var echo = TestServer.Echo();
        int port = ProxyTestClient.FreePort();
        var dir = Directory.CreateTempSubdirectory("hanet-proxyd-fd-");
        try
        {
            var cfg = Path.Combine(dir.FullName, "haproxy.cfg");
            await File.WriteAllTextAsync(cfg, $"""
                defaults
                    mode tcp
                    timeout connect 5s
                    timeout client 30s
                    timeout server 30s
                frontend fe
                    bind 127.0.0.1:{port}
                    default_backend be
                backend be
                    server s1 127.0.0.1:{echo.EndPoint.Port} check inter 300ms
                """);

            // No maxconn: HAProxy derives it from ulimit -n; so must we, or the process runs out of descriptors.
            await using var daemon = ChildProcess.Start("bash", ["-c", $"ulimit -n 512 && exec '{ProxyDaemon.DotnetHost}' '{ProxyDaemon.DaemonDll}' -f '{cfg}'"], "hanet-proxyd");
            await daemon.ExpectOutputAsync("Loading success", TimeSpan.FromSeconds(30));
            var endPoint = new IPEndPoint(IPAddress.Loopback, port);

            // 800 clients at once: the kernel's backlog takes those beyond maxconn (they wait, as behind HAProxy).
            var clients = new List<Socket>();
            try
            {
                var connects = Enumerable.Range(0, 800).Select(async _ =>
                {
                    var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    try
                    {
                        await s.ConnectAsync(endPoint, cts.Token);
                        lock (clients)
                        {
                            clients.Add(s);
                        }
                    }
                    catch (Exception e) when (e is SocketException or OperationCanceledException)
                    {
                        s.Dispose(); // a full backlog drops the SYN: that client fails, nothing else does
                    }
                });
                await Task.WhenAll(connects);
                Assert.True(clients.Count > 300, $"only {clients.Count} clients connected");

                // Several check intervals pass with the proxy at its limit.
                await Task.Delay(TimeSpan.FromSeconds(2));
                Assert.False(daemon.HasExited, daemon.Output);
            }
            finally
            {
                foreach (var s in clients)
                {
                    s.Dispose();
                }
            }

            // Once the clients are gone, it serves again.
            await ProxyTestClient.WaitUntilAsync(() => TryEcho(endPoint), "a new client is served again");
            Assert.False(daemon.HasExited, daemon.Output);
            var output = daemon.Output;
            Assert.DoesNotContain("is DOWN", output, StringComparison.Ordinal);
            Assert.DoesNotContain("Out of memory", output, StringComparison.Ordinal);
            Assert.DoesNotContain("accept failed", output, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static bool TryEcho(IPEndPoint endPoint)
    {
        try
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 2000, SendTimeout = 2000 };
            s.Connect(endPoint);
            s.Send(Encoding.ASCII.GetBytes("ping\n"));
            var buffer = new byte[16];
            return s.Receive(buffer) > 0;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
