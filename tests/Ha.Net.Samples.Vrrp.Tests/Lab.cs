using System.Net;
using System.Net.Sockets;
using Ha.Net.Samples.Lab;

namespace Ha.Net.Samples.Vrrp.Tests;

/// <summary>
/// One test's network namespace (the shared <see cref="NetnsLab"/>, prefix <c>hvd</c>) with a veth pair <c>vd0</c>/<c>vd1</c>
/// inside it (both up, 198.18.0.1/24 on vd0) and the lab's directory; disposal kills what runs in the namespace and deletes
/// it and the directory.
/// </summary>
internal sealed partial class Lab : IAsyncDisposable
{
    private readonly NetnsLab _lab = new("hvd");

    public Lab()
    {
        try
        {
            Namespace = _lab.AddNamespace("n");
            _lab.Veth(Namespace, "vd0", "vd1");
            NetnsLab.AddAddress(Namespace, "198.18.0.1/24", "vd0");
        }
        catch
        {
            _lab.Dispose();
            throw;
        }
    }

    public string Namespace { get; }

    public string Directory => _lab.Directory;

    /// <summary>The addresses on vd0, as <c>ip -o addr show</c> prints them.</summary>
    public string Addresses => NetnsLab.Ip($"-n {Namespace} -o addr show dev vd0");

    /// <summary>
    /// A TCP listener on 127.0.0.1:<paramref name="port"/> inside the namespace (its socket is created by a thread that
    /// entered the namespace) relaying each connection to <paramref name="target"/> in the test's own namespace.
    /// </summary>
    public async Task RelayAsync(int port, IPEndPoint target)
    {
        var listener = await InNamespaceAsync(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, port));
            s.Listen(16);
            return s;
        });
        var cts = new CancellationTokenSource();
        var loop = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                Socket inbound;
                try
                {
                    inbound = await listener.AcceptAsync(cts.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    using var a = inbound;
                    using var b = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    await b.ConnectAsync(target);
                    using var sa = new NetworkStream(a);
                    using var sb = new NetworkStream(b);
                    await Task.WhenAny(sa.CopyToAsync(sb), sb.CopyToAsync(sa)).WaitAsync(TimeSpan.FromSeconds(60));
                });
            }
        });
        _lab.Own(new Relay(async () =>
        {
            await cts.CancelAsync();
            listener.Dispose();
            try
            {
                await loop.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
            }

            cts.Dispose();
        }));
    }

    public string WriteFile(string name, string content, UnixFileMode mode = (UnixFileMode)0b110_100_100)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    public ValueTask DisposeAsync() => _lab.DisposeAsync();

    private Task<T> InNamespaceAsync<T>(Func<T> action) => NetnsLab.InNamespace(Namespace, action);

    /// <summary>The relay's listener and accept loop, stopped first at teardown.</summary>
    private sealed class Relay(Func<Task> stop) : IDisposable, IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await stop();

        public void Dispose() => stop().GetAwaiter().GetResult();
    }
}
