using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using static Ha.Net.Testing.Environment.ProcessRunner;

namespace Ha.Net.Samples.Vrrp.Tests;

/// <summary>
/// One test's network namespace <c>hvd{random}</c> with a veth pair <c>vd0</c>/<c>vd1</c> inside it (both up,
/// 198.18.0.1/24 on vd0) and a temp directory; disposal kills what runs in the namespace and deletes it and the directory.
/// </summary>
internal sealed partial class Lab : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    public Lab()
    {
        Namespace = "hvd" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "x" + Random.Shared.Next(0x1000, 0xFFFF).ToString("x4", System.Globalization.CultureInfo.InvariantCulture);
        Directory = System.IO.Directory.CreateTempSubdirectory("hanet-vrrpd-test-").FullName;
        File.SetUnixFileMode(Directory, (UnixFileMode)0b111_101_101);
        try
        {
            Run("ip", $"netns add {Namespace}");
            Run("ip", $"-n {Namespace} link set lo up");
            Run("ip", $"-n {Namespace} link add vd0 type veth peer name vd1");
            Run("ip", $"-n {Namespace} link set vd0 up");
            Run("ip", $"-n {Namespace} link set vd1 up");
            Run("ip", $"-n {Namespace} addr add 198.18.0.1/24 dev vd0");
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!Run("ip", $"-n {Namespace} -o link show vd0").Contains(",LOWER_UP", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10);
            }
        }
        catch
        {
            Cleanup();
            throw;
        }
    }

    public string Namespace { get; }

    public string Directory { get; }

    /// <summary>The addresses on vd0, as <c>ip -o addr show</c> prints them.</summary>
    public string Addresses => Run("ip", $"-n {Namespace} -o addr show dev vd0");

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
        _owned.Add(new Disposer(async () =>
        {
            await cts.CancelAsync();
            listener.Dispose();
            await loop.WaitAsync(TimeSpan.FromSeconds(10));
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

    public async ValueTask DisposeAsync()
    {
        foreach (var o in _owned)
        {
            try
            {
                await o.DisposeAsync();
            }
            catch (TimeoutException)
            {
            }
        }

        Cleanup();
    }

    private void Cleanup()
    {
        try
        {
            foreach (var pid in Run("ip", $"netns pids {Namespace}").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                try
                {
                    using var process = Process.GetProcessById(int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture));
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(5_000);
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
                {
                }
            }

            Run("ip", $"netns del {Namespace}");
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Task<T> InNamespaceAsync<T>(Func<T> action)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle(Path.Combine("/run/netns", Namespace), FileMode.Open, FileAccess.Read);
                if (Setns((int)handle.DangerousGetHandle(), 0x40000000 /* CLONE_NEWNET */) != 0)
                {
                    throw new IOException($"setns({Namespace}) failed: errno {Marshal.GetLastPInvokeError()}");
                }

                done.SetResult(action());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        { IsBackground = true };
        thread.Start();
        return done.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int Setns(int fd, int nstype);

    private sealed class Disposer(Func<Task> dispose) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await dispose();
    }
}
