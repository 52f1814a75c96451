using Ha.Net.Proxy.Backends;
using Ha.Net.Proxy.Configuration;

namespace Ha.Net.Proxy.LoadBalancing;

/// <summary>
/// Picks one server among candidates that are usable and have room (the backend filters them,
/// in server-id order). Called under the backend's lock, so implementations keep their state in
/// plain fields; they allocate nothing.
/// </summary>
internal interface ILoadBalancer
{
    ServerState Pick(List<ServerState> candidates);
}

internal static class LoadBalancer
{
    public static ILoadBalancer Create(BackendOptions options, Random random) => options.Balance switch
    {
        BalanceAlgorithm.RoundRobin => new SmoothWeightedRoundRobin(),
        BalanceAlgorithm.LeastConnections => new LeastConnections(),
        BalanceAlgorithm.First => new FirstAvailable(),
        BalanceAlgorithm.Random => new RandomChoices(random, options.RandomDraws),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Balance, "Unknown balance algorithm."),
    };

    /// <summary>Load per unit of weight compared without division: a/wa &lt; b/wb.</summary>
    public static int CompareLoad(ServerState a, ServerState b)
    {
        long left = (long)a.Load * b.EffectiveWeight;
        long right = (long)b.Load * a.EffectiveWeight;
        return left.CompareTo(right);
    }
}

/// <summary>
/// <c>roundrobin</c>: nginx's smooth weighted round-robin. Each pick adds every candidate's weight
/// to its running score, takes the highest score and subtracts the total from it, so weights 5:1:1
/// give a a b a c a a rather than a a a a a b c.
/// </summary>
internal sealed class SmoothWeightedRoundRobin : ILoadBalancer
{
    public ServerState Pick(List<ServerState> candidates)
    {
        ServerState? best = null;
        int total = 0;
        foreach (var server in candidates)
        {
            int weight = server.EffectiveWeight;
            server.RoundRobinScore += weight;
            total += weight;
            if (best is null || server.RoundRobinScore > best.RoundRobinScore)
            {
                best = server;
            }
        }

        best!.RoundRobinScore -= total;
        return best;
    }
}

/// <summary>
/// <c>leastconn</c>: the fewest connections (active plus queued) per unit of weight; among
/// equals, round-robin (the scan starts after the last pick).
/// </summary>
internal sealed class LeastConnections : ILoadBalancer
{
    private int _cursor;

    public ServerState Pick(List<ServerState> candidates)
    {
        int count = candidates.Count;
        int start = _cursor % count;
        int bestIndex = start;
        for (int i = 1; i < count; i++)
        {
            int index = (start + i) % count;
            if (LoadBalancer.CompareLoad(candidates[index], candidates[bestIndex]) < 0)
            {
                bestIndex = index;
            }
        }

        _cursor = bestIndex + 1;
        return candidates[bestIndex];
    }
}

/// <summary><c>first</c>: the first server (lowest id) with a free slot.</summary>
internal sealed class FirstAvailable : ILoadBalancer
{
    public ServerState Pick(List<ServerState> candidates) => candidates[0];
}

/// <summary>
/// <c>random(N)</c>: N draws weighted by server weight, the least loaded draw wins (N = 2 is
/// "the power of two random choices").
/// </summary>
internal sealed class RandomChoices : ILoadBalancer
{
    private readonly Random _random;
    private readonly int _draws;

    public RandomChoices(Random random, int draws)
    {
        _random = random;
        _draws = Math.Max(1, draws);
    }

    public ServerState Pick(List<ServerState> candidates)
    {
        int total = 0;
        foreach (var server in candidates)
        {
            total += server.EffectiveWeight;
        }

        ServerState? best = null;
        for (int draw = 0; draw < _draws; draw++)
        {
            int ticket = _random.Next(total);
            ServerState drawn = candidates[^1];
            foreach (var server in candidates)
            {
                ticket -= server.EffectiveWeight;
                if (ticket < 0)
                {
                    drawn = server;
                    break;
                }
            }

            if (best is null || LoadBalancer.CompareLoad(drawn, best) < 0)
            {
                best = drawn;
            }
        }

        return best!;
    }
}
