using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ha.Net.Testing.Proxy;

/// <summary>Small client helpers for proxy tests (bounded reads, generous timeouts).</summary>
public static class ProxyTestClient
{
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    /// <summary>A TCP port free on 127.0.0.1 right now (for a process that must be told its port), below the
    /// kernel's ephemeral range so no test's outgoing connection can hold it (see <see cref="HealthChecks.SparePort.Next"/>).</summary>
    public static int FreePort() => HealthChecks.SparePort.Next();

    public static async Task<Socket> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint).WaitAsync(Generous);
        return socket;
    }

    /// <summary>Reads one '\n'-terminated line (at most 4 KiB); null at end of stream.</summary>
    public static async Task<string?> ReadLineAsync(Socket socket)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count < 4096)
        {
            int n = await socket.ReceiveAsync(one.AsMemory(), SocketFlags.None).AsTask().WaitAsync(Generous);
            if (n == 0)
            {
                return bytes.Count == 0 ? null : Encoding.ASCII.GetString([.. bytes]);
            }

            if (one[0] == '\n')
            {
                return Encoding.ASCII.GetString([.. bytes]);
            }

            bytes.Add(one[0]);
        }

        throw new InvalidOperationException("Line too long.");
    }

    /// <summary>Reads until end of stream (bounded to <paramref name="max"/> bytes).</summary>
    public static async Task<byte[]> ReadToEndAsync(Socket socket, int max = 1 << 20)
    {
        var result = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (result.Length <= max)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(Generous);
            if (n == 0)
            {
                return result.ToArray();
            }

            result.Write(buffer, 0, n);
        }

        throw new InvalidOperationException("More data than expected.");
    }

    /// <summary>Waits (bounded, polling) until <paramref name="condition"/> holds.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Generous);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for: {what}");
            }

            await Task.Delay(10);
        }
    }
}
