namespace Ha.Net.Proxy.Stats;

/// <summary>Process-wide figures, as HAProxy's <c>show info</c> names them.</summary>
public sealed record ProxyInfo
{
    /// <summary><c>Maxconn</c>: the connection limit in force, configured or derived from the file-descriptor
    /// limit as HAProxy derives it (0: none).</summary>
    public int MaxConnections { get; init; }

    /// <summary><c>Maxpipes</c>: the most splice pipes at once (0 with the sockets engine, which never splices).</summary>
    public int MaxPipes { get; init; }

    /// <summary><c>PipesUsed</c>: pipes held by connections now.</summary>
    public int PipesUsed { get; init; }

    /// <summary><c>PipesFree</c>: pipes made and waiting for reuse.</summary>
    public int PipesFree { get; init; }
}
