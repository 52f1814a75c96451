using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Ha.Net.Vrrp.Hosting;
using Ha.Net.Vrrp.Linux;
using Ha.Net.Vrrp.Linux.Addresses;
using Ha.Net.Vrrp.Linux.Transport;
using Microsoft.Extensions.Logging;

namespace Ha.Net.VrrpNode;

/// <summary>
/// <c>Ha.Net.VrrpNode [options]</c> runs one VRRP instance until SIGTERM/SIGINT (graceful stop:
/// priority-0 advert, VIPs removed); <c>serve PORT</c> accepts and closes TCP connections;
/// <c>probe IP:PORT SECONDS [INTERVAL_MS]</c> connects every interval and reports the outages.
/// State changes are printed as <c>STATE VI_1 MASTER 150 &lt;unix ms&gt;</c> lines for tests and scripts.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        try
        {
            return args.Length > 0 && args[0] == "serve" ? await Serve(args)
                : args.Length > 0 && args[0] == "probe" ? await Probe.RunAsync(args)
                : await RunNode(NodeArguments.Parse(args));
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            await Console.Error.WriteLineAsync("Ha.Net.VrrpNode: " + ex.Message);
            return 2;
        }
    }

    private static async Task<int> RunNode(NodeArguments a)
    {
        using var loggerFactory = LoggerFactory.Create(b => b
            .SetMinimumLevel(a.Debug ? LogLevel.Debug : LogLevel.Information)
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.UseUtcTimestamp = true;
            }));
        var log = loggerFactory.CreateLogger("Ha.Net.VrrpNode");
        var o = a.Router;

        // A node killed with SIGKILL left its VIPs behind: remove them before anything can become master.
        await using var binder = LinuxVrrpBackend.OpenAddressBinder(new NetlinkAddressBinderOptions { OnExternalRemoval = a.OnVipRemoved }, loggerFactory);
        await binder.RemoveStaleAsync(o.VirtualAddresses.Concat(o.ExcludedVirtualAddresses), CancellationToken.None);
        await using var announcer = LinuxVrrpBackend.OpenAnnouncer(loggerFactory);
        await using var links = LinuxVrrpBackend.StartLinkMonitor(loggerFactory);
        var family = o.VirtualAddresses.Count > 0 ? o.VirtualAddresses[0].Address.AddressFamily : AddressFamily.InterNetwork;
        var transport = LinuxVrrpBackend.OpenTransport(new RawVrrpTransportOptions
        {
            InterfaceName = o.InterfaceName,
            AddressFamily = family,
            SourceAddress = o.SourceAddress,
            UnicastPeers = [.. o.UnicastPeers],
            MulticastGroup = o.MulticastGroup,
            CheckUnicastSource = o.CheckUnicastSource,
            UnicastTtl = a.UnicastTtl,
        }, loggerFactory);

        await using var router = VirtualRouter.Create(o, transport, binder, announcer, loggerFactory: loggerFactory);
        router.StateChanged += (_, e) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"STATE {e.InstanceName} {e.KeepalivedState} {e.EffectivePriority} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} {e.Reason}"));
        binder.RemovedExternally += (_, e) =>
        {
            if (!e.Restored)
            {
                router.ReportAddressRemoved(e.Address.Address);
            }
        };
        links.LinkStateChanged += (_, e) =>
        {
            if (e.InterfaceName == o.InterfaceName)
            {
                router.SetLinkState(e.IsUp);
            }

            if (a.TrackInterfaces.Contains(e.InterfaceName))
            {
                router.SetTrackedObjectState(e.InterfaceName, e.IsUp);
            }
        };

        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });

        await router.StartAsync(CancellationToken.None);
        router.SetLinkState(links.IsUp(o.InterfaceName));
        foreach (var name in a.TrackInterfaces)
        {
            router.SetTrackedObjectState(name, links.IsUp(name));
        }

        using var files = a.TrackFiles.Count > 0 ? new PeriodicTimer(TimeSpan.FromMilliseconds(50)) : null;
        var fileLoop = files is null ? Task.CompletedTask : PollFiles(files, a, router, stop.Token);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        log.LogInformation("Stopping");
        await router.StopAsync(CancellationToken.None);
        await fileLoop;
        return 0;
    }

    private static async Task PollFiles(PeriodicTimer timer, NodeArguments a, IVirtualRouter router, CancellationToken cancellationToken)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                foreach (var (path, name) in a.TrackFiles)
                {
                    router.SetTrackedObjectState(name, File.Exists(path));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary><c>serve PORT</c>: accept TCP connections on every address; each is closed when the client closes it
    /// (closing first would race the client's connect completion with a reset).</summary>
    private static async Task<int> Serve(string[] args)
    {
        var port = int.Parse(args[1], CultureInfo.InvariantCulture);
        using var listener = new TcpListener(IPAddress.Any, port);
        listener.Start(1024);
        Console.WriteLine($"serving on {port}");
        while (true)
        {
            var client = await listener.AcceptSocketAsync();
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        await client.ReceiveAsync(new byte[1], SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10));
                    }
                    catch (Exception ex) when (ex is SocketException or TimeoutException)
                    {
                    }
                }
            });
        }
    }
}
