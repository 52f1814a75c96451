using System.Net;
using System.Net.Sockets;
using System.Text;
using Ha.Net.Testing.Proxy;

namespace Ha.Net.ProxyDaemon.Tests;

/// <summary>Seed 000's topology on loopback: two fake SMTP servers (banner names the server) behind the daemon.</summary>
internal static class FakeSmtp
{
    /// <summary>An SMTP server that greets with "220 NAME ESMTP", answers HELO/EHLO/NOOP with 250, QUIT with 221.</summary>
    public static TestServer Start(string name) => new(async (s, ct) =>
    {
        await s.SendAsync(Encoding.ASCII.GetBytes($"220 {name} ESMTP\r\n"), SocketFlags.None, ct);
        var buffer = new byte[1024];
        var pending = new StringBuilder();
        while (true)
        {
            var n = await s.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (n == 0)
            {
                return;
            }

            pending.Append(Encoding.ASCII.GetString(buffer, 0, n));
            string text;
            while ((text = pending.ToString()).Contains('\n', StringComparison.Ordinal))
            {
                var line = text[..text.IndexOf('\n', StringComparison.Ordinal)].TrimEnd('\r');
                pending.Remove(0, text.IndexOf('\n', StringComparison.Ordinal) + 1);
                var verb = line.Split(' ')[0].ToUpperInvariant();
                if (verb == "QUIT")
                {
                    await s.SendAsync("221 bye\r\n"u8.ToArray(), SocketFlags.None, ct);
                    return;
                }

                await s.SendAsync(Encoding.ASCII.GetBytes($"250 {name}\r\n"), SocketFlags.None, ct);
            }
        }
    });

    /// <summary>Connects through the proxy and returns the name in the banner (which server took the mail).</summary>
    public static async Task<string> BannerThroughAsync(int port)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        var buffer = new byte[256];
        var received = new StringBuilder();
        while (!received.ToString().Contains('\n', StringComparison.Ordinal))
        {
            var n = await client.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (n == 0)
            {
                break;
            }

            received.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        await client.SendAsync("QUIT\r\n"u8.ToArray(), SocketFlags.None, cts.Token);
        var line = received.ToString().Trim();
        return line.StartsWith("220 ", StringComparison.Ordinal) ? line.Split(' ')[1] : "<" + line + ">";
    }

    /// <summary>Which servers took <paramref name="count"/> new connections.</summary>
    public static async Task<List<string>> BannersAsync(int port, int count)
    {
        var names = new List<string>();
        for (var i = 0; i < count; i++)
        {
            names.Add(await BannerThroughAsync(port));
        }

        return names;
    }
}
