using System.Net;
using Ha.Net.HealthChecks;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Stats;

namespace Ha.Net.Proxy;

/// <summary>
/// A running layer-4 proxy: frontends accepting TCP connections and balancing them over backend
/// servers, with HAProxy's run-time administration (the stats page and stats socket actions).
/// Create one with <see cref="TcpProxyFactory.Create"/> or <c>services.AddHaNetProxy(...)</c>.
/// Names are HAProxy's <c>pxname</c>/<c>svname</c>; an unknown name throws
/// <see cref="KeyNotFoundException"/> naming it.
/// </summary>
public interface ITcpProxy : IAsyncDisposable
{
    /// <summary>Binds every frontend and starts accepting.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">A frontend cannot bind; the message names it and its address.</exception>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Graceful stop (HAProxy soft stop): stops accepting, lets live connections finish, kills
    /// those still open after <see cref="ProxyOptions.HardStopAfter"/> (or when
    /// <paramref name="cancellationToken"/> fires).
    /// </summary>
    Task StopAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies a new configuration without dropping live connections. Frontends, backends and
    /// servers are matched by name: kept ones keep their counters and admin state; new frontends
    /// start listening; removed ones stop accepting while their connections finish.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every error.</exception>
    Task ApplyAsync(ProxyOptions options, CancellationToken cancellationToken = default);

    /// <summary>The address a frontend is listening on (its real port when configured with port 0).</summary>
    IPEndPoint GetFrontendEndPoint(string frontend);

    /// <summary>
    /// Stops a frontend accepting for now (HAProxy's <c>disable frontend</c>; SIGTTOU pauses them all): its
    /// socket keeps the address and port but stops listening, so the kernel refuses new connections and
    /// another process may take the port; live connections continue. <see cref="ResumeFrontend"/> undoes it.
    /// A frontend bound to port 0 keeps no port while paused: it listens on a new one when resumed
    /// (<see cref="GetFrontendEndPoint"/> tells which).
    /// </summary>
    /// <returns><see langword="false"/> when the frontend was not listening (already paused, or not started).</returns>
    /// <exception cref="System.Net.Sockets.SocketException">The kernel kept the socket listening ("failed to enter pause mode").</exception>
    bool PauseFrontend(string frontend);

    /// <summary>Listens again on a frontend paused by <see cref="PauseFrontend"/> (<c>enable frontend</c>, SIGTTIN).</summary>
    /// <returns><see langword="false"/> when the frontend was not paused.</returns>
    /// <exception cref="System.Net.Sockets.SocketException">The port is busy (another process listens on it); the frontend stays paused.</exception>
    bool ResumeFrontend(string frontend);

    /// <summary>Whether a frontend is paused by <see cref="PauseFrontend"/>.</summary>
    bool IsFrontendPaused(string frontend);

    /// <summary>Sets a server's admin state (<c>set server b/s state ready|drain|maint</c>). Live connections are untouched.</summary>
    void SetServerState(string backend, string server, ServerAdminState state);

    /// <summary>Sets a server's weight, 0–256 (<c>set server b/s weight N</c>). Live connections are untouched.</summary>
    void SetServerWeight(string backend, string server, int weight);

    /// <summary>Forces a server's health (<c>set server b/s health up|down</c>); checks, if any, change it again.</summary>
    void SetServerHealth(string backend, string server, bool up);

    /// <summary>Records one health-check result for a server and, when the check's rise/fall logic
    /// says so, marks it up or down (<paramref name="markedUp"/>; <see langword="null"/> = no transition).
    /// This is how a health monitor drives the proxy.</summary>
    void ReportCheck(string backend, string server, CheckResult result, int health, bool? markedUp);

    /// <summary>Adds a server to a backend at run time (<c>add server b/s</c>).</summary>
    void AddServer(string backend, ServerOptions server);

    /// <summary>Removes a server at run time (<c>del server b/s</c>); its live connections run to their end.</summary>
    void RemoveServer(string backend, string server);

    /// <summary>Kills a server's live connections (<c>shutdown sessions server b/s</c>, logged <c>K</c>).</summary>
    /// <returns>How many were killed.</returns>
    int ShutdownSessions(string backend, string server);

    /// <summary>A snapshot of every frontend, backend and server counter.</summary>
    IReadOnlyList<StatsRow> GetStats();

    /// <summary>Process-wide figures of HAProxy's <c>show info</c> that the stats rows do not carry.</summary>
    ProxyInfo GetInfo();
}
