using System.Net;
using Ha.Net.Proxy.Backends;
using Ha.Net.Proxy.Configuration;

namespace Ha.Net.Proxy.Tests.LoadBalancing;

public class BackendTests
{
    private static ServerOptions S(string name, int maxconn = 0, int maxqueue = 0, bool backup = false, int weight = 1) => new()
    {
        Name = name,
        Address = new IPEndPoint(IPAddress.Loopback, 1000 + name.Length),
        MaxConnections = maxconn,
        MaxQueue = maxqueue,
        Backup = backup,
        Weight = weight,
    };

    private static Backend Make(BalanceAlgorithm balance, params ServerOptions[] servers) =>
        new(new BackendOptions { Name = "be", Balance = balance, Servers = servers }, new Random(1), 0);

    [Fact]
    public void FullServers_QueueThenReleaseHandsTheSlotToTheOldestWaiter()
    {
        var be = Make(BalanceAlgorithm.RoundRobin, S("a", maxconn: 1));
        Assert.Equal(AssignOutcome.Assigned, be.TryAssign(null, out var a, out _));
        Assert.Equal(AssignOutcome.Queued, be.TryAssign(null, out _, out var w1));
        Assert.Equal(AssignOutcome.Queued, be.TryAssign(null, out _, out var w2));
        Assert.Equal(2, be.Counters.QueueCurrent);

        be.Release(a!);
        Assert.True(w1!.Task.IsCompletedSuccessfully);
        Assert.Same(a, w1.Task.Result);
        Assert.False(w2!.Task.IsCompleted);
        Assert.Equal(1, a!.Active);
        Assert.Equal(1, be.Counters.QueueCurrent);
        Assert.Equal(2, be.Counters.QueueMax);
    }

    [Fact]
    public void QueueBoundedBySumOfMaxQueue()
    {
        var be = Make(BalanceAlgorithm.RoundRobin, S("a", maxconn: 1, maxqueue: 1), S("b", maxconn: 1, maxqueue: 1));
        Assert.Equal(AssignOutcome.Assigned, be.TryAssign(null, out _, out _));
        Assert.Equal(AssignOutcome.Assigned, be.TryAssign(null, out _, out _));
        Assert.Equal(AssignOutcome.Queued, be.TryAssign(null, out _, out _));
        Assert.Equal(AssignOutcome.Queued, be.TryAssign(null, out _, out _));
        Assert.Equal(AssignOutcome.QueueFull, be.TryAssign(null, out _, out _));
    }

    [Fact]
    public void CancelledWaiter_LeavesTheQueue()
    {
        var be = Make(BalanceAlgorithm.RoundRobin, S("a", maxconn: 1));
        be.TryAssign(null, out var a, out _);
        be.TryAssign(null, out _, out var waiter);
        Assert.True(be.TryCancel(waiter!));
        Assert.Null(waiter!.Task.Result);
        Assert.Equal(0, be.Counters.QueueCurrent);
        be.Release(a!);
        Assert.Equal(0, a!.Active);
        Assert.False(be.TryCancel(waiter));
    }

    [Fact]
    public void LeastConn_QueuesOnAServerUpToMaxconnPlusMaxqueue()
    {
        var be = Make(BalanceAlgorithm.LeastConnections, S("a", maxconn: 1, maxqueue: 2));
        Assert.Equal(AssignOutcome.Assigned, be.TryAssign(null, out var a, out _));
        Assert.Equal(AssignOutcome.Queued, be.TryAssign(null, out _, out var w1));
        Assert.Same(a, w1!.QueuedOn);
        Assert.Equal(AssignOutcome.Queued, be.TryAssign(null, out _, out var w2));
        Assert.Same(a, w2!.QueuedOn);
        Assert.Equal(2, a!.Load - a.Active);

        // maxconn + maxqueue reached on the only server: the backend queue (bound 2) takes no more either.
        Assert.Equal(AssignOutcome.QueueFull, be.TryAssign(null, out _, out _));
    }

    [Fact]
    public void Backup_UsedOnlyWhenNoActiveServerIsUsable_FirstBackupOnly()
    {
        var be = Make(BalanceAlgorithm.RoundRobin, S("a"), S("b1", backup: true), S("b2", backup: true));
        be.TryAssign(null, out var first, out _);
        Assert.Equal("a", first!.Name);

        be.FindServer("a")!.HealthUp = false;
        be.OnServersChanged();
        for (int i = 0; i < 4; i++)
        {
            be.TryAssign(null, out var s, out _);
            Assert.Equal("b1", s!.Name);
        }
    }

    [Fact]
    public void AllBackups_SpreadsOverEveryBackup()
    {
        var options = new BackendOptions { Name = "be", AllBackups = true, Servers = [S("a"), S("b1", backup: true), S("b2", backup: true)] };
        var be = new Backend(options, new Random(1), 0);
        be.FindServer("a")!.AdminState = ServerAdminState.Maintenance;
        var names = Enumerable.Range(0, 4).Select(i =>
        {
            be.TryAssign(null, out var s, out _);
            return s!.Name;
        }).ToList();
        Assert.Equal(["b1", "b2", "b1", "b2"], names);
    }

    [Theory]
    [InlineData(ServerAdminState.Drain)]
    [InlineData(ServerAdminState.Maintenance)]
    public void DrainAndMaint_TakeNoNewConnections(ServerAdminState state)
    {
        var be = Make(BalanceAlgorithm.RoundRobin, S("a"), S("b"));
        be.FindServer("a")!.AdminState = state;
        for (int i = 0; i < 4; i++)
        {
            be.TryAssign(null, out var s, out _);
            Assert.Equal("b", s!.Name);
        }
    }

    [Fact]
    public void NoUsableServer_IsNoServer_NotQueued()
    {
        var be = Make(BalanceAlgorithm.RoundRobin, S("a"));
        be.FindServer("a")!.HealthUp = false;
        Assert.Equal(AssignOutcome.NoServer, be.TryAssign(null, out _, out _));
    }

    [Fact]
    public void ServerGoingDown_MovesItsQueueToTheBackend_AndAnotherServerTakesIt()
    {
        var be = Make(BalanceAlgorithm.LeastConnections, S("a", maxconn: 1, maxqueue: 5), S("b", maxconn: 1, maxqueue: 5));
        be.TryAssign(null, out var first, out _);
        be.TryAssign(null, out var second, out _);
        be.TryAssign(null, out _, out var waiter);
        var queuedOn = waiter!.QueuedOn!;
        var other = queuedOn == first ? second! : first!;
        queuedOn.HealthUp = false;
        be.OnServersChanged();
        Assert.False(waiter.Task.IsCompleted);
        Assert.Equal(1, be.Counters.QueueCurrent);
        be.Release(other);
        Assert.Same(other, waiter.Task.Result);
    }

    [Fact]
    public void Source_AFullServerQueuesItsClient_UpToMaxqueue_AndADownServersQueueIsRehashed()
    {
        var be = Make(BalanceAlgorithm.Source, S("a", maxconn: 1, maxqueue: 1), S("b", maxconn: 1, maxqueue: 1));
        const uint toA = 0, toB = 1; // hash % 2

        Assert.Equal(AssignOutcome.Assigned, be.TryAssign(null, toA, out var first, out _));
        Assert.Equal("a", first!.Name);
        // a is full and b is free, but the client's hash names a: it waits for a.
        Assert.Equal(AssignOutcome.Queued, be.TryAssign(null, toA, out _, out var waiter));
        Assert.Equal("a", waiter!.QueuedOn!.Name);
        Assert.Equal(AssignOutcome.QueueFull, be.TryAssign(null, toA, out _, out _)); // a's maxqueue is 1
        Assert.Equal(AssignOutcome.Assigned, be.TryAssign(null, toB, out var onB, out _));
        Assert.Equal("b", onB!.Name);

        // a goes down: its waiter is hashed again among the usable servers (b), and waits for b's slot.
        first.HealthUp = false;
        be.OnServersChanged();
        Assert.False(waiter.Task.IsCompleted);
        Assert.Equal("b", waiter.QueuedOn!.Name);
        be.Release(onB);
        Assert.Same(onB, waiter.Task.Result);
    }

    [Fact]
    public void Redispatch_AvoidsTheFailedServerWhenAnotherIsUsable()
    {
        var be = Make(BalanceAlgorithm.RoundRobin, S("a"), S("b"));
        var a = be.FindServer("a")!;
        for (int i = 0; i < 4; i++)
        {
            be.TryAssign(a, out var s, out _);
            Assert.Equal("b", s!.Name);
        }
    }

    [Fact]
    public void Reload_KeepsServerStateAndCounters_ByName()
    {
        var be = Make(BalanceAlgorithm.RoundRobin, S("a"), S("b"));
        var a = be.FindServer("a")!;
        a.Counters.SessionStarted(1, TimeProvider.System);
        a.AdminState = ServerAdminState.Drain;
        be.Apply(new BackendOptions { Name = "be", Balance = BalanceAlgorithm.LeastConnections, Servers = [S("a", weight: 7), S("c")] }, 0);
        Assert.Same(a, be.FindServer("a"));
        Assert.Equal(1, a.Counters.TotalSessions);
        Assert.Equal(ServerAdminState.Drain, a.AdminState);
        Assert.Equal(7, a.Weight);
        Assert.Null(be.FindServer("b"));
        Assert.NotNull(be.FindServer("c"));
    }

    [Fact]
    public void ObserveConnect_CountsErrorsInARow_ASuccessResets_TheLimitFiresOnceAndStartsAgain()
    {
        var observed = S("a") with { Check = new ServerCheckOptions { ObserveLayer4 = true, ErrorLimit = 3 } };
        var server = Make(BalanceAlgorithm.RoundRobin, observed).Servers.Single();

        Assert.Equal([0, 0], new[] { server.ObserveConnect(failed: true), server.ObserveConnect(failed: true) });
        Assert.Equal(0, server.ObserveConnect(failed: false)); // a success: the count starts again
        Assert.Equal([0, 0, 3], new[] { server.ObserveConnect(true), server.ObserveConnect(true), server.ObserveConnect(true) });
        Assert.Equal([0, 0, 3], new[] { server.ObserveConnect(true), server.ObserveConnect(true), server.ObserveConnect(true) });
        Assert.Equal(2, server.ObservedErrorReports);

        var unobserved = Make(BalanceAlgorithm.RoundRobin, S("b") with { Check = new ServerCheckOptions { ErrorLimit = 1 } }).Servers.Single();
        Assert.Equal(0, unobserved.ObserveConnect(failed: true));
        Assert.Equal(0, unobserved.ObservedErrorReports);
    }
}
