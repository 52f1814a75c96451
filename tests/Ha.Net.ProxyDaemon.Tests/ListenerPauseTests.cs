using System.Net;
using System.Net.Sockets;

namespace Ha.Net.ProxyDaemon.Tests;

/// <summary>
/// Pausing listeners as HAProxy does: <c>disable frontend</c>/<c>enable frontend</c> on the runtime API, and
/// SIGTTOU/SIGTTIN for every listener, the old-style reload dance (the old process lets go of its ports so a new
/// one can bind them, and listens again when the new one could not start).
/// </summary>
public sealed class ListenerPauseTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task DisableFrontend_RefusesNewConnections_KeepsLiveOnes_AndEnableFrontendListensAgain()
    {
        await using var setup = await Seed000Setup.StartAsync();
        using var live = await ConnectAsync(setup.SmtpPort);

        Assert.Equal("\n", await setup.SocketCommandAsync("disable frontend smtpdc1"));
        Assert.Equal(SocketError.ConnectionRefused, await ConnectErrorAsync(setup.SmtpPort));
        Assert.Equal("All sockets are already disabled.\n\n", await setup.SocketCommandAsync("disable frontend smtpdc1"));
        await setup.Daemon.ExpectOutputAsync("Paused Frontend smtpdc1.", Bound);

        // The connection accepted before the pause still talks to its server.
        await live.SendAsync("NOOP\r\n"u8.ToArray(), SocketFlags.None);
        Assert.StartsWith("250", await ReceiveLineAsync(live), StringComparison.Ordinal);

        Assert.Equal("\n", await setup.SocketCommandAsync("enable frontend smtpdc1"));
        Assert.Equal("All sockets are already enabled.\n\n", await setup.SocketCommandAsync("enable frontend smtpdc1"));
        Assert.Contains("dc1server", await FakeSmtp.BannerThroughAsync(setup.SmtpPort), StringComparison.Ordinal);

        Assert.Equal("No such frontend.\n\n", await setup.SocketCommandAsync("disable frontend nosuch"));
        Assert.Equal("A frontend name is expected.\n\n", await setup.SocketCommandAsync("enable frontend"));
        Assert.Equal("Permission denied\n\n", await setup.SocketCommandAsync("disable frontend smtpdc1", operatorSocket: true));
    }

    [Fact]
    public async Task Sigttou_LetsGoOfEveryPort_AndSigttinTakesThemBack()
    {
        await using var setup = await Seed000Setup.StartAsync();

        setup.Daemon.Signal("TTOU");
        await setup.Daemon.ExpectOutputAsync("Paused Frontend smtpdc1.", Bound);
        Assert.Equal(SocketError.ConnectionRefused, await ConnectErrorAsync(setup.SmtpPort));
        await WaitRefusedAsync(setup.StatsPort);

        // The port is let go: a "new process" can bind it, as a reloading HAProxy's does.
        using (var newcomer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            newcomer.SetRawSocketOption(1, 2, BitConverter.GetBytes(1)); // SO_REUSEADDR alone, as the daemon's listener
            newcomer.Bind(new IPEndPoint(IPAddress.Loopback, setup.SmtpPort));
        }

        // The new process gave up: SIGTTIN, and the old one serves as before.
        setup.Daemon.Signal("TTIN");
        await setup.Daemon.ExpectOutputAsync("Resumed Frontend smtpdc1.", Bound);
        Assert.Contains("dc1server", await FakeSmtp.BannerThroughAsync(setup.SmtpPort), StringComparison.Ordinal);
        using var stats = await ConnectAsync(setup.StatsPort);
        Assert.True(stats.Connected);
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        using var cts = new CancellationTokenSource(Bound);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        return socket;
    }

    private static async Task<SocketError> ConnectErrorAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var cts = new CancellationTokenSource(Bound);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
            return SocketError.Success;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
    }

    /// <summary>The stats page pauses on the same signal, right after the frontends.</summary>
    private static async Task WaitRefusedAsync(int port)
    {
        for (int i = 0; i < 300; i++)
        {
            if (await ConnectErrorAsync(port) == SocketError.ConnectionRefused)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"port {port} still accepts connections");
    }

    private static async Task<string> ReceiveLineAsync(Socket socket)
    {
        using var cts = new CancellationTokenSource(Bound);
        var buffer = new byte[512];
        var text = new System.Text.StringBuilder();
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            Assert.True(n > 0, $"connection closed after '{text}'");
            text.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, n));
            var s = text.ToString();
            // Skip the banner: the answer is the last complete line.
            var lines = s.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
            if (s.EndsWith("\r\n", StringComparison.Ordinal) && lines.Length > 0 && !lines[^1].StartsWith("220", StringComparison.Ordinal))
            {
                return lines[^1];
            }
        }
    }
}
