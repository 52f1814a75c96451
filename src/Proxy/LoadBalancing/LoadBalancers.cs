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
    /// <summary>Picks among <paramref name="candidates"/>; <paramref name="sourceHash"/> is
    /// <see cref="SourceHash.Of"/> of the client's address (used by <c>source</c> only).</summary>
    ServerState Pick(List<ServerState> candidates, uint sourceHash);
}

internal static class LoadBalancer
{
    public static ILoadBalancer Create(BackendOptions options, Random random) => options.Balance switch
    {
        BalanceAlgorithm.RoundRobin => new SmoothWeightedRoundRobin(),
        BalanceAlgorithm.LeastConnections => new LeastConnections(),
        BalanceAlgorithm.First => new FirstAvailable(),
        BalanceAlgorithm.Random => new RandomChoices(random, options.RandomDraws),
        BalanceAlgorithm.Source when options.HashType == HashType.Consistent => new ConsistentSourceHash(),
        BalanceAlgorithm.Source => new SourceHash(),
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
    public ServerState Pick(List<ServerState> candidates, uint sourceHash)
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

    public ServerState Pick(List<ServerState> candidates, uint sourceHash)
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
    public ServerState Pick(List<ServerState> candidates, uint sourceHash) => candidates[0];
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

    public ServerState Pick(List<ServerState> candidates, uint sourceHash)
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

/// <summary>
/// <c>source</c>: HAProxy's map-based source hash. The client address's 32-bit words (one for IPv4,
/// four for IPv6; an IPv4-mapped IPv6 address counts as IPv4) are XORed in network order, and the
/// result modulo the total weight picks a server by weight. Candidates are every usable server, full
/// or not: a full one queues the connection (the backend does that), so a client is not moved
/// because its server is busy.
/// </summary>
internal sealed class SourceHash : ILoadBalancer
{
    public ServerState Pick(List<ServerState> candidates, uint sourceHash)
    {
        long total = 0;
        foreach (var server in candidates)
        {
            total += server.EffectiveWeight;
        }

        long ticket = sourceHash % total;
        foreach (var server in candidates)
        {
            ticket -= server.EffectiveWeight;
            if (ticket < 0)
            {
                return server;
            }
        }

        return candidates[^1];
    }

    /// <summary>The hash of <paramref name="address"/> (0 for none).</summary>
    public static uint Of(System.Net.IPAddress? address)
    {
        if (address is null)
        {
            return 0;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out int length))
        {
            return 0;
        }

        uint hash = 0;
        for (int i = 0; i + 4 <= length; i += 4)
        {
            hash ^= System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes[i..]);
        }

        return hash;
    }
}

/// <summary>
/// <c>source</c> with <c>hash-type consistent</c>: weighted rendezvous hashing. Each candidate draws a
/// uniform number u from the client's hash mixed with its own name's hash, and scores
/// <c>-weight / ln(u)</c>; the highest score wins. Each server wins a share of clients equal to its
/// share of the total weight, and a client's winner changes only when the winner itself leaves or a
/// server that beats it arrives: when a server goes down its clients spread over the rest by weight,
/// everyone else stays, and they all come back when it returns. A weight change moves clients only
/// to or from the server whose weight changed.
/// </summary>
internal sealed class ConsistentSourceHash : ILoadBalancer
{
    public ServerState Pick(List<ServerState> candidates, uint sourceHash)
    {
        ServerState best = candidates[0];
        double bestScore = double.NegativeInfinity;
        foreach (var server in candidates)
        {
            double score = Score(sourceHash, server.NameHash, server.EffectiveWeight);
            if (score > bestScore)
            {
                bestScore = score;
                best = server;
            }
        }

        return best;
    }

    /// <summary>The server's score for this client: <c>-weight / ln(u)</c>, u uniform in (0, 1).</summary>
    internal static double Score(uint sourceHash, ulong serverHash, int weight)
    {
        // 53 well-mixed bits give u in (0, 1), never 0 or 1, so ln(u) is finite and negative.
        ulong mixed = Mix(serverHash ^ (sourceHash * 0x9E3779B97F4A7C15UL));
        double u = ((mixed >> 11) + 0.5) / (1UL << 53);
        return -Math.Max(weight, 1) / Math.Log(u);
    }

    /// <summary>splitmix64's finalizer: every input bit flips each output bit with probability 1/2.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A stable 64-bit hash of a server's name (FNV-1a over its UTF-16 code units): the same
    /// in every process, unlike <see cref="string.GetHashCode()"/>.</summary>
    public static ulong NameHash(string name)
    {
        ulong hash = 0xCBF29CE484222325UL;
        foreach (char c in name)
        {
            hash = (hash ^ c) * 0x100000001B3UL;
        }

        return Mix(hash);
    }
}
