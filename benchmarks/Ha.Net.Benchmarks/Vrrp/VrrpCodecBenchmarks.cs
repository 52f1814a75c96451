using System.Net;
using BenchmarkDotNet.Attributes;
using Ha.Net.Vrrp.Testing;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Election;
using Ha.Net.Vrrp.Hosting;
using Ha.Net.Vrrp.Transport;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Benchmarks.Vrrp;

/// <summary>
/// VRRP advert codec: read + validate (version, type, length, checksum, interval) and write (fields, addresses,
/// auth data, checksum) of keepalived-shaped adverts.
/// dotnet run -c Release --project benchmarks/Ha.Net.Benchmarks -- --filter '*VrrpCodec*' --job short
/// </summary>
[MemoryDiagnoser]
public class VrrpCodecBenchmarks
{
    private static readonly byte[] Source = [198, 18, 0, 11];
    private static readonly byte[] Group = [224, 0, 0, 18];
    private readonly byte[] _buffer = new byte[VrrpPacket.MaxLength];
    private byte[] _v2One = [];
    private byte[] _v2Sixteen = [];
    private byte[] _v3One = [];
    private byte[] _addresses16 = [];
    private AdvertisementFilter _filter = null!;
    private VrrpReceiveResult _envelope;

    [GlobalSetup]
    public void Setup()
    {
        // keepalived 2.2.7's own adverts (shared/vectors): v2 PASS "hbsecret" and v3 with the pseudo-header checksum.
        _v2One = Convert.FromHexString("2133650101010da5c61200646862736563726574");
        _v3One = Convert.FromHexString("313365010064fc43c6120064");
        _addresses16 = new byte[16 * 4];
        for (var i = 0; i < 16; i++)
        {
            _addresses16[i * 4] = 198;
            _addresses16[(i * 4) + 1] = 18;
            _addresses16[(i * 4) + 2] = 1;
            _addresses16[(i * 4) + 3] = (byte)(i + 1);
        }

        _v2Sixteen = new byte[VrrpPacket.GetLength(VrrpVersion.V2, false, 16)];
        VrrpPacket.TryWrite(_v2Sixteen, new VrrpAdvertisement(VrrpVersion.V2, 51, 101, 16, 1, false, VrrpAuthenticationType.SimplePassword),
            _addresses16, "hbsecret"u8, VrrpChecksumMode.PseudoHeader, Source, Group, out _);

        var options = new VirtualRouterOptions
        {
            InstanceName = "VI_1",
            InterfaceName = "eth0",
            VirtualRouterId = 51,
            AuthenticationType = VrrpAuthenticationType.SimplePassword,
            AuthenticationPassword = "hbsecret",
            VirtualAddresses = [new VirtualAddress(IPAddress.Parse("198.18.0.100"), 32, "eth0")],
        };
        _filter = new AdvertisementFilter(VirtualRouterSettings.Create(options, out _)!, IPAddress.Parse("198.18.0.12"));
        _envelope = new VrrpReceiveResult(_v2One.Length, IPAddress.Parse("198.18.0.11"), IPAddress.Parse("224.0.0.18"), 255);
    }

    [Benchmark]
    public int Read_V2_1Vip() => VrrpPacket.Read(_v2One, Source, Group, out var a) == VrrpDropReason.None ? a.Priority : -1;

    [Benchmark]
    public int Read_V2_16Vips() => VrrpPacket.Read(_v2Sixteen, Source, Group, out var a) == VrrpDropReason.None ? a.Priority : -1;

    [Benchmark]
    public int Read_V3_1Vip() => VrrpPacket.Read(_v3One, Source, Group, out var a) == VrrpDropReason.None ? a.Priority : -1;

    /// <summary>Codec plus the instance's checks (VRID, version, TTL, kind, password, interval, address list).</summary>
    [Benchmark]
    public int ReadAndFilter_V2_1Vip() => (int)_filter.Check(_v2One, _envelope, out _, out _);

    [Benchmark]
    public int Write_V2_1Vip()
    {
        VrrpPacket.TryWrite(_buffer, new VrrpAdvertisement(VrrpVersion.V2, 51, 101, 1, 1, false, VrrpAuthenticationType.SimplePassword),
            _v2One.AsSpan(8, 4), "hbsecret"u8, VrrpChecksumMode.PseudoHeader, Source, Group, out var n);
        return n;
    }

    [Benchmark]
    public int Write_V2_16Vips()
    {
        VrrpPacket.TryWrite(_buffer, new VrrpAdvertisement(VrrpVersion.V2, 51, 101, 16, 1, false, VrrpAuthenticationType.SimplePassword),
            _addresses16, "hbsecret"u8, VrrpChecksumMode.PseudoHeader, Source, Group, out var n);
        return n;
    }

    [Benchmark]
    public int Write_V3_1Vip()
    {
        VrrpPacket.TryWrite(_buffer, new VrrpAdvertisement(VrrpVersion.V3, 51, 101, 1, 100),
            _v3One.AsSpan(8, 4), [], VrrpChecksumMode.PseudoHeader, Source, Group, out var n);
        return n;
    }
}

/// <summary>
/// One failover in the discrete-event simulation: two routers start, the higher one becomes master after its
/// Master_Down_Interval, crashes, and the other takes over (about 10 simulated seconds, 1 s adverts).
/// dotnet run -c Release --project benchmarks/Ha.Net.Benchmarks -- --filter '*VrrpFailover*' --job short
/// </summary>
[MemoryDiagnoser]
public class VrrpFailoverBenchmarks
{
    private static readonly VirtualRouterOptions A = Options(150);
    private static readonly VirtualRouterOptions B = Options(100);

    [Benchmark]
    public int SimulatedFailover()
    {
        var sim = new VrrpElectionSimulation(1);
        var a = sim.AddNode(IPAddress.Parse("198.18.0.1"), A);
        var b = sim.AddNode(IPAddress.Parse("198.18.0.2"), B);
        sim.At(TimeSpan.Zero, () => { sim.Start(a); sim.Start(b); });
        sim.At(TimeSpan.FromSeconds(5), () => sim.Crash(a));
        sim.RunUntil(TimeSpan.FromSeconds(10));
        return sim.State(b) == VirtualRouterState.Master ? sim.Transitions.Count : -1;
    }

    private static VirtualRouterOptions Options(int priority) => new()
    {
        InstanceName = "VI_1",
        InterfaceName = "eth0",
        VirtualRouterId = 51,
        Priority = priority,
        VirtualAddresses = [new VirtualAddress(IPAddress.Parse("198.18.0.100"), 32, "eth0")],
    };
}
