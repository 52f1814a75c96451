using System.Net;
using BenchmarkDotNet.Attributes;
using Ha.Net.Proxy.Backends;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.LoadBalancing;

namespace Ha.Net.Benchmarks.Proxy;

/// <summary>One balancer pick over N servers (as done under the backend lock per new connection).</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class BalancerBenchmarks
{
    private List<ServerState> _servers = null!;
    private Backend _backend = null!;
    private ILoadBalancer _balancer = null!;

    [Params(2, 16)]
    public int Servers { get; set; }

    [Params(BalanceAlgorithm.RoundRobin, BalanceAlgorithm.LeastConnections, BalanceAlgorithm.Random)]
    public BalanceAlgorithm Algorithm { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = Options(Servers, Algorithm);
        _backend = new Backend(options, new Random(1), 0);
        _servers = [.. _backend.Servers];
        _balancer = LoadBalancer.Create(options, new Random(1));
        for (int i = 0; i < _servers.Count; i++)
        {
            _servers[i].Active = i % 5;
        }
    }

    /// <summary>A backend of <paramref name="servers"/> servers weighted 1, 2, 3, 1, 2, 3, ...</summary>
    internal static BackendOptions Options(int servers, BalanceAlgorithm algorithm) => new()
    {
        Name = "be",
        Balance = algorithm,
        Servers = [.. Enumerable.Range(0, servers).Select(i => new ServerOptions
        {
            Name = "s" + i,
            Address = new IPEndPoint(IPAddress.Loopback, 1000 + i),
            Weight = 1 + (i % 3),
        })],
    };

    [Benchmark]
    public int Pick() => _balancer.Pick(_servers, 0).Id;

    /// <summary>A full slot take + give back, lock and candidate filtering included.</summary>
    [Benchmark]
    public void AssignAndRelease()
    {
        _backend.TryAssign(null, out var server, out _);
        _backend.Release(server!);
    }
}
