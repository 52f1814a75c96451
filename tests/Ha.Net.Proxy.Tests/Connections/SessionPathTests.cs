using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ha.Net.HealthChecks.Probes;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Connections.Session;
using Ha.Net.Proxy.Hosting;
using static Ha.Net.Proxy.Tests.Connections.SessionRig;

namespace Ha.Net.Proxy.Tests.Connections;

/// <summary>
/// Every path of a proxied session, without sockets: <see cref="InMemoryTransport"/> plays the client and
/// the server, <see cref="SessionRig"/> runs a real runtime, frontend and backend on a fake clock. Each test
/// checks the tcplog termination state, the counters and what the peers saw (bytes, FIN or reset).
/// </summary>
public class SessionPathTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private static SessionRig WithTimeouts(IEnumerable<ServerOptions> servers, Func<BackendOptions, BackendOptions>? backend = null, Func<FrontendOptions, FrontendOptions>? frontend = null) =>
        Create(servers,
            be => backend?.Invoke(be with { ServerTimeout = Long }) ?? be with { ServerTimeout = Long },
            fe => frontend?.Invoke(fe with { ClientTimeout = Long }) ?? fe with { ClientTimeout = Long });

    // ---- normal ends ----

    [Fact]
    public async Task ClientHalfClosesFirst_FinPassedToServer_ServerKeepsSending_Completed()
    {
        await using var rig = WithTimeouts([ServerAt("a")]);
        var (session, t) = rig.Open();
        Assert.Equal([ServerAt("a").Address], t.ConnectAttempts);
        t.CompleteConnect();
        Assert.Null(t.Preface);

        t.Client.Send("hello");
        Assert.Equal("hello", t.Server.ReceivedText);
        t.Server.Send("hi");
        Assert.Equal("hi", t.Client.ReceivedText);

        rig.Advance(TimeSpan.FromMilliseconds(100));
        t.Client.Close();
        Assert.Equal([true], t.ShutdownWrites);
        Assert.True(t.Server.FinSeen);
        Assert.False(t.Client.FinSeen);
        Assert.False(session.IsTerminated);

        // The other direction keeps flowing after the half-close.
        t.Server.Send(" there");
        Assert.Equal("hi there", t.Client.ReceivedText);
        rig.Advance(TimeSpan.FromMilliseconds(150));
        t.Server.Close();

        Assert.True(session.IsTerminated);
        Assert.Equal("--", session.TerminationState);
        Assert.False(t.ClosedAbortive);
        Assert.Equal(1, t.CloseCalls);
        Assert.True(t.Client.FinSeen);
        Assert.False(t.Client.ResetSeen);
        Assert.False(t.Server.ResetSeen);

        var log = rig.SingleLog();
        Assert.Equal("--", log.Termination);
        Assert.Contains(" -- ", log.Message);
        Assert.Equal("a", log.ServerName);
        Assert.Equal("0", log.Retries);
        Assert.Equal((0, 0, 250), (log.QueueMs, log.ConnectMs, log.TotalMs));
        Assert.Equal(8, log.BytesRead);
        Assert.Equal(5, log.BytesUploaded);
        Assert.Equal(DefaultClient.Address.ToString(), log.ClientAddress);

        foreach (var service in new[] { "FRONTEND", "BACKEND", "a" })
        {
            var row = rig.Row(service);
            Assert.Equal(1, row.TotalSessions);
            Assert.Equal(5, row.BytesIn);
            Assert.Equal(8, row.BytesOut);
        }

        Assert.Equal(0, rig.Row("BACKEND").ClientAborts);
        Assert.Equal(0, rig.Row("BACKEND").ServerAborts);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task ServerHalfClosesFirst_FinPassedToClient_ClientKeepsSending_Completed()
    {
        await using var rig = WithTimeouts([ServerAt("a")]);
        var (session, t) = rig.OpenConnected();
        t.Server.Send("banner\n");
        t.Server.Close();
        Assert.Equal([false], t.ShutdownWrites);
        Assert.True(t.Client.FinSeen);
        Assert.False(t.Server.FinSeen);
        Assert.False(session.IsTerminated);

        t.Client.Send("still ");
        t.Client.Send("talking");
        Assert.Equal("still talking", t.Server.ReceivedText);
        t.Client.Close();

        Assert.Equal("--", session.TerminationState);
        Assert.False(t.ClosedAbortive);
        Assert.True(t.Server.FinSeen);
        var log = rig.SingleLog();
        Assert.Equal("--", log.Termination);
        Assert.Equal(7, log.BytesRead);
        Assert.Equal(13, log.BytesUploaded);
        Assert.Equal(13, rig.Row("a").BytesIn);
        Assert.Equal(7, rig.Row("a").BytesOut);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task DataSentWhileConnecting_WaitsAndGoesFirst_FinToo()
    {
        await using var rig = WithTimeouts([ServerAt("a")]);
        var (session, t) = rig.Open();
        t.Client.Send("early ");
        t.Client.Send("bird");
        t.Client.Close();
        Assert.Empty(t.Server.Received);
        Assert.Empty(t.ShutdownWrites);

        t.CompleteConnect();
        Assert.Equal("early bird", t.Server.ReceivedText);
        Assert.Equal([true], t.ShutdownWrites);
        t.Server.Send("ok");
        t.Server.Close();
        Assert.Equal("--", session.TerminationState);
        Assert.Equal("ok", t.Client.ReceivedText);
        Assert.Equal(10, rig.SingleLog().BytesUploaded);
        rig.AssertAllReleased();
    }

    // ---- queues ----

    [Fact]
    public async Task QueueTimeout_sQ_WithTheQueueTimeInTw()
    {
        await using var rig = WithTimeouts([ServerAt("a") with { MaxConnections = 1 }],
            be => be with { QueueTimeout = TimeSpan.FromSeconds(2) });
        var (first, t1) = rig.OpenConnected();
        var (second, t2) = rig.Open();
        Assert.Empty(t2.ConnectAttempts);
        Assert.Equal(1, rig.Row("BACKEND").QueueCurrent);
        Assert.Equal(2, rig.Row("BACKEND").CurrentSessions);
        Assert.Equal(1, rig.Row("a").CurrentSessions);

        rig.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(second.IsTerminated);
        rig.Advance(TimeSpan.FromMilliseconds(1));
        Until(() => rig.TcpLogs.Count == 1, "the queue timeout's log line (the close runs on a pool thread)");

        Assert.Equal("sQ", second.TerminationState);
        Assert.Empty(t2.ConnectAttempts);
        Assert.False(t2.ClosedAbortive);
        Assert.True(t2.Client.FinSeen);
        var log = rig.SingleLog();
        Assert.Equal("sQ", log.Termination);
        Assert.Equal("<NOSRV>", log.ServerName);
        Assert.Equal((2000, -1, 2000), (log.QueueMs, log.ConnectMs, log.TotalMs));
        Assert.Contains(" 2000/-1/2000 ", log.Message);
        Assert.Equal(0, rig.Row("BACKEND").QueueCurrent);
        Assert.Equal(1, rig.Row("BACKEND").QueueMax);
        Assert.Equal(0, rig.Row("BACKEND").DeniedRequests);
        Assert.Equal(2, rig.Row("BACKEND").TotalSessions);
        Assert.Equal(1, rig.Row("a").TotalSessions);

        // The first session is untouched.
        Assert.False(first.IsTerminated);
        t1.Client.Close();
        t1.Server.Close();
        Assert.Equal("--", first.TerminationState);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task QueuedSession_GetsTheSlotWhenTheFirstEnds()
    {
        await using var rig = WithTimeouts([ServerAt("a") with { MaxConnections = 1 }],
            be => be with { QueueTimeout = TimeSpan.FromSeconds(5) });
        var (first, t1) = rig.OpenConnected();
        var (second, t2) = rig.Open();
        Assert.Equal(1, rig.Row("a").CurrentSessions);
        Assert.Equal(1, rig.Row("BACKEND").QueueCurrent);

        rig.Advance(TimeSpan.FromMilliseconds(700));
        t1.Server.Close();
        t1.Client.Close();
        Assert.Equal("--", first.TerminationState);

        // The freed slot goes to the queued session (the queue answers on a pool thread).
        Until(() => t2.ConnectPending, "the queued session's connect");
        Assert.Equal([ServerAt("a").Address], t2.ConnectAttempts);
        Assert.Equal(0, rig.Row("BACKEND").QueueCurrent);
        t2.CompleteConnect();
        Until(() => t2.Forwarding, "the data phase");
        t2.Client.Send("q");
        Until(() => t2.Server.ReceivedText == "q", "forwarding");
        t2.Client.Close();
        t2.Server.Close();
        Until(() => rig.TcpLogs.Count == 2, "the second session's log line");

        Assert.Equal("--", second.TerminationState);
        var logs = rig.TcpLogs;
        Assert.Equal(2, logs.Count);
        Assert.Equal((700, 0, 700), (logs[1].QueueMs, logs[1].ConnectMs, logs[1].TotalMs));
        Assert.Equal("a", logs[1].ServerName);
        Assert.Equal(2, rig.Row("a").TotalSessions);
        Assert.Equal(1, rig.Row("a").MaxSessions);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task QueueAtMaxQueue_PQ_CountedInDreq()
    {
        await using var rig = WithTimeouts([ServerAt("a") with { MaxConnections = 1, MaxQueue = 1 }]);
        var (first, t1) = rig.OpenConnected();
        var (second, t2) = rig.Open();
        Assert.False(second.IsTerminated);
        var (third, t3) = rig.Open();

        Assert.True(third.IsTerminated);
        Assert.Equal("PQ", third.TerminationState);
        Assert.Empty(t3.ConnectAttempts);
        Assert.False(t3.ClosedAbortive);
        Assert.True(t3.Client.FinSeen);
        var log = rig.SingleLog();
        Assert.Equal("PQ", log.Termination);
        Assert.Equal("<NOSRV>", log.ServerName);
        Assert.Equal(-1, log.ConnectMs);
        Assert.Equal(1, rig.Row("BACKEND").DeniedRequests);
        Assert.Equal(1, rig.Row("BACKEND").QueueCurrent);

        second.Kill(SessionEnd.Killed);
        t1.FailUnexpectedly(new ObjectDisposedException("socket")); // ignored: not an error of ours
        first.Kill(SessionEnd.Killed);
        Assert.Equal(["PQ", "KQ", "KD"], rig.TcpLogs.Select(l => l.Termination));
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task NoUsableServer_SC_CountedInDreq()
    {
        await using var rig = WithTimeouts([ServerAt("a") with { InitialState = ServerAdminState.Maintenance }]);
        var (session, t) = rig.Open();

        Assert.True(session.IsTerminated);
        Assert.Equal("SC", session.TerminationState);
        Assert.Empty(t.ConnectAttempts);
        Assert.False(t.ClosedAbortive);
        Assert.True(t.Client.FinSeen);
        var log = rig.SingleLog();
        Assert.Equal("SC", log.Termination);
        Assert.Equal("<NOSRV>", log.ServerName);
        Assert.Equal("0", log.Retries);
        var backend = rig.Row("BACKEND");
        Assert.Equal(1, backend.DeniedRequests);
        Assert.Equal(0, backend.ConnectErrors);
        Assert.Equal(1, backend.TotalSessions);
        Assert.Equal(0, rig.Row("a").TotalSessions);
        rig.AssertAllReleased();
    }

    // ---- connecting ----

    [Fact]
    public async Task ConnectRefused_RetriedOnTheSameServerAfterOneSecond_ThenConnects()
    {
        await using var rig = WithTimeouts([ServerAt("a")], be => be with { Retries = 3 });
        var (session, t) = rig.Open();
        t.Client.Send("waiting");
        t.CompleteConnect(SocketError.ConnectionRefused);
        Assert.Single(t.ConnectAttempts);
        Assert.False(t.ConnectPending);

        // HAProxy pauses min(timeout connect, 1 s) before retrying the same server.
        rig.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Single(t.ConnectAttempts);
        rig.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([ServerAt("a").Address, ServerAt("a").Address], t.ConnectAttempts);
        rig.Advance(TimeSpan.FromMilliseconds(40));
        t.CompleteConnect();

        Assert.Equal("waiting", t.Server.ReceivedText);
        t.Client.Close();
        t.Server.Close();
        Assert.Equal("--", session.TerminationState);
        var log = rig.SingleLog();
        Assert.Equal("--", log.Termination);
        Assert.Equal("1", log.Retries);
        Assert.Equal(1040, log.ConnectMs);
        Assert.Contains(" 0/1040/1040 ", log.Message);
        foreach (var service in new[] { "BACKEND", "a" })
        {
            var row = rig.Row(service);
            Assert.Equal(1, row.ConnectErrors);
            Assert.Equal(1, row.Retries);
            Assert.Equal(0, row.Redispatches);
        }

        rig.AssertAllReleased();
    }

    [Fact]
    public async Task ConnectRefusedEveryTime_NoRetryLeft_SC()
    {
        await using var rig = WithTimeouts([ServerAt("a")], be => be with { Retries = 2 });
        var (session, t) = rig.Open();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(i + 1, t.ConnectAttempts.Count);
            t.CompleteConnect(SocketError.ConnectionRefused);
            rig.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(3, t.ConnectAttempts.Count);
        Assert.Equal("SC", session.TerminationState);
        Assert.False(t.ClosedAbortive);
        Assert.False(t.Server.FinSeen || t.Server.ResetSeen); // never connected
        var log = rig.SingleLog();
        Assert.Equal("SC", log.Termination);
        Assert.Equal("a", log.ServerName);
        Assert.Equal("2", log.Retries);
        Assert.Equal(-1, log.ConnectMs);
        Assert.Equal(3, rig.Row("BACKEND").ConnectErrors);
        Assert.Equal(2, rig.Row("BACKEND").Retries);
        Assert.Equal(0, rig.Row("BACKEND").DeniedRequests);
        rig.AssertAllReleased();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConnectRefused_Redispatch_LeastConn_TheLastRetryGoesToTheOtherServer(bool otherAccepts)
    {
        // leastconn is not a roundrobin-kind balancer: HAProxy retries the same server first and
        // redispatches on the last retry, after the pause.
        await using var rig = WithTimeouts([ServerAt("a", 1), ServerAt("b", 2)], be => be with { Retries = 2, Redispatch = true, Balance = BalanceAlgorithm.LeastConnections });
        var (session, t) = rig.Open();
        var failing = session.Server!;
        var other = rig.Backend.Servers.Single(s => s != failing);

        t.CompleteConnect(SocketError.ConnectionRefused);
        rig.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, t.ConnectAttempts.Count);
        t.CompleteConnect(SocketError.ConnectionRefused);
        Assert.Equal(2, t.ConnectAttempts.Count);
        rig.Advance(TimeSpan.FromSeconds(1));

        // The last retry: to the other server.
        Assert.Equal([failing.Options.Address, failing.Options.Address, other.Options.Address], t.ConnectAttempts);
        Assert.Same(other, session.Server);
        Assert.Equal(0, failing.Active);
        if (otherAccepts)
        {
            t.CompleteConnect();
            t.Server.Send("x");
            t.Server.Close();
            t.Client.Close();
        }
        else
        {
            t.CompleteConnect(SocketError.ConnectionRefused);
        }

        Assert.Equal(otherAccepts ? "--" : "SC", session.TerminationState);
        var log = rig.SingleLog();
        Assert.Equal(otherAccepts ? "--" : "SC", log.Termination);
        Assert.Equal("+2", log.Retries);
        Assert.Contains("/+2 ", log.Message);
        Assert.Equal(other.Name, log.ServerName);

        var backend = rig.Row("BACKEND");
        Assert.Equal(otherAccepts ? 2 : 3, backend.ConnectErrors);
        Assert.Equal(2, backend.Retries);
        Assert.Equal(1, backend.Redispatches);
        Assert.Equal(1, backend.TotalSessions);
        var failed = rig.Row(failing.Name);
        Assert.Equal((2, 2, 1), (failed.ConnectErrors!.Value, failed.Retries!.Value, failed.Redispatches!.Value));
        var took = rig.Row(other.Name);
        Assert.Equal((otherAccepts ? 0 : 1, 0, 0), (took.ConnectErrors!.Value, took.Retries!.Value, took.Redispatches!.Value));
        Assert.Equal(1, took.TotalSessions);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task ConnectRefused_Redispatch_RoundRobin_GoesToTheOtherServerAtOnce()
    {
        // HAProxy 2.6 (stream_choose_redispatch): roundrobin with several servers up redispatches at the
        // first retry and does not pause: the session moves off a dead server in no time (tcplog /+1).
        await using var rig = WithTimeouts([ServerAt("a", 1), ServerAt("b", 2)], be => be with { Retries = 3, Redispatch = true });
        var (session, t) = rig.Open();
        var failing = session.Server!;
        var other = rig.Backend.Servers.Single(s => s != failing);

        t.CompleteConnect(SocketError.ConnectionRefused);
        Assert.Equal([failing.Options.Address, other.Options.Address], t.ConnectAttempts);
        t.CompleteConnect();
        t.Server.Send("x");
        t.Server.Close();
        t.Client.Close();

        var log = rig.SingleLog();
        Assert.Equal("--", log.Termination);
        Assert.Equal("+1", log.Retries);
        Assert.Equal(0, log.ConnectMs);
        Assert.Equal(other.Name, log.ServerName);
        var backend = rig.Row("BACKEND");
        Assert.Equal((1, 1, 1), (backend.ConnectErrors!.Value, backend.Retries!.Value, backend.Redispatches!.Value));
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task ConnectTimeout_NoRetries_sC_TheAttemptIsCut()
    {
        await using var rig = WithTimeouts([ServerAt("a")], be => be with { Retries = 0, ConnectTimeout = TimeSpan.FromSeconds(3) });
        var (session, t) = rig.Open();
        rig.Advance(TimeSpan.FromMilliseconds(2999));
        Assert.Equal(0, t.AbortConnectCalls);
        rig.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(1, t.AbortConnectCalls);
        Assert.False(t.ConnectPending);
        Assert.Equal("sC", session.TerminationState);
        Assert.False(t.ClosedAbortive);
        Assert.True(t.Client.FinSeen);
        var log = rig.SingleLog();
        Assert.Equal("sC", log.Termination);
        Assert.Equal("0", log.Retries);
        Assert.Equal((0, -1, 3000), (log.QueueMs, log.ConnectMs, log.TotalMs));
        Assert.Equal(1, rig.Row("BACKEND").ConnectErrors);
        Assert.Equal(1, rig.Row("a").ConnectErrors);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task ConnectTimeout_ThenRetryConnects()
    {
        await using var rig = WithTimeouts([ServerAt("a")], be => be with { Retries = 1, ConnectTimeout = TimeSpan.FromMilliseconds(500) });
        var (session, t) = rig.Open();
        rig.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(1, t.AbortConnectCalls);

        // After a timeout the retry goes at once (HAProxy pauses only after a connection error).
        Assert.Equal(2, t.ConnectAttempts.Count);
        t.CompleteConnect();
        t.Client.Close();
        t.Server.Close();
        Assert.Equal("--", session.TerminationState);
        var log = rig.SingleLog();
        Assert.Equal("1", log.Retries);
        Assert.Equal(500, log.ConnectMs);
        Assert.Equal(1, rig.Row("BACKEND").ConnectErrors);
        rig.AssertAllReleased();
    }

    // ---- idle timeouts ----

    [Fact]
    public async Task ClientTimeout_cD_ActivityPostponesIt()
    {
        await using var rig = Create([ServerAt("a")],
            be => be with { ServerTimeout = TimeSpan.FromSeconds(20) },
            fe => fe with { ClientTimeout = TimeSpan.FromSeconds(10) });
        var (session, t) = rig.OpenConnected();
        rig.Advance(TimeSpan.FromSeconds(6));
        t.Client.Send("ping");
        rig.Advance(TimeSpan.FromSeconds(4));
        Assert.False(session.IsTerminated); // idle 4 s only
        rig.Advance(TimeSpan.FromMilliseconds(5999));
        Assert.False(session.IsTerminated);
        rig.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal("cD", session.TerminationState);
        Assert.False(t.ClosedAbortive);
        Assert.True(t.Client.FinSeen);
        Assert.True(t.Server.FinSeen);
        var log = rig.SingleLog();
        Assert.Equal("cD", log.Termination);
        Assert.Equal(16000, log.TotalMs);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task ServerTimeout_sD()
    {
        await using var rig = Create([ServerAt("a")],
            be => be with { ServerTimeout = TimeSpan.FromSeconds(10) },
            fe => fe with { ClientTimeout = TimeSpan.FromSeconds(20) });
        var (session, t) = rig.OpenConnected();
        t.Server.Send("hello");
        rig.Advance(TimeSpan.FromMilliseconds(9999));
        Assert.False(session.IsTerminated);
        rig.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal("sD", session.TerminationState);
        Assert.False(t.ClosedAbortive);
        Assert.Equal("sD", rig.SingleLog().Termination);
        Assert.Equal(10000, rig.SingleLog().TotalMs);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task TunnelTimeout_ReplacesClientAndServerTimeouts()
    {
        await using var rig = Create([ServerAt("a")],
            be => be with { ServerTimeout = TimeSpan.FromSeconds(5), TunnelTimeout = TimeSpan.FromMinutes(1) },
            fe => fe with { ClientTimeout = TimeSpan.FromSeconds(5) });
        var (session, t) = rig.OpenConnected();
        rig.Advance(TimeSpan.FromSeconds(59));
        Assert.False(session.IsTerminated);
        t.Server.Send("tick");
        rig.Advance(TimeSpan.FromSeconds(59));
        Assert.False(session.IsTerminated);
        rig.Advance(TimeSpan.FromSeconds(1));

        // The tunnel timeout is both sides'; the client's is named first (HAProxy: cD).
        Assert.Equal("cD", session.TerminationState);
        Assert.Equal(119000, rig.SingleLog().TotalMs);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task ClientFinTimeout_AfterTheClientHalfCloses_cD()
    {
        await using var rig = Create([ServerAt("a")],
            be => be with { ServerTimeout = Long },
            fe => fe with { ClientTimeout = Long, ClientFinTimeout = TimeSpan.FromSeconds(2) });
        var (session, t) = rig.OpenConnected();
        t.Client.Send("request");
        rig.Advance(TimeSpan.FromSeconds(1));
        t.Client.Close();
        Assert.True(t.Server.FinSeen);

        // The half-close re-arms the deadline: FIN (t = 1 s) + client-fin, not the 30 s client timeout.
        rig.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(session.IsTerminated);
        rig.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("cD", session.TerminationState);
        Assert.Equal(3000, rig.SingleLog().TotalMs);
        Assert.True(t.Client.FinSeen);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task ServerFinTimeout_AfterTheServerHalfCloses_sD()
    {
        await using var rig = Create([ServerAt("a")],
            be => be with { ServerTimeout = Long, ServerFinTimeout = TimeSpan.FromSeconds(2) },
            fe => fe with { ClientTimeout = Long });
        var (session, t) = rig.OpenConnected();
        rig.Advance(TimeSpan.FromSeconds(5));
        t.Server.Send("bye");
        t.Server.Close();
        Assert.True(t.Client.FinSeen);
        rig.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(session.IsTerminated);
        rig.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("sD", session.TerminationState);
        Assert.Equal(7000, rig.SingleLog().TotalMs);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task NoTimeouts_NoDeadlineInTheDataPhase()
    {
        await using var rig = Create([ServerAt("a")]);
        var (session, t) = rig.OpenConnected();
        rig.Advance(TimeSpan.FromDays(2));
        Assert.False(session.IsTerminated);
        t.Client.Close();
        t.Server.Close();
        Assert.Equal("--", session.TerminationState);
        rig.AssertAllReleased();
    }

    // ---- resets ----

    [Fact]
    public async Task ClientReset_CD_ServerSideClosedWithAReset()
    {
        await using var rig = WithTimeouts([ServerAt("a")]);
        var (session, t) = rig.OpenConnected();
        t.Client.Send("abc");
        t.Client.Reset();

        Assert.Equal("CD", session.TerminationState);
        Assert.True(t.ClosedAbortive);
        Assert.True(t.Server.ResetSeen);
        Assert.False(t.Server.FinSeen);
        Assert.Equal("abc", t.Server.ReceivedText);
        Assert.Equal("CD", rig.SingleLog().Termination);
        Assert.Equal(1, Volatile.Read(ref rig.Frontend.Counters.ClientAborts));
        Assert.Equal(1, rig.Row("BACKEND").ClientAborts);
        Assert.Equal(1, rig.Row("a").ClientAborts);
        Assert.Equal(0, rig.Row("BACKEND").ServerAborts);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task ServerReset_SD_ClientSideClosedWithAReset()
    {
        await using var rig = WithTimeouts([ServerAt("a")]);
        var (session, t) = rig.OpenConnected();
        t.Client.Send("GET");
        t.Server.Reset();

        Assert.Equal("SD", session.TerminationState);
        Assert.True(t.ClosedAbortive);
        Assert.True(t.Client.ResetSeen);
        Assert.False(t.Client.FinSeen);
        Assert.Equal("SD", rig.SingleLog().Termination);
        Assert.Equal(1, rig.Row("BACKEND").ServerAborts);
        Assert.Equal(1, rig.Row("a").ServerAborts);
        Assert.Equal(0, rig.Row("BACKEND").ClientAborts);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task ResetAfterAHalfClose_StillAnAbort()
    {
        await using var rig = WithTimeouts([ServerAt("a")]);
        var (session, t) = rig.OpenConnected();
        t.Client.Close();
        t.Server.Send("partial");
        t.Server.Reset();
        Assert.Equal("SD", session.TerminationState);
        Assert.True(t.Client.ResetSeen);
        Assert.Equal("partial", t.Client.ReceivedText);
        rig.AssertAllReleased();
    }

    // ---- servers' admin state ----

    [Fact]
    public async Task DrainingServer_GetsNoNewSession_ItsLiveOneContinues()
    {
        await using var rig = WithTimeouts([ServerAt("a", 1), ServerAt("b", 2)]);
        var (first, t1) = rig.OpenConnected();
        var drained = first.Server!;
        var other = rig.Backend.Servers.Single(s => s != drained);
        rig.Proxy.SetServerState("be", drained.Name, ServerAdminState.Drain);
        Assert.Equal("DRAIN", rig.Row(drained.Name).Status);

        var later = new List<(Ha.Net.Proxy.Connections.ProxySession Session, InMemoryTransport Transport)>();
        for (int i = 0; i < 3; i++)
        {
            var opened = rig.Open();
            Assert.Same(other, opened.Session.Server);
            Assert.Equal([other.Options.Address], opened.Transport.ConnectAttempts);
            later.Add(opened);
        }

        // The draining server's live session carries on to a normal end.
        t1.Client.Send("still here");
        Assert.Equal("still here", t1.Server.ReceivedText);
        t1.Client.Close();
        t1.Server.Close();
        Assert.Equal("--", first.TerminationState);
        foreach (var (session, transport) in later)
        {
            transport.CompleteConnect();
            transport.Server.Close();
            transport.Client.Close();
            Assert.Equal("--", session.TerminationState);
        }

        Assert.Equal(1, rig.Row(drained.Name).TotalSessions);
        Assert.Equal(3, rig.Row(other.Name).TotalSessions);
        Assert.All(rig.TcpLogs, l => Assert.Equal("--", l.Termination));
        rig.AssertAllReleased();
    }

    // ---- kills ----

    [Fact]
    public async Task KilledWhileQueued_KQ_LeavesTheQueue()
    {
        await using var rig = WithTimeouts([ServerAt("a") with { MaxConnections = 1 }], be => be with { QueueTimeout = TimeSpan.FromSeconds(10) });
        var (first, t1) = rig.OpenConnected();
        var (second, t2) = rig.Open();
        rig.Advance(TimeSpan.FromMilliseconds(300));
        second.Kill(SessionEnd.Killed);

        Assert.Equal("KQ", second.TerminationState);
        Assert.True(t2.ClosedAbortive);
        Assert.True(t2.Client.ResetSeen);
        Assert.Empty(t2.ConnectAttempts);
        Assert.Equal(0, rig.Row("BACKEND").QueueCurrent);
        var log = rig.SingleLog();
        Assert.Equal("KQ", log.Termination);
        Assert.Equal("<NOSRV>", log.ServerName);
        Assert.Equal((300, -1), (log.QueueMs, log.ConnectMs));

        // The slot the first session frees goes to nobody: the next session connects at once.
        t1.Client.Close();
        t1.Server.Close();
        Assert.Equal(0, rig.Server("a").Active);
        var (third, t3) = rig.OpenConnected();
        Assert.Equal(0, rig.TcpLogs[^1].QueueMs);
        third.Kill(SessionEnd.Killed);
        Assert.Equal("KD", third.TerminationState);
        Assert.True(t3.Server.ResetSeen);
        rig.AssertAllReleased();
    }

    /// <summary>A kill from another thread (a hard stop's) can land between the backend queueing the session
    /// and the machine hearing of it; the session must still leave the queue.</summary>
    [Fact]
    public async Task KillArrivingAsTheSessionQueues_StillLeavesTheQueue()
    {
        await using var rig = WithTimeouts([ServerAt("a") with { MaxConnections = 1, MaxQueue = 1 }]);
        var (first, t1) = rig.OpenConnected();
        Ha.Net.Proxy.Connections.ProxySession? queuing = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (rig.Meters.Owns(instrument.Meter) && instrument.Name == ProxyMetrics.QueuedConnectionsName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };

        // The queued-connections gauge moves right after the backend queued the session, before the
        // machine is told: the kill is raised at that very point.
        listener.SetMeasurementEventCallback<long>((_, delta, _, _) =>
        {
            if (delta > 0)
            {
                queuing?.Kill(SessionEnd.Killed);
            }
        });
        listener.Start();
        var (second, t2) = rig.Open(beforeStart: (session, _) => queuing = session);

        Assert.Equal("KQ", second.TerminationState);
        Assert.True(t2.ClosedAbortive);
        Assert.Equal(0, rig.Row("BACKEND").QueueCurrent);
        Assert.Equal(0, rig.Backend.QueueLength);

        // Its place is free: another session can queue (maxqueue 1), and gets the slot when the first ends.
        var (third, t3) = rig.Open();
        Assert.False(third.IsTerminated);
        t1.Client.Close();
        t1.Server.Close();
        Until(() => t3.ConnectPending, "the third session's connect");
        third.Kill(SessionEnd.Killed);
        Until(() => rig.TcpLogs.Count == 3, "the third session's log line");
        Assert.Equal("KC", third.TerminationState);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task KilledWhileConnecting_KC_TheAttemptIsCut()
    {
        await using var rig = WithTimeouts([ServerAt("a")]);
        var (session, t) = rig.Open();
        rig.Advance(TimeSpan.FromMilliseconds(100));
        session.Kill(SessionEnd.Killed);

        Assert.Equal("KC", session.TerminationState);
        Assert.False(t.ConnectPending);
        Assert.True(t.ClosedAbortive);
        Assert.True(t.Client.ResetSeen);
        Assert.False(t.Server.ResetSeen); // never connected
        var log = rig.SingleLog();
        Assert.Equal("KC", log.Termination);
        Assert.Equal("a", log.ServerName);
        Assert.Equal((0, -1, 100), (log.QueueMs, log.ConnectMs, log.TotalMs));
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task KilledWhileWaitingToRetry_KC_NoMoreAttempts()
    {
        await using var rig = WithTimeouts([ServerAt("a")]);
        var (session, t) = rig.Open();
        t.CompleteConnect(SocketError.ConnectionRefused);
        session.Kill(SessionEnd.Killed);
        rig.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal("KC", session.TerminationState);
        Assert.Single(t.ConnectAttempts);
        Assert.Equal("1", rig.SingleLog().Retries);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task ShutdownSessions_KillsTheServersSessions_KD()
    {
        await using var rig = WithTimeouts([ServerAt("a")]);
        var (s1, t1) = rig.OpenConnected();
        var (s2, t2) = rig.OpenConnected();
        t1.Client.Send("x");

        Assert.Equal(2, rig.Proxy.ShutdownSessions("be", "a"));

        Assert.Equal(["KD", "KD"], new[] { s1.TerminationState, s2.TerminationState });
        foreach (var t in new[] { t1, t2 })
        {
            Assert.True(t.ClosedAbortive);
            Assert.True(t.Client.ResetSeen);
            Assert.True(t.Server.ResetSeen);
        }

        Assert.All(rig.TcpLogs, l => Assert.Equal("KD", l.Termination));
        Assert.Equal(0, rig.Row("BACKEND").ClientAborts);
        Assert.Equal(0, rig.Row("BACKEND").ServerAborts);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task ServerMarkedDown_ShutdownSessions_DD()
    {
        await using var rig = WithTimeouts([ServerAt("a") with { ShutdownSessionsOnMarkedDown = true }]);
        var (session, t) = rig.OpenConnected();
        t.Server.Send("data");

        rig.Proxy.SetServerHealth("be", "a", up: false);

        Assert.Equal("DD", session.TerminationState);
        Assert.True(t.ClosedAbortive);
        Assert.True(t.Client.ResetSeen);
        Assert.True(t.Server.ResetSeen);
        Assert.Equal("DD", rig.SingleLog().Termination);

        // With its only server down, the next connection has nowhere to go.
        var (next, _) = rig.Open();
        Assert.Equal("SC", next.TerminationState);
        rig.AssertAllReleased();
    }

    /// <summary>Every kill cause in every phase: K (admin), D (server down), I (internal) × R, Q, C, D.</summary>
    [Theory]
    [InlineData('K', 'R')]
    [InlineData('K', 'Q')]
    [InlineData('K', 'C')]
    [InlineData('K', 'D')]
    [InlineData('D', 'Q')]
    [InlineData('D', 'C')]
    [InlineData('D', 'D')]
    [InlineData('I', 'R')]
    [InlineData('I', 'Q')]
    [InlineData('I', 'C')]
    [InlineData('I', 'D')]
    public async Task Kill_InEachPhase_NamesCauseAndPhase(char cause, char phase)
    {
        var end = cause switch { 'K' => SessionEnd.Killed, 'D' => SessionEnd.ServerDown, _ => SessionEnd.Internal };
        await using var rig = Create([ServerAt("a") with { MaxConnections = 1 }], frontend: fe => fe with { AcceptProxy = phase == 'R' });
        Ha.Net.Proxy.Connections.ProxySession? holder = null;
        if (phase == 'Q')
        {
            (holder, _) = rig.OpenConnected();
        }

        var (session, t) = rig.Open();
        if (phase == 'D')
        {
            t.CompleteConnect();
        }

        Assert.Equal(phase == 'R', t.ReceivePending);
        Assert.Equal(phase == 'C', t.ConnectPending);
        Assert.Equal(phase == 'D', t.Forwarding);
        session.Kill(end);
        holder?.Kill(end);

        Assert.Equal($"{cause}{phase}", session.TerminationState);
        Assert.True(t.ClosedAbortive);
        Assert.True(t.Client.ResetSeen);
        Assert.Equal(phase == 'D', t.Server.ResetSeen);
        Assert.Empty(rig.HeaderFailures);
        if (phase == 'R')
        {
            // Not a session yet: no tcplog line, and no header failure to report.
            Assert.Empty(rig.TcpLogs);
            Assert.False(t.ReceivePending);
            Assert.Equal(0, rig.Row("FRONTEND").TotalSessions);
        }
        else
        {
            Assert.Equal($"{cause}{phase}", rig.TcpLogs[0].Termination);
        }

        rig.AssertAllReleased();
    }

    [Fact]
    public async Task TransportThrowsOnConnect_IC_LoggedAsAnError()
    {
        await using var rig = WithTimeouts([ServerAt("a")]);
        var (session, t) = rig.Open(beforeStart: (_, transport) =>
            transport.ThrowOnConnect = new SocketException((int)SocketError.TooManyOpenSockets));

        Assert.Equal("IC", session.TerminationState);
        Assert.Single(t.ConnectAttempts);
        Assert.True(t.ClosedAbortive);
        Assert.True(t.Client.ResetSeen);
        Assert.Single(rig.SessionFailures);
        var log = rig.SingleLog();
        Assert.Equal("IC", log.Termination);
        Assert.Equal("a", log.ServerName);
        rig.Advance(TimeSpan.FromSeconds(10)); // no timer left behind
        Assert.Single(rig.TcpLogs);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task TransportFailsUnexpectedlyInData_ID()
    {
        await using var rig = WithTimeouts([ServerAt("a")]);
        var (session, t) = rig.OpenConnected();
        t.Client.Send("x");
        t.FailUnexpectedly(new InvalidOperationException("a pump's bug"));

        Assert.Equal("ID", session.TerminationState);
        Assert.True(t.ClosedAbortive);
        Assert.True(t.Server.ResetSeen);
        Assert.Single(rig.SessionFailures);
        Assert.Equal("ID", rig.SingleLog().Termination);

        // After the close, what the transport reports is not an error of ours.
        t.FailUnexpectedly(new InvalidOperationException("late"));
        Assert.Single(rig.SessionFailures);
        Assert.Equal(1, t.CloseCalls);
        rig.AssertAllReleased();
    }

    // ---- PROXY protocol header in (accept-proxy) ----

    private static SessionRig AcceptProxy(ProxyProtocolVersion sendProxy = ProxyProtocolVersion.None, bool dontLogNull = false) =>
        Create([ServerAt("a") with { SendProxy = sendProxy }],
            be => be with { ServerTimeout = Long },
            fe => fe with { AcceptProxy = true, ClientTimeout = TimeSpan.FromSeconds(5), DontLogNull = dontLogNull });

    [Fact]
    public async Task AcceptProxy_HeaderInTwoPieces_ItsSourceIsTheClient()
    {
        await using var rig = AcceptProxy();
        var (session, t) = rig.Open();
        Assert.True(t.ReceivePending);
        Assert.Equal(1, rig.Row("FRONTEND").TotalConnections);
        Assert.Equal(0, rig.Row("FRONTEND").TotalSessions);

        t.Client.Send("PROXY TCP4 192.0.2.10 198.51.100.20 5678");
        Assert.True(t.ReceivePending);
        Assert.Empty(t.ConnectAttempts);
        rig.Advance(TimeSpan.FromMilliseconds(20));
        t.Client.Send("9 8443\r\n");

        Assert.False(t.ReceivePending);
        Assert.Single(t.ConnectAttempts);
        Assert.Equal(1, rig.Row("FRONTEND").TotalSessions);
        Assert.Equal(1, rig.Row("BACKEND").TotalSessions);
        t.CompleteConnect();
        Assert.Null(t.Preface); // no send-proxy, nothing came behind the header
        t.Client.Send("data");
        Assert.Equal("data", t.Server.ReceivedText);
        t.Client.Close();
        t.Server.Close();

        Assert.Equal("--", session.TerminationState);
        var log = rig.SingleLog();
        Assert.Equal(("192.0.2.10", "56789"), (log.ClientAddress, log.ClientPort));
        Assert.StartsWith("192.0.2.10:56789 [", log.Message);
        Assert.Equal(4, log.BytesUploaded);
        Assert.Equal(20, log.TotalMs);
        Assert.Empty(rig.HeaderFailures);
        rig.AssertAllReleased();
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: example\r\n\r\n", "Received something which does not look like a PROXY protocol header")]
    [InlineData("PROXY TCP4 not-an-address 198.51.100.20 1 2\r\n", "Received an invalid PROXY protocol header")]
    public async Task AcceptProxy_NotAHeader_PR_Logged(string sent, string reason)
    {
        await using var rig = AcceptProxy();
        var (session, t) = rig.Open();
        t.Client.Send(sent);

        Assert.Equal("PR", session.TerminationState);
        Assert.True(t.ClosedAbortive);
        Assert.True(t.Client.ResetSeen);
        Assert.Empty(t.ConnectAttempts);
        Assert.Empty(rig.TcpLogs);
        string line = Assert.Single(rig.HeaderFailures);
        Assert.StartsWith($"{DefaultClient.Address}:", line);
        Assert.Contains("] fe: " + reason, line);
        Assert.Equal(1, rig.Row("FRONTEND").TotalConnections);
        Assert.Equal(0, rig.Row("FRONTEND").TotalSessions);
        Assert.Equal(0, rig.Row("BACKEND").TotalSessions);
        Assert.Equal(0, rig.Row("BACKEND").DeniedRequests);
        rig.AssertAllReleased();
    }

    [Theory]
    [InlineData("", "Connection closed while waiting for PROXY protocol header")]
    [InlineData("PROXY TCP4 192.0.2.10 ", "Truncated PROXY protocol header received")]
    public async Task AcceptProxy_ClosedBeforeTheHeader_CR(string sent, string reason)
    {
        await using var rig = AcceptProxy();
        var (session, t) = rig.Open();
        if (sent.Length > 0)
        {
            t.Client.Send(sent);
        }

        t.Client.Close();
        Assert.Equal("CR", session.TerminationState);
        Assert.False(t.ClosedAbortive);
        Assert.Empty(rig.TcpLogs);
        Assert.Contains("] fe: " + reason, Assert.Single(rig.HeaderFailures));
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task AcceptProxy_DontLogNull_SilencesAConnectionThatSentNothing()
    {
        await using var rig = AcceptProxy(dontLogNull: true);
        var (session, t) = rig.Open();
        t.Client.Close();
        Assert.Equal("CR", session.TerminationState);
        Assert.Empty(rig.HeaderFailures);
        Assert.Equal(1, rig.Row("FRONTEND").TotalConnections);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task AcceptProxy_ResetWhileWaiting_CR_WithAReset()
    {
        await using var rig = AcceptProxy();
        var (session, t) = rig.Open();
        t.Client.Send("PROXY ");
        t.Client.Reset();
        Assert.Equal("CR", session.TerminationState);
        Assert.True(t.ClosedAbortive);
        Assert.Contains("] fe: Connection error while waiting for PROXY protocol header", Assert.Single(rig.HeaderFailures));
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task AcceptProxy_Timeout_cR()
    {
        await using var rig = AcceptProxy();
        var (session, t) = rig.Open();
        t.Client.Send("PROXY TCP4 ");
        rig.Advance(TimeSpan.FromMilliseconds(4999));
        Assert.False(session.IsTerminated);
        rig.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal("cR", session.TerminationState);
        Assert.False(t.ClosedAbortive);
        Assert.True(t.Client.FinSeen);
        Assert.False(t.ReceivePending); // the pending read ended with the close
        Assert.Empty(t.ConnectAttempts);
        Assert.Empty(rig.TcpLogs);
        Assert.Contains("] fe: Timeout while waiting for PROXY protocol header", Assert.Single(rig.HeaderFailures));
        rig.AssertAllReleased();
    }

    // ---- PROXY protocol header out (send-proxy) ----

    [Fact]
    public async Task SendProxy_PrefaceNamesTheClientAndTheFrontendAddress()
    {
        await using var rig = WithTimeouts([ServerAt("a") with { SendProxy = ProxyProtocolVersion.V1 }]);
        var (session, t) = rig.Open(new IPEndPoint(IPAddress.Parse("192.0.2.33"), 41000));
        t.CompleteConnect();

        const string Header = "PROXY TCP4 192.0.2.33 198.51.100.1 41000 443\r\n";
        Assert.Equal(Header, t.PrefaceText);
        Assert.Equal(Header, t.Server.ReceivedText);
        t.Client.Send("hello");
        Assert.Equal(Header + "hello", t.Server.ReceivedText);
        t.Client.Close();
        t.Server.Close();
        Assert.Equal("--", session.TerminationState);
        Assert.Equal(5, rig.Row("FRONTEND").BytesIn); // the header is ours, not the client's
        Assert.Equal(5, rig.SingleLog().BytesUploaded);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task SendProxy_AfterAcceptProxy_TheHeadersAddressesThenTheEarlyData()
    {
        await using var rig = AcceptProxy(ProxyProtocolVersion.V1);
        var (session, t) = rig.Open();
        t.Client.Send("PROXY TCP4 192.0.2.10 198.51.100.20 56789 8443\r\nEARLY");
        Assert.Single(t.ConnectAttempts);
        t.Client.Send(" LATER"); // waits in the socket while connecting
        t.CompleteConnect();

        const string Header = "PROXY TCP4 192.0.2.10 198.51.100.20 56789 8443\r\n";
        Assert.Equal(Header + "EARLY", t.PrefaceText);
        Assert.Equal(Header + "EARLY LATER", t.Server.ReceivedText);
        t.Server.Send("reply");
        t.Server.Close();
        t.Client.Close();

        Assert.Equal("--", session.TerminationState);
        var log = rig.SingleLog();
        Assert.Equal("192.0.2.10", log.ClientAddress);
        Assert.Equal(11, log.BytesUploaded);
        Assert.Equal(5, log.BytesRead);
        Assert.Equal(11, rig.Row("FRONTEND").BytesIn);
        Assert.Equal(11, rig.Row("BACKEND").BytesIn);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task SendProxyV2_PrefaceIsTheBinaryHeader()
    {
        await using var rig = WithTimeouts([ServerAt("a") with { SendProxy = ProxyProtocolVersion.V2 }]);
        var (session, t) = rig.Open(new IPEndPoint(IPAddress.Parse("192.0.2.33"), 41000));
        t.CompleteConnect();

        var preface = t.Preface!;
        Assert.Equal(28, preface.Length);
        Assert.Equal(Ha.Net.HealthChecks.Probes.ProxyProtocolHeader.V2Signature.ToArray(), preface[..12]);
        Assert.Equal(new byte[] { 192, 0, 2, 33, 198, 51, 100, 1 }, preface[16..24]);
        Assert.Equal(new byte[] { 41000 >> 8, 41000 & 0xFF, 443 >> 8, 443 & 0xFF }, preface[24..28]);
        session.Kill(SessionEnd.Killed);
        rig.AssertAllReleased();
    }

    [Fact]
    public async Task SendProxy_ClientGoneBeforeItsAddressIsRead_CD()
    {
        await using var rig = WithTimeouts([ServerAt("a") with { SendProxy = ProxyProtocolVersion.V1 }]);
        var (session, t) = rig.Open();
        t.ClientGone = true;
        t.CompleteConnect();

        Assert.Equal("CD", session.TerminationState);
        Assert.False(t.Forwarding);
        Assert.True(t.ClosedAbortive);
        Assert.True(t.Server.ResetSeen);
        Assert.Equal(1, rig.Row("BACKEND").ClientAborts);
        Assert.Equal("CD", rig.SingleLog().Termination);
        rig.AssertAllReleased();
    }
}
