using BenchmarkDotNet.Attributes;
using Ha.Net.Proxy.Backends;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.LoadBalancing;

namespace Ha.Net.Benchmarks.Proxy;

/// <summary>One <c>balance source</c> pick over N servers, map-based against consistent (<c>hash-type</c>).</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class SourceHashBenchmarks
{
    private readonly SourceHash _mapBased = new();
    private readonly ConsistentSourceHash _consistent = new();
    private List<ServerState> _servers = null!;
    private uint _client;

    [Params(2, 16)]
    public int Servers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _servers = [.. new Backend(BalancerBenchmarks.Options(Servers, BalanceAlgorithm.Source), new Random(1), 0).Servers];
    }

    [Benchmark(Baseline = true)]
    public int MapBased() => _mapBased.Pick(_servers, _client += 0x9E3779B9).Id;

    [Benchmark]
    public int Consistent() => _consistent.Pick(_servers, _client += 0x9E3779B9).Id;
}
