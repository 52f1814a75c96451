using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Connections.Epoll;

namespace Ha.Net.Proxy.Hosting;

/// <summary>
/// How many connections and splice pipes fit in the process's file-descriptor limit, sized as HAProxy
/// sizes them: two descriptors per connection, two per pipe, and a reserve for the rest (listeners,
/// health checks, the runtime's own). Without a configured <c>maxconn</c> the limit is derived from
/// <c>ulimit -n</c> (raised to its hard value first), so the proxy stops accepting before it runs out of
/// descriptors; a configured one that does not fit is refused at start with HAProxy's message. The default
/// splice pipes (Ha.Net splices by default, HAProxy does not) take only what a configured maxconn leaves.
/// </summary>
internal readonly record struct DescriptorBudget(int MaxConnections, int MaxPipes, long Needed, long Limit)
{
    /// <summary>Descriptors kept for everything but connections and pipes: the runtime's own (threads'
    /// event descriptors, timers, logs), health-check probes, stats and runtime sockets.</summary>
    public const int Reserve = 100;

    /// <summary>Whether the configuration fits in the limit.</summary>
    public bool Fits => Needed <= Limit;

    /// <summary>The budget of <paramref name="options"/>; <paramref name="splices"/>: pipes count (epoll engine).</summary>
    public static DescriptorBudget For(ProxyOptions options, bool splices) =>
        For(options, splices, OperatingSystem.IsLinux() ? LinuxNative.RaiseDescriptorLimit() : long.MaxValue);

    /// <summary>The budget of <paramref name="options"/> within <paramref name="limit"/> descriptors.</summary>
    public static DescriptorBudget For(ProxyOptions options, bool splices, long limit)
    {
        long reserve = Reserve + options.Frontends.Count + options.Backends.Sum(b => (long)b.Servers.Count);
        long maxConnections = options.MaxConnections;
        if (maxConnections == 0 && limit != long.MaxValue)
        {
            // HAProxy's ideal maxconn: what is left after the reserve, two descriptors per connection plus,
            // with splicing, two per pipe at one pipe for four connections.
            long room = Math.Max(0, limit - reserve - (splices && options.MaxPipes > 0 ? 2L * options.MaxPipes : 0));
            maxConnections = Math.Max(1, splices && options.MaxPipes == 0 ? room * 2 / 5 : room / 2);
        }

        int connections = (int)Math.Min(int.MaxValue, maxConnections);
        int pipes = !splices ? 0
            : options.MaxPipes > 0 ? options.MaxPipes
            : connections > 0 ? Math.Max(1, connections / 4)
            : 4096;
        if (splices && options.MaxPipes == 0 && connections > 0 && limit != long.MaxValue)
        {
            // Splicing by default is Ha.Net's, not HAProxy's (which reserves no pipe without 'option splice-*'):
            // its default pipes shrink to the descriptors a configured maxconn leaves, down to none (copying),
            // so that a maxconn HAProxy accepts is never refused for them.
            long left = limit - reserve - (2L * connections);
            pipes = (int)Math.Clamp(left / 2, 0, pipes);
        }

        long needed = connections == 0 ? 0 : reserve + (2L * connections) + (2L * pipes);
        return new DescriptorBudget(connections, pipes, needed, limit);
    }
}
