using System.Net;
using System.Net.Sockets;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ha.Net.Samples.Lab;
using Ha.Net.Testing.Environment;

namespace Ha.Net.Packaging.Tests;

/// <summary>
/// Every README quick start, built as Program.cs of a fresh console app that takes the Ha.Net packages from the
/// local feed only (warnings as errors, so no CA1416 on the documented calls), then run: to its end by default,
/// or driven the way its README says to use it (<see cref="Drivers"/>).
/// </summary>
[Collection(PackagingTestGroup.Name)]
public sealed partial class QuickStartTests(PackedFeed feed)
{
    /// <summary>The TCP balancer of the Ha.Net.Proxy README.</summary>
    private const string ProxyQuickStart = "proxy-tcp-balancer";

    /// <summary>The Linux VRRP host of the Ha.Net.Vrrp.Linux README (runs as root in a namespace).</summary>
    private const string LinuxVrrpQuickStart = "vrrp-linux-host";

    private static readonly TimeSpan RunBound = TimeSpan.FromMinutes(2);

    /// <summary>Quick starts run by a test of their own rather than to completion.</summary>
    private static readonly HashSet<string> Drivers = [ProxyQuickStart, LinuxVrrpQuickStart];

    public static TheoryData<string> AllQuickStarts => new(QuickStart.Discover(RepoRoot()).Select(q => q.Name));

    public static TheoryData<string> QuickStartsThatRunToTheirEnd => new(QuickStart.Discover(RepoRoot()).Select(q => q.Name).Where(n => !Drivers.Contains(n)));

    [Fact]
    public void QuickStartNames_AreUniqueAndTheDrivenOnesExist()
    {
        var names = QuickStart.Discover(feed.RepoRoot).Select(q => q.Name).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.Contains(ProxyQuickStart, names);
        Assert.Contains(LinuxVrrpQuickStart, names);
    }

    [Theory]
    [MemberData(nameof(AllQuickStarts))]
    public void QuickStart_BuildsAgainstTheLocalFeedOnly(string name)
    {
        var app = feed.Build(Find(name));
        Assert.True(File.Exists(app.Dll), $"{name}: no App.dll after the build:\n{app.BuildLog}");

        // Each Ha.Net package the app restored was extracted into the private folder from the local feed.
        using var assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(app.Directory, "obj", "project.assets.json")));
        var haNet = assets.RootElement.GetProperty("libraries").EnumerateObject()
            .Select(l => l.Name.Split('/'))
            .Where(l => l[0].StartsWith("Ha.Net.", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(haNet);
        foreach (var lib in haNet)
        {
            Assert.Equal(feed.Version, lib[1]);
            var metadata = Path.Combine(feed.PackagesDir, lib[0].ToLowerInvariant(), lib[1], ".nupkg.metadata");
            Assert.True(File.Exists(metadata), $"{name}: {lib[0]} was not restored into the private packages folder (taken from a fallback folder?)");
            using var json = JsonDocument.Parse(File.ReadAllText(metadata));
            Assert.Equal(Path.TrimEndingDirectorySeparator(feed.FeedDir), Path.TrimEndingDirectorySeparator(json.RootElement.GetProperty("source").GetString()!));
        }
    }

    [Theory]
    [MemberData(nameof(QuickStartsThatRunToTheirEnd))]
    public async Task QuickStart_RunsToItsEnd(string name)
    {
        var app = feed.Build(Find(name));
        await using var run = ChildProcess.Start("dotnet", [app.Dll], name);
        Assert.True(await run.WaitForExitAsync(RunBound), $"{name} did not end within {RunBound.TotalSeconds} s:\n{run.Output}");
        Assert.True(run.ExitCode == 0, $"{name} exited {run.ExitCode}:\n{run.Output}");
    }

    /// <summary>The proxy quick start balances real TCP connections on loopback between two servers.</summary>
    [Fact]
    public async Task ProxyQuickStart_ForwardsRealBytesRoundRobin()
    {
        var app = feed.Build(Find(ProxyQuickStart));
        using var cts = new CancellationTokenSource(RunBound);
        using var a = new TaggingServer("server-a");
        using var b = new TaggingServer("server-b");
        _ = a.RunAsync(cts.Token);
        _ = b.RunAsync(cts.Token);

        await using var proxy = ChildProcess.Start("dotnet", [app.Dll, "127.0.0.1:0", a.EndPoint.ToString(), b.EndPoint.ToString()], ProxyQuickStart);
        Assert.True(await proxy.WaitForOutputAsync("Listening on ", TimeSpan.FromSeconds(60)), $"the proxy never said where it listens:\n{proxy.Output}");
        var listen = IPEndPoint.Parse(ListeningOn().Match(proxy.Output).Groups["ep"].Value);

        var replies = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var payload = $"hello {i} " + new string('x', 20_000) + "\n"; // more than one segment each way
            replies.Add(await ExchangeAsync(listen, payload, cts.Token));
            Assert.EndsWith(":" + payload, replies[^1], StringComparison.Ordinal);
        }

        // roundrobin: alternate servers, every byte through and back.
        var servers = replies.Select(r => r[..r.IndexOf(':', StringComparison.Ordinal)]).ToList();
        Assert.Equal(2, servers.Distinct(StringComparer.Ordinal).Count());
        Assert.NotEqual(servers[0], servers[1]);
        Assert.Equal(servers[0], servers[2]);

        proxy.Signal("INT"); // Ctrl+C, as the README says
        Assert.True(await proxy.WaitForExitAsync(TimeSpan.FromSeconds(60)), $"the proxy did not stop on Ctrl+C:\n{proxy.Output}");
        Assert.True(proxy.ExitCode == 0, $"the proxy exited {proxy.ExitCode}:\n{proxy.Output}");
    }

    /// <summary>A service that references only Ha.Net.Proxy carries no haproxy.cfg code.</summary>
    [Fact]
    public void ProxyOnlyApp_CarriesNoHaproxyConfigurationCode()
    {
        var app = feed.Build(Find(ProxyQuickStart));
        Assert.Equal(["Ha.Net.HealthChecks", "Ha.Net.Proxy"], app.HaNetAssemblies);
        if (feed.Projects.Any(p => p.Id == "Ha.Net.Proxy.Haproxy"))
        {
            // once the dialect has its own package, the core keeps none of it
            Assert.Empty(NamespacesIn(Path.Combine(app.OutputDirectory, "Ha.Net.Proxy.dll"), ".Haproxy"));
        }
    }

    /// <summary>A service that references only Ha.Net.Vrrp and Ha.Net.Vrrp.Linux carries no keepalived.conf code.</summary>
    [Fact]
    public void VrrpOnlyApp_CarriesNoKeepalivedConfigurationCode()
    {
        var app = feed.Build(Find(LinuxVrrpQuickStart));
        Assert.Equal(["Ha.Net.Vrrp", "Ha.Net.Vrrp.Linux"], app.HaNetAssemblies);
        if (feed.Projects.Any(p => p.Id == "Ha.Net.Vrrp.Keepalived"))
        {
            Assert.Empty(NamespacesIn(Path.Combine(app.OutputDirectory, "Ha.Net.Vrrp.dll"), ".Keepalived"));
        }
    }

    /// <summary>The Linux quick start, run as its README says (root, an interface eth0) in a namespace of its own:
    /// it becomes MASTER and adds the VIP, and on Ctrl+C it leaves MASTER and removes it.</summary>
    [RequiresFact("root", "netns")]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task VrrpLinuxQuickStart_TakesTheVirtualAddressAndGivesItBack()
    {
        var app = feed.Build(Find(LinuxVrrpQuickStart));
        var vip = Regex.Match(app.QuickStart.Code, @"IPAddress\.Parse\(""(?<ip>198\.18\.[0-9.]+)""\)").Groups["ip"].Value;
        Assert.False(string.IsNullOrEmpty(vip), "the quick start's VIP must be in 198.18.0.0/15 (the test runs it in a namespace)");

        await using var lab = new NetnsLab("hpk"); // the suite's one lab: removed, with anything left in it, on dispose
        var ns = lab.AddNamespace("n");
        lab.Veth(ns, "eth0", "eth1");
        NetnsLab.AddAddress(ns, "198.18.0.1/24", "eth0");

        await using var node = ChildProcess.Start("ip", ["netns", "exec", ns, "dotnet", app.Dll], LinuxVrrpQuickStart);
        Assert.True(await WaitForAsync(() => HasAddress(ns, vip), TimeSpan.FromSeconds(60)), $"{vip} never appeared on eth0:\n{node.Output}");
        Assert.Contains("Entering MASTER STATE", node.Output, StringComparison.Ordinal);

        node.Signal("INT");
        Assert.True(await node.WaitForExitAsync(TimeSpan.FromSeconds(60)), $"the node did not stop on Ctrl+C:\n{node.Output}");
        Assert.False(HasAddress(ns, vip), $"{vip} is still on eth0 after a graceful stop:\n{node.Output}");
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static bool HasAddress(string ns, string ip) =>
        NetnsLab.Ip($"-n {ns} -o addr show dev eth0").Contains($" {ip}/", StringComparison.Ordinal);

    private static async Task<bool> WaitForAsync(Func<bool> condition, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(250);
        }

        return condition();
    }

    private static async Task<string> ExchangeAsync(IPEndPoint proxy, string payload, CancellationToken ct)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(proxy, ct);
        await client.SendAsync(Encoding.ASCII.GetBytes(payload), SocketFlags.None, ct);
        client.Shutdown(SocketShutdown.Send);
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await client.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0)
        {
            received.Write(buffer, 0, n);
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }

    private static List<string> NamespacesIn(string assembly, string fragment)
    {
        using var pe = new PEReader(File.OpenRead(assembly));
        var md = pe.GetMetadataReader();
        return md.TypeDefinitions.Select(h => md.GetString(md.GetTypeDefinition(h).Namespace))
            .Where(n => n.Contains(fragment, StringComparison.Ordinal)).Distinct(StringComparer.Ordinal).ToList();
    }

    private QuickStart Find(string name) =>
        QuickStart.Discover(feed.RepoRoot).SingleOrDefault(q => q.Name == name)
        ?? throw new InvalidOperationException($"No README under src/ has a quick start named '{name}'.");

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ha.Net.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Ha.Net.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"Listening on (?<ep>[0-9.:\[\]a-fA-F]+)")]
    private static partial Regex ListeningOn();

    /// <summary>A TCP server on a spare loopback port that answers each connection with its name, a colon
    /// and every byte it received, then closes.</summary>
    private sealed class TaggingServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly string _name;

        public TaggingServer(string name)
        {
            _name = name;
            _listener.Start();
        }

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

        public async Task RunAsync(CancellationToken ct)
        {
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    var socket = await _listener.AcceptSocketAsync(ct);
                    _ = ServeAsync(socket, ct);
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public void Dispose() => _listener.Dispose();

        private async Task ServeAsync(Socket socket, CancellationToken ct)
        {
            using (socket)
            {
                var received = new MemoryStream();
                var buffer = new byte[16 * 1024];
                int n;
                while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0)
                {
                    received.Write(buffer, 0, n);
                }

                await socket.SendAsync(Encoding.ASCII.GetBytes(_name + ":").Concat(received.ToArray()).ToArray(), SocketFlags.None, ct);
                socket.Shutdown(SocketShutdown.Both);
            }
        }
    }
}
