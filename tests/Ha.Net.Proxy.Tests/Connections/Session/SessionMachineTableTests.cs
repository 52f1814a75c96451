using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Connections.Session;
using K = Ha.Net.Proxy.Connections.Session.SessionActionKind;
using I = Ha.Net.Proxy.Connections.Session.SessionInputKind;

namespace Ha.Net.Proxy.Tests.Connections.Session;

/// <summary>One test per row of the transition table above <see cref="SessionMachine"/> (S1..X2), then a property over
/// random input sequences.</summary>
public class SessionMachineTableTests
{
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ServerTimeout = TimeSpan.FromSeconds(50);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    private static TimeSpan Sec(double seconds) => TimeSpan.FromSeconds(seconds);

    private static SessionAction A(K kind, bool flag = false) => new(kind, flag);

    private static SessionInput In(I kind, bool flag = false, SessionEnd end = SessionEnd.None, TimeSpan lastActivity = default, RetryFacts facts = RetryFacts.None) =>
        new(kind, flag, end, lastActivity, facts);

    /// <summary>tcplog's figures the machine keeps, compared in one go.</summary>
    private readonly record struct Figures(long QueueMs, long ConnectMs, int Retries, bool Redispatched, bool IsSession)
    {
        public static Figures Of(SessionMachine m) => new(m.QueueMs, m.ConnectMs, m.Retries, m.Redispatched, m.IsSession);
    }

    private sealed class Rig
    {
        public Rig(Func<FrontendOptions, FrontendOptions>? frontend = null, Func<BackendOptions, BackendOptions>? backend = null)
        {
            var fe = new FrontendOptions { Name = "fe", Bind = new IPEndPoint(IPAddress.Loopback, 1), Backend = "be", ClientTimeout = ClientTimeout };
            var be = new BackendOptions { Name = "be", ConnectTimeout = ConnectTimeout, ServerTimeout = ServerTimeout };
            Machine = new SessionMachine(frontend?.Invoke(fe) ?? fe, backend?.Invoke(be) ?? be);
        }

        public SessionMachine Machine { get; }

        public SessionState State => Machine.State;

        public TimeSpan? Deadline => Machine.NextDeadline;

        public SessionAction[] Feed(SessionInput input, TimeSpan now)
        {
            var actions = default(SessionActions);
            Machine.Handle(input, now, ref actions);
            return actions.ToArray();
        }

        public SessionAction[] Feed(I kind, TimeSpan now) => Feed(In(kind), now);

        /// <summary>Start at 0 without accept-proxy: in Assign.</summary>
        public Rig Started()
        {
            Feed(I.Start, TimeSpan.Zero);
            Assert.Equal(SessionState.Assign, State);
            return this;
        }

        /// <summary>Started, given a slot at 0: in Connecting, deadline at timeout connect.</summary>
        public Rig Connecting()
        {
            Started().Feed(I.Assigned, TimeSpan.Zero);
            Assert.Equal(SessionState.Connecting, State);
            return this;
        }

        /// <summary>Connecting, connected at <paramref name="at"/>: in Data.</summary>
        public Rig InData(TimeSpan at = default)
        {
            Connecting().Feed(I.Connected, at);
            Assert.Equal(SessionState.Data, State);
            return this;
        }

        /// <summary>Started, queued at <paramref name="at"/>: in Queued.</summary>
        public Rig InQueue(TimeSpan at = default)
        {
            Started().Feed(I.Queued, at);
            Assert.Equal(SessionState.Queued, State);
            return this;
        }
    }

    private static void AssertClosed(Rig r, SessionEnd end, SessionPhase phase, string code, Figures figures)
    {
        Assert.Equal(SessionState.Closed, r.State);
        Assert.True(r.Machine.IsClosed);
        Assert.Null(r.Deadline);
        Assert.Equal(new Termination(end, phase), r.Machine.Termination);
        Assert.Equal(code, r.Machine.Termination.Code);
        Assert.Equal(figures, Figures.Of(r.Machine));
    }

    // ---- S: Init ----

    [Fact]
    public void S1_Start_WithAcceptProxy_ReadsTheHeader_UntilTimeoutClient()
    {
        var r = new Rig(fe => fe with { AcceptProxy = true });
        Assert.Equal([A(K.ReadHeader)], r.Feed(I.Start, Sec(1)));
        Assert.Equal(SessionState.Header, r.State);
        Assert.Equal(Sec(1) + ClientTimeout, r.Deadline);
        Assert.False(r.Machine.IsSession);
        Assert.Equal(SessionEnd.None, r.Machine.Termination.End);
        Assert.Equal(new Figures(-1, -1, 0, false, false), Figures.Of(r.Machine));
    }

    [Fact]
    public void S1_Start_WithAcceptProxy_WithoutTimeoutClient_ArmsNoDeadline()
    {
        var r = new Rig(fe => fe with { AcceptProxy = true, ClientTimeout = null });
        Assert.Equal([A(K.ReadHeader)], r.Feed(I.Start, Sec(1)));
        Assert.Equal(SessionState.Header, r.State);
        Assert.Null(r.Deadline);
    }

    [Fact]
    public void S2_Start_CountsTheSession_AndAcquiresASlot()
    {
        var r = new Rig();
        Assert.Equal([A(K.CountSession), A(K.Acquire, false)], r.Feed(I.Start, Sec(1)));
        Assert.Equal(SessionState.Assign, r.State);
        Assert.Null(r.Deadline);
        Assert.Equal(new Figures(0, -1, 0, false, true), Figures.Of(r.Machine));
    }

    // ---- H: Header ----

    [Fact]
    public void H1_HeaderRead_CountsTheSession_AndAcquiresASlot()
    {
        var r = new Rig(fe => fe with { AcceptProxy = true });
        r.Feed(I.Start, TimeSpan.Zero);
        Assert.Equal([A(K.CountSession), A(K.Acquire, false)], r.Feed(I.HeaderRead, Ms(200)));
        Assert.Equal(SessionState.Assign, r.State);
        Assert.Null(r.Deadline);
        Assert.Equal(new Figures(0, -1, 0, false, true), Figures.Of(r.Machine));
    }

    [Theory]
    [InlineData(nameof(SessionEnd.HeaderClosed), false, "CR")]
    [InlineData(nameof(SessionEnd.HeaderError), true, "CR")]
    [InlineData(nameof(SessionEnd.HeaderInvalid), true, "PR")]
    public void H2_HeaderFailed_ClosesWithItsEnd_CR_Or_PR(string endName, bool reset, string code)
    {
        var end = Enum.Parse<SessionEnd>(endName);
        var r = new Rig(fe => fe with { AcceptProxy = true });
        r.Feed(I.Start, TimeSpan.Zero);
        Assert.Equal([A(K.Close, reset)], r.Feed(In(I.HeaderFailed, end: end), Ms(300)));
        AssertClosed(r, end, SessionPhase.Request, code, new Figures(-1, -1, 0, false, false));
    }

    [Fact]
    public void H3_HeaderDeadline_ClosesAsHeaderTimeout_cR()
    {
        var r = new Rig(fe => fe with { AcceptProxy = true });
        r.Feed(I.Start, Sec(1));

        // Early: nothing changes.
        Assert.Empty(r.Feed(I.Deadline, Sec(1) + ClientTimeout - Ms(1)));
        Assert.Equal(SessionState.Header, r.State);
        Assert.Equal(Sec(1) + ClientTimeout, r.Deadline);

        Assert.Equal([A(K.Close, false)], r.Feed(I.Deadline, Sec(1) + ClientTimeout));
        AssertClosed(r, SessionEnd.HeaderTimeout, SessionPhase.Request, "cR", new Figures(-1, -1, 0, false, false));
    }

    // ---- A: Assign ----

    [Fact]
    public void A1_Assigned_Connects_UntilTimeoutConnect()
    {
        var r = new Rig().Started();
        Assert.Equal([A(K.Connect)], r.Feed(I.Assigned, Ms(100)));
        Assert.Equal(SessionState.Connecting, r.State);
        Assert.Equal(Ms(100) + ConnectTimeout, r.Deadline);
    }

    [Fact]
    public void A2_Queued_Waits_UntilTimeoutQueue()
    {
        var r = new Rig(backend: be => be with { QueueTimeout = Sec(8) }).Started();
        Assert.Empty(r.Feed(I.Queued, Ms(100)));
        Assert.Equal(SessionState.Queued, r.State);
        Assert.Equal(Ms(100) + Sec(8), r.Deadline);
    }

    [Fact]
    public void A2_Queued_WithoutTimeoutQueue_WaitsTimeoutConnect()
    {
        var r = new Rig(backend: be => be with { QueueTimeout = null, ConnectTimeout = Sec(3) }).Started();
        Assert.Empty(r.Feed(I.Queued, Ms(100)));
        Assert.Equal(SessionState.Queued, r.State);
        Assert.Equal(Ms(100) + Sec(3), r.Deadline);
    }

    [Fact]
    public void A3_NoServer_Closes_SC()
    {
        var r = new Rig().Started();
        Assert.Equal([A(K.Close, false)], r.Feed(I.NoServer, Ms(10)));
        AssertClosed(r, SessionEnd.NoServer, SessionPhase.Connect, "SC", new Figures(0, -1, 0, false, true));
    }

    [Fact]
    public void A4_QueueFull_Closes_PQ()
    {
        var r = new Rig().Started();
        Assert.Equal([A(K.Close, false)], r.Feed(I.QueueFull, Ms(10)));
        AssertClosed(r, SessionEnd.QueueFull, SessionPhase.Queue, "PQ", new Figures(0, -1, 0, false, true));
    }

    // ---- Q: Queued ----

    [Fact]
    public void Q1_Granted_Connects_TheQueueTimeCountsInTw_NotInTc()
    {
        var r = new Rig().InQueue();
        Assert.Equal([A(K.Connect)], r.Feed(I.Granted, Ms(300)));
        Assert.Equal(SessionState.Connecting, r.State);
        Assert.Equal(Ms(300) + ConnectTimeout, r.Deadline);

        Assert.Equal([A(K.StartData)], r.Feed(I.Connected, Ms(350)));
        Assert.Equal(50, r.Machine.ConnectMs);
        r.Feed(In(I.SourceEnded, true), Ms(900));
        Assert.Equal([A(K.Close, false)], r.Feed(In(I.SourceEnded, false), Ms(1000)));
        AssertClosed(r, SessionEnd.Completed, SessionPhase.None, "--", new Figures(300, 50, 0, false, true));
    }

    [Fact]
    public void Q2_QueueDeadline_CancelsTheQueue_AndWaitsForTheAnswer()
    {
        var r = new Rig(backend: be => be with { QueueTimeout = Sec(2) }).InQueue(Ms(100));

        // Early: nothing changes.
        Assert.Empty(r.Feed(I.Deadline, Ms(2099)));
        Assert.Equal(Ms(2100), r.Deadline);

        Assert.Equal([A(K.CancelQueue)], r.Feed(I.Deadline, Ms(2100)));
        Assert.Equal(SessionState.Queued, r.State);
        Assert.Null(r.Deadline);

        // Asked once: a later deadline input does not ask again.
        Assert.Empty(r.Feed(I.Deadline, Ms(2200)));
        Assert.Equal(SessionState.Queued, r.State);
    }

    [Fact]
    public void Q2_CancelQueue_AnsweredByGranted_WhenASlotWonTheRace_Connects()
    {
        var r = new Rig(backend: be => be with { QueueTimeout = Sec(2) }).InQueue(Ms(100));
        r.Feed(I.Deadline, Ms(2100));
        Assert.Equal([A(K.Connect)], r.Feed(I.Granted, Ms(2110)));
        Assert.Equal(SessionState.Connecting, r.State);
        Assert.Equal(Ms(2110) + ConnectTimeout, r.Deadline);

        r.Feed(I.Connected, Ms(2150));
        Assert.Equal(2150 - 2010, r.Machine.ConnectMs); // Tc: 2,150 ms since Start, less 2,010 ms queued.
        r.Feed(In(I.Kill, end: SessionEnd.Killed), Sec(3));
        Assert.Equal(2010, r.Machine.QueueMs);
    }

    [Fact]
    public void Q3_Cancelled_Closes_sQ_WithTheQueueTimeInTw()
    {
        var r = new Rig(backend: be => be with { QueueTimeout = Sec(2) }).InQueue(Ms(100));
        Assert.Equal([A(K.CancelQueue)], r.Feed(I.Deadline, Ms(2100)));
        Assert.Equal([A(K.Close, false)], r.Feed(I.Cancelled, Ms(2150)));
        AssertClosed(r, SessionEnd.QueueTimeout, SessionPhase.Queue, "sQ", new Figures(2050, -1, 0, false, true));
    }

    // ---- C: Connecting ----

    [Fact]
    public void C1_Connected_StartsData_WithTheIdleDeadline()
    {
        var r = new Rig().Connecting();
        Assert.Equal([A(K.StartData)], r.Feed(I.Connected, Ms(40)));
        Assert.Equal(SessionState.Data, r.State);
        Assert.Equal(Ms(40) + ClientTimeout, r.Deadline); // min(client 30 s, server 50 s)
        Assert.Equal(40, r.Machine.ConnectMs);
        Assert.False(r.Machine.HalfClosed);
    }

    [Fact]
    public void C1_Connected_WithoutAnyIdleTimeout_ArmsNoDeadline()
    {
        var r = new Rig(fe => fe with { ClientTimeout = null }, be => be with { ServerTimeout = null }).Connecting();
        Assert.Equal([A(K.StartData)], r.Feed(I.Connected, Ms(40)));
        Assert.Equal(SessionState.Data, r.State);
        Assert.Null(r.Deadline);
    }

    [Fact]
    public void C2_ConnectDeadline_AbortsTheAttempt()
    {
        var r = new Rig().Connecting();

        // Early: nothing changes.
        Assert.Empty(r.Feed(I.Deadline, ConnectTimeout - Ms(1)));
        Assert.Equal(ConnectTimeout, r.Deadline);

        Assert.Equal([A(K.AbortConnect)], r.Feed(I.Deadline, ConnectTimeout));
        Assert.Equal(SessionState.Connecting, r.State);
        Assert.Null(r.Deadline);

        // Aborted once.
        Assert.Empty(r.Feed(I.Deadline, ConnectTimeout + Sec(1)));
    }

    [Fact]
    public void C3_ConnectFailed_NoRetryLeft_Closes_SC()
    {
        var r = new Rig(backend: be => be with { Retries = 0 }).Connecting();
        Assert.Equal([A(K.ConnectError, false), A(K.Close, false)], r.Feed(In(I.ConnectFailed, true), Ms(10)));
        AssertClosed(r, SessionEnd.ConnectRefused, SessionPhase.Connect, "SC", new Figures(0, -1, 0, false, true));
    }

    [Fact]
    public void C3_ConnectTimedOut_NoRetryLeft_Closes_sC_AndTheErrorIsATimeout()
    {
        var r = new Rig(backend: be => be with { Retries = 0 }).Connecting();
        Assert.Equal([A(K.AbortConnect)], r.Feed(I.Deadline, ConnectTimeout));
        Assert.Equal([A(K.ConnectError, true), A(K.Close, false)], r.Feed(I.ConnectFailed, ConnectTimeout + Ms(1)));
        AssertClosed(r, SessionEnd.ConnectTimeout, SessionPhase.Connect, "sC", new Figures(0, -1, 0, false, true));
    }

    [Fact]
    public void C3_AfterTheLastRetry_Closes_WithTheRetriesCounted()
    {
        var r = new Rig(backend: be => be with { Retries = 2 }).Connecting();
        Assert.Equal([A(K.ConnectError, false), A(K.Retry, false)], r.Feed(I.ConnectFailed, Ms(100)));
        Assert.Equal([A(K.Connect)], r.Feed(I.Deadline, Ms(1100)));

        // The second attempt times out: its error is a timeout, and the retry after it goes at once
        // (HAProxy pauses only after a connection error, C5).
        Assert.Equal([A(K.AbortConnect)], r.Feed(I.Deadline, Ms(1100) + ConnectTimeout));
        Assert.Equal([A(K.ConnectError, true), A(K.Retry, false), A(K.Connect)], r.Feed(I.ConnectFailed, Ms(1100) + ConnectTimeout));
        Assert.Equal(Ms(1100) + ConnectTimeout + ConnectTimeout, r.Deadline);

        Assert.Equal([A(K.ConnectError, false), A(K.Close, false)], r.Feed(I.ConnectFailed, Ms(2200) + ConnectTimeout));
        AssertClosed(r, SessionEnd.ConnectRefused, SessionPhase.Connect, "SC", new Figures(0, -1, 2, false, true));
    }

    [Fact]
    public void C4_LastRetry_WithRedispatch_AndAnotherServerUsable_AcquiresAnother()
    {
        var r = new Rig(backend: be => be with { Retries = 1, Redispatch = true }).Connecting();
        Assert.Equal([A(K.ConnectError, false), A(K.Retry, true), A(K.Acquire, true)], r.Feed(In(I.ConnectFailed, true, facts: RetryFacts.SeveralServersUp), Ms(100)));
        Assert.Equal(SessionState.Assign, r.State);
        Assert.Null(r.Deadline);
        Assert.Equal(new Figures(0, -1, 1, true, true), Figures.Of(r.Machine));

        // No pause: the other server is connected to at once; Tc counts both attempts.
        Assert.Equal([A(K.Connect)], r.Feed(I.Assigned, Ms(100)));
        Assert.Equal(Ms(100) + ConnectTimeout, r.Deadline);
        r.Feed(I.Connected, Ms(130));
        Assert.Equal(130, r.Machine.ConnectMs);
    }

    [Fact]
    public void C4_TimedOutLastRetry_Redispatches_WithATimeoutError()
    {
        var r = new Rig(backend: be => be with { Retries = 1, Redispatch = true }).Connecting();
        r.Feed(I.Deadline, ConnectTimeout);
        Assert.Equal([A(K.ConnectError, true), A(K.Retry, true), A(K.Acquire, true)], r.Feed(In(I.ConnectFailed, true), ConnectTimeout));
        Assert.Equal(SessionState.Assign, r.State);
        Assert.True(r.Machine.Redispatched);
    }

    [Fact]
    public void C4_NotTheLastRetry_RoundRobinWithSeveralServersUp_RedispatchesAtOnce()
    {
        // HAProxy's stream_choose_redispatch: roundrobin or random, several servers up: any retry goes elsewhere, no pause.
        var r = new Rig(backend: be => be with { Retries = 3, Redispatch = true }).Connecting();
        Assert.Equal([A(K.ConnectError, false), A(K.Retry, true), A(K.Acquire, true)], r.Feed(In(I.ConnectFailed, true, facts: RetryFacts.SeveralServersUp), Ms(100)));
        Assert.Equal(SessionState.Assign, r.State);
        Assert.Equal(new Figures(0, -1, 1, true, true), Figures.Of(r.Machine));
    }

    [Fact]
    public void C4_FailedServerDown_Redispatches_EvenBeforeTheLastRetry()
    {
        var r = new Rig(backend: be => be with { Retries = 3, Redispatch = true, Balance = BalanceAlgorithm.LeastConnections }).Connecting();

        // leastconn does not spread at once, but a server marked down is left; after an error, with a pause (C6).
        Assert.Equal([A(K.ConnectError, false), A(K.Retry, true)], r.Feed(In(I.ConnectFailed, true, facts: RetryFacts.ServerDown | RetryFacts.SeveralServersUp), Ms(100)));
        Assert.Equal(SessionState.RetryWait, r.State);
        Assert.Equal([A(K.Acquire, true)], r.Feed(I.Deadline, Ms(1100)));
        Assert.True(r.Machine.Redispatched);
    }

    [Fact]
    public void C6_NotTheLastRetry_LeastConn_RetriesTheSameServer_ThenTheLastRedispatchesAfterThePause()
    {
        var r = new Rig(backend: be => be with { Retries = 2, Redispatch = true, Balance = BalanceAlgorithm.LeastConnections }).Connecting();
        Assert.Equal([A(K.ConnectError, false), A(K.Retry, false)], r.Feed(In(I.ConnectFailed, true, facts: RetryFacts.SeveralServersUp), Ms(100)));
        Assert.Equal(SessionState.RetryWait, r.State);
        Assert.False(r.Machine.Redispatched);

        // The second (last) retry redispatches, after the pause (leastconn is not roundrobin: HAProxy waits).
        r.Feed(I.Deadline, Ms(1100));
        Assert.Equal([A(K.ConnectError, false), A(K.Retry, true)], r.Feed(In(I.ConnectFailed, true, facts: RetryFacts.SeveralServersUp), Ms(1200)));
        Assert.Equal([A(K.Acquire, true)], r.Feed(I.Deadline, Ms(2200)));
        Assert.Equal(new Figures(0, -1, 2, true, true), Figures.Of(r.Machine));
    }

    [Fact]
    public void C4_NoOtherServerUsable_RetriesTheSameServer()
    {
        var r = new Rig(backend: be => be with { Retries = 1, Redispatch = true }).Connecting();
        Assert.Equal([A(K.ConnectError, false), A(K.Retry, false)], r.Feed(In(I.ConnectFailed, false), Ms(100)));
        Assert.Equal(SessionState.RetryWait, r.State);
        Assert.Equal(new Figures(0, -1, 1, false, true), Figures.Of(r.Machine));
    }

    [Fact]
    public void C4_WithoutOptionRedispatch_RetriesTheSameServer()
    {
        var r = new Rig(backend: be => be with { Retries = 1, Redispatch = false }).Connecting();
        Assert.Equal([A(K.ConnectError, false), A(K.Retry, false)], r.Feed(In(I.ConnectFailed, true), Ms(100)));
        Assert.Equal(SessionState.RetryWait, r.State);
        Assert.False(r.Machine.Redispatched);
    }

    [Fact]
    public void C6_ConnectFailed_RetriesLeft_PausesOneSecond_WhenTimeoutConnectIsLonger()
    {
        var r = new Rig().Connecting();
        Assert.Equal([A(K.ConnectError, false), A(K.Retry, false)], r.Feed(I.ConnectFailed, Ms(200)));
        Assert.Equal(SessionState.RetryWait, r.State);
        Assert.Equal(Ms(1200), r.Deadline);
        Assert.Equal(new Figures(0, -1, 1, false, true), Figures.Of(r.Machine));
    }

    [Fact]
    public void C6_ConnectFailed_RetriesLeft_PausesTimeoutConnect_WhenShorterThanOneSecond()
    {
        var r = new Rig(backend: be => be with { ConnectTimeout = Ms(300) }).Connecting();
        Assert.Equal([A(K.ConnectError, false), A(K.Retry, false)], r.Feed(I.ConnectFailed, Ms(200)));
        Assert.Equal(SessionState.RetryWait, r.State);
        Assert.Equal(Ms(500), r.Deadline);
    }

    [Fact]
    public void C5_ConnectTimedOut_RetriesLeft_TheErrorIsATimeout_AndTheRetryGoesAtOnce()
    {
        var r = new Rig().Connecting();
        r.Feed(I.Deadline, ConnectTimeout);
        Assert.Equal([A(K.ConnectError, true), A(K.Retry, false), A(K.Connect)], r.Feed(I.ConnectFailed, ConnectTimeout));
        Assert.Equal(SessionState.Connecting, r.State);
        Assert.Equal(ConnectTimeout + ConnectTimeout, r.Deadline);
    }

    // ---- W: RetryWait ----

    [Fact]
    public void W1_RetryPauseOver_ConnectsAgain_UntilTimeoutConnect()
    {
        var r = new Rig().Connecting();
        r.Feed(I.ConnectFailed, Ms(200));

        // Early: nothing changes.
        Assert.Empty(r.Feed(I.Deadline, Ms(1199)));
        Assert.Equal(SessionState.RetryWait, r.State);
        Assert.Equal(Ms(1200), r.Deadline);

        Assert.Equal([A(K.Connect)], r.Feed(I.Deadline, Ms(1200)));
        Assert.Equal(SessionState.Connecting, r.State);
        Assert.Equal(Ms(1200) + ConnectTimeout, r.Deadline);

        // Tc runs from the first attempt, retries and pause included.
        r.Feed(I.Connected, Ms(1250));
        Assert.Equal(1250, r.Machine.ConnectMs);
        Assert.Equal(1, r.Machine.Retries);
    }

    // ---- D: Data ----

    [Fact]
    public void D1_ClientSourceEnded_HalfClosesToTheServer_AndTimeoutClientFinReplacesTheIdleTimeout()
    {
        var r = new Rig(fe => fe with { ClientFinTimeout = Sec(2) }).InData();
        Assert.Equal([A(K.HalfClose, true)], r.Feed(In(I.SourceEnded, true), Sec(1)));
        Assert.Equal(SessionState.Data, r.State);
        Assert.True(r.Machine.HalfClosed);
        Assert.Equal(Sec(3), r.Deadline); // min(client-fin 2 s, server 50 s)

        // The same direction again is nothing new.
        Assert.Empty(r.Feed(In(I.SourceEnded, true), Sec(2)));
        Assert.Equal(Sec(3), r.Deadline);

        Assert.Equal([A(K.Close, false)], r.Feed(In(I.Deadline, lastActivity: Sec(1)), Sec(3)));
        AssertClosed(r, SessionEnd.ClientTimeout, SessionPhase.Data, "cD", new Figures(0, 0, 0, false, true));
    }

    [Fact]
    public void D1_ServerSourceEnded_HalfClosesToTheClient_AndTimeoutServerFinReplacesTheIdleTimeout()
    {
        var r = new Rig(backend: be => be with { ServerFinTimeout = Sec(1) }).InData();
        Assert.Equal([A(K.HalfClose, false)], r.Feed(In(I.SourceEnded, false), Sec(4)));
        Assert.Equal(SessionState.Data, r.State);
        Assert.Equal(Sec(5), r.Deadline); // min(client 30 s, server-fin 1 s)

        Assert.Equal([A(K.Close, false)], r.Feed(In(I.Deadline, lastActivity: Sec(4)), Sec(5)));
        AssertClosed(r, SessionEnd.ServerTimeout, SessionPhase.Data, "sD", new Figures(0, 0, 0, false, true));
    }

    [Fact]
    public void D1_WithoutFinTimeouts_TheIdleTimeoutStays()
    {
        var r = new Rig().InData();
        Assert.Equal([A(K.HalfClose, true)], r.Feed(In(I.SourceEnded, true), Sec(1)));
        Assert.Equal(Sec(1) + ClientTimeout, r.Deadline);
    }

    [Fact]
    public void D1_FinTimeouts_AlsoReplaceTimeoutTunnel()
    {
        var r = new Rig(fe => fe with { ClientFinTimeout = Sec(20) }, be => be with { TunnelTimeout = Sec(10) }).InData();
        Assert.Equal(Sec(10), r.Deadline);
        r.Feed(In(I.SourceEnded, false), Sec(1));
        Assert.Equal(Sec(11), r.Deadline); // client-fin 20 s, server side still tunnel 10 s

        Assert.Equal([A(K.Close, false)], r.Feed(In(I.Deadline, lastActivity: Sec(1)), Sec(11)));
        Assert.Equal("sD", r.Machine.Termination.Code);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void D2_SourceEnded_OtherAlreadyEnded_Closes_Completed(bool clientFirst)
    {
        var r = new Rig().InData(Ms(25));
        r.Feed(In(I.SourceEnded, clientFirst), Sec(1));
        Assert.Equal([A(K.Close, false)], r.Feed(In(I.SourceEnded, !clientFirst), Sec(2)));
        AssertClosed(r, SessionEnd.Completed, SessionPhase.None, "--", new Figures(0, 25, 0, false, true));
    }

    [Theory]
    [InlineData(true, nameof(SessionEnd.ClientAbort), "CD")]
    [InlineData(false, nameof(SessionEnd.ServerAbort), "SD")]
    public void D3_Failed_ClosesWithAReset_CD_Or_SD(bool client, string endName, string code)
    {
        var r = new Rig().InData(Ms(25));
        Assert.Equal([A(K.Close, true)], r.Feed(In(I.Failed, client), Sec(1)));
        AssertClosed(r, Enum.Parse<SessionEnd>(endName), SessionPhase.Data, code, new Figures(0, 25, 0, false, true));
    }

    [Theory]
    [InlineData(30, 50, null, 30, "cD")] // the smaller, client
    [InlineData(50, 30, null, 30, "sD")] // the smaller, server
    [InlineData(20, 20, null, 20, "cD")] // equal: client
    [InlineData(null, 20, null, 20, "sD")] // only timeout server
    [InlineData(20, null, null, 20, "cD")] // only timeout client
    [InlineData(30, 5, 10, 10, "cD")] // timeout tunnel replaces both
    public void D4_IdleDeadline_ClosesOnTheSideOfTheSmallerTimeout(int? clientS, int? serverS, int? tunnelS, int idleS, string code)
    {
        var r = new Rig(
            fe => fe with { ClientTimeout = clientS is { } c ? Sec(c) : null },
            be => be with { ServerTimeout = serverS is { } s ? Sec(s) : null, TunnelTimeout = tunnelS is { } t ? Sec(t) : null }).InData();
        Assert.Equal(Sec(idleS), r.Deadline);

        // Early: nothing changes.
        Assert.Empty(r.Feed(I.Deadline, Sec(idleS) - Ms(1)));
        Assert.Equal(Sec(idleS), r.Deadline);

        Assert.Equal([A(K.Close, false)], r.Feed(I.Deadline, Sec(idleS)));
        var end = code == "cD" ? SessionEnd.ClientTimeout : SessionEnd.ServerTimeout;
        AssertClosed(r, end, SessionPhase.Data, code, new Figures(0, 0, 0, false, true));
    }

    [Fact]
    public void D5_IdleDeadline_AfterActivity_RearmsAtLastActivityPlusTimeout()
    {
        var r = new Rig().InData();
        Assert.Equal(ClientTimeout, r.Deadline);

        // An early deadline input changes nothing, whatever its last activity.
        Assert.Empty(r.Feed(In(I.Deadline, lastActivity: Sec(15)), Sec(20)));
        Assert.Equal(ClientTimeout, r.Deadline);

        Assert.Empty(r.Feed(In(I.Deadline, lastActivity: Sec(12)), Sec(30)));
        Assert.Equal(SessionState.Data, r.State);
        Assert.Equal(Sec(42), r.Deadline);

        Assert.Empty(r.Feed(In(I.Deadline, lastActivity: Sec(41.5)), Sec(42)));
        Assert.Equal(Sec(71.5), r.Deadline);

        Assert.Equal([A(K.Close, false)], r.Feed(In(I.Deadline, lastActivity: Sec(41.5)), Sec(71.5)));
        Assert.Equal("cD", r.Machine.Termination.Code);
    }

    // ---- X: any state ----

    [Theory]
    [InlineData(nameof(SessionState.Init), nameof(SessionEnd.Killed), "KQ", -1, -1, 0, false)]
    [InlineData(nameof(SessionState.Header), nameof(SessionEnd.Killed), "KR", -1, -1, 0, false)]
    [InlineData(nameof(SessionState.Assign), nameof(SessionEnd.Killed), "KQ", 0, -1, 0, true)]
    [InlineData(nameof(SessionState.Assign), nameof(SessionEnd.Internal), "IQ", 0, -1, 0, true)]
    [InlineData(nameof(SessionState.Queued), nameof(SessionEnd.Killed), "KQ", 400, -1, 0, true)]
    [InlineData(nameof(SessionState.Connecting), nameof(SessionEnd.Killed), "KC", 0, -1, 0, true)]
    [InlineData(nameof(SessionState.Connecting), nameof(SessionEnd.ServerDown), "DC", 0, -1, 0, true)]
    [InlineData(nameof(SessionState.RetryWait), nameof(SessionEnd.Killed), "KC", 0, -1, 1, true)]
    [InlineData(nameof(SessionState.Data), nameof(SessionEnd.Killed), "KD", 0, 40, 0, true)]
    [InlineData(nameof(SessionState.Data), nameof(SessionEnd.ServerDown), "DD", 0, 40, 0, true)]
    [InlineData(nameof(SessionState.Data), nameof(SessionEnd.Internal), "ID", 0, 40, 0, true)]
    public void X1_Kill_InAnyOpenState_ClosesWithAReset_InTheCurrentPhase(
        string stateName, string endName, string code, long queueMs, long connectMs, int retries, bool isSession)
    {
        var state = Enum.Parse<SessionState>(stateName);
        var end = Enum.Parse<SessionEnd>(endName);
        var r = new Rig(fe => fe with { AcceptProxy = state == SessionState.Header });
        switch (state)
        {
            case SessionState.Header:
                r.Feed(I.Start, TimeSpan.Zero);
                break;
            case SessionState.Assign:
                r.Started();
                break;
            case SessionState.Queued:
                r.InQueue(Ms(100));
                break;
            case SessionState.Connecting:
                r.Connecting();
                break;
            case SessionState.RetryWait:
                r.Connecting().Feed(I.ConnectFailed, Ms(100));
                break;
            case SessionState.Data:
                r.InData(Ms(40));
                break;
        }

        Assert.Equal(state, r.State);
        var expected = state == SessionState.Queued ? new[] { A(K.CancelQueue), A(K.Close, true) } : [A(K.Close, true)];
        Assert.Equal(expected, r.Feed(In(I.Kill, end: end), Ms(500)));
        var phase = (SessionPhase)(byte)code[1];
        AssertClosed(r, end, phase, code, new Figures(queueMs, connectMs, retries, false, isSession));
    }

    [Fact]
    public void X2_Closed_IgnoresEveryInput()
    {
        var r = new Rig().Started();
        r.Feed(I.NoServer, Ms(10));
        var termination = r.Machine.Termination;
        var figures = Figures.Of(r.Machine);
        var now = Ms(10);
        foreach (var kind in Enum.GetValues<I>())
        {
            foreach (var flag in new[] { false, true })
            {
                now += Sec(1);
                Assert.Empty(r.Feed(In(kind, flag, SessionEnd.Killed, now), now));
                Assert.Equal(SessionState.Closed, r.State);
                Assert.Null(r.Deadline);
                Assert.Equal(termination, r.Machine.Termination);
                Assert.Equal(figures, Figures.Of(r.Machine));
            }
        }
    }

    // ---- Tw and Tc across queues, retries and redispatch ----

    [Fact]
    public void TwSumsEveryQueueWait_AndTcExcludesThem()
    {
        var r = new Rig(backend: be => be with { Retries = 1, Redispatch = true }).InQueue();
        r.Feed(I.Granted, Ms(300)); // first wait: 300 ms
        Assert.Equal([A(K.ConnectError, false), A(K.Retry, true), A(K.Acquire, true)], r.Feed(In(I.ConnectFailed, true, facts: RetryFacts.SeveralServersUp), Ms(400)));
        Assert.Empty(r.Feed(I.Queued, Ms(400)));
        Assert.Equal(Ms(400) + ConnectTimeout, r.Deadline); // timeout queue defaults to timeout connect
        r.Feed(I.Granted, Ms(600)); // second wait: 200 ms
        r.Feed(I.Connected, Ms(650));
        Assert.Equal(650 - 500, r.Machine.ConnectMs);

        Assert.Equal([A(K.Close, true)], r.Feed(In(I.Kill, end: SessionEnd.Killed), Sec(1)));
        AssertClosed(r, SessionEnd.Killed, SessionPhase.Data, "KD", new Figures(500, 150, 1, true, true));
    }

    // ---- Property ----

    private readonly record struct Step(I Kind, bool Flag, SessionEnd End, int DeltaMs, bool AtDeadline, int IdleMs);

    private readonly record struct Settings(
        bool AcceptProxy, int Retries, bool Redispatch, int ConnectMs, int? QueueMs, int? ClientMs, int? ServerMs, int? TunnelMs, int? ClientFinMs, int? ServerFinMs);

    private static readonly I[] Kinds = [.. Enum.GetValues<I>(), I.Deadline, I.Deadline, I.Deadline, I.ConnectFailed, I.SourceEnded];

    [Fact]
    public void AnyInputs_CloseAtMostOnce_NothingAfterIt_NoDeadlineWhenClosed_ResetIffAbortive()
    {
        var optionalMs = Gen.OneOf(Gen.Constant<int?>(null), Gen.Choose(1, 60_000).Select(x => (int?)x));
        var settings =
            from acceptProxy in Gen.Elements(false, true)
            from retries in Gen.Choose(0, 3)
            from redispatch in Gen.Elements(false, true)
            from connect in Gen.Choose(1, 6_000)
            from queue in optionalMs
            from client in optionalMs
            from server in optionalMs
            from tunnel in optionalMs
            from clientFin in optionalMs
            from serverFin in optionalMs
            select new Settings(acceptProxy, retries, redispatch, connect, queue, client, server, tunnel, clientFin, serverFin);
        var step =
            from kind in Gen.Elements(Kinds)
            from flag in Gen.Elements(false, true)
            from end in Gen.Elements(Enum.GetValues<SessionEnd>())
            from delta in Gen.Elements(0, 0, 1, 10, 100, 1_000, 5_000, 40_000)
            from atDeadline in Gen.Elements(false, true)
            from idle in Gen.Choose(0, 70_000)
            select new Step(kind, flag, end, delta, atDeadline, idle);
        var cases =
            from s in settings
            from startFirst in Gen.Frequency((3, Gen.Constant(true)), (1, Gen.Constant(false)))
            from n in Gen.Choose(1, 60)
            from steps in Gen.ArrayOf(step, n)
            select (Settings: s, Steps: startFirst ? [new Step(I.Start, false, SessionEnd.None, 0, false, 0), .. steps] : steps);

        Prop.ForAll(cases.ToArbitrary(), c => Run(c.Settings, c.Steps)).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }

    private static TimeSpan? OptionalMs(int? ms) => ms is { } m ? Ms(m) : null;

    private static void Run(Settings s, Step[] steps)
    {
        var fe = new FrontendOptions
        {
            Name = "fe",
            Bind = new IPEndPoint(IPAddress.Loopback, 1),
            Backend = "be",
            AcceptProxy = s.AcceptProxy,
            ClientTimeout = OptionalMs(s.ClientMs),
            ClientFinTimeout = OptionalMs(s.ClientFinMs),
        };
        var be = new BackendOptions
        {
            Name = "be",
            Retries = s.Retries,
            Redispatch = s.Redispatch,
            ConnectTimeout = Ms(s.ConnectMs),
            QueueTimeout = OptionalMs(s.QueueMs),
            ServerTimeout = OptionalMs(s.ServerMs),
            TunnelTimeout = OptionalMs(s.TunnelMs),
            ServerFinTimeout = OptionalMs(s.ServerFinMs),
        };
        var machine = new SessionMachine(fe, be);
        var now = TimeSpan.Zero;
        int closes = 0;
        var trace = new List<string>();
        foreach (var st in steps)
        {
            now += Ms(st.DeltaMs);
            if (st.AtDeadline && machine.NextDeadline is { } d && d > now)
            {
                now = d;
            }

            var lastActivity = now - Ms(st.IdleMs) < TimeSpan.Zero ? TimeSpan.Zero : now - Ms(st.IdleMs);
            var input = new SessionInput(st.Kind, st.Flag, st.End, lastActivity);
            bool wasClosed = machine.IsClosed;
            var before = machine.State;
            var actions = default(SessionActions);
            machine.Handle(input, now, ref actions);
            var emitted = actions.ToArray();
            trace.Add($"{now.TotalMilliseconds} ms {before} {input} -> {machine.State} [{string.Join(", ", emitted)}] deadline {machine.NextDeadline}");

            void Fail(string what) => throw new Xunit.Sdk.XunitException($"{what}\n{s}\n{string.Join("\n", trace)}");

            if (wasClosed && emitted.Length > 0)
            {
                Fail("actions after Close");
            }

            int closeAt = Array.FindIndex(emitted, a => a.Kind == K.Close);
            if (closeAt >= 0)
            {
                closes++;
                if (closes > 1)
                {
                    Fail("Close emitted twice");
                }

                if (closeAt != emitted.Length - 1)
                {
                    Fail("an action after Close");
                }

                if (emitted[closeAt].Flag != TerminationFacts.Abortive(machine.Termination.End))
                {
                    Fail("Close's reset flag differs from TerminationFacts.Abortive of its end");
                }
            }

            if (machine.IsClosed != (closes == 1))
            {
                Fail("closed without emitting Close, or Close without closing");
            }

            if (machine.IsClosed && machine.NextDeadline is not null)
            {
                Fail("a deadline in Closed");
            }
        }
    }
}
