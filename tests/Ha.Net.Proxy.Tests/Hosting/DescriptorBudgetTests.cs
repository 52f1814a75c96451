using System.Net;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Proxy.Hosting;

namespace Ha.Net.Proxy.Tests.Hosting;

/// <summary>maxconn and maxpipes within the descriptor limit, as HAProxy sizes them (#15 item 2).</summary>
public class DescriptorBudgetTests
{
    private static ProxyOptions Options(int maxConnections = 0, int maxPipes = 0) => new()
    {
        MaxConnections = maxConnections,
        MaxPipes = maxPipes,
        Frontends = [new FrontendOptions { Name = "fe", Bind = new IPEndPoint(IPAddress.Loopback, 1), Backend = "be" }],
        Backends = [new BackendOptions { Name = "be", Servers = [new ServerOptions { Name = "s1", Address = new IPEndPoint(IPAddress.Loopback, 2) }] }],
    };

    [Fact]
    public void NoMaxconn_IsDerivedFromTheLimit_TwoDescriptorsPerConnection_AndAPipeForFour()
    {
        // ulimit -n 512: a reserve of 100 + 1 listener + 1 server, then 2.5 descriptors per connection.
        var budget = DescriptorBudget.For(Options(), splices: true, limit: 512);
        Assert.Equal((164, 41), (budget.MaxConnections, budget.MaxPipes));
        Assert.True(budget.Fits);
        Assert.Equal(102 + (2 * 164) + (2 * 41), budget.Needed);

        // The sockets engine never splices: two descriptors per connection.
        var copying = DescriptorBudget.For(Options(), splices: false, limit: 512);
        Assert.Equal((205, 0), (copying.MaxConnections, copying.MaxPipes));
        Assert.True(copying.Fits);
    }

    [Fact]
    public void NoMaxconn_WithMaxpipes_LeavesRoomForThem()
    {
        var budget = DescriptorBudget.For(Options(maxPipes: 64), splices: true, limit: 20_000);
        Assert.Equal((9_885, 64), (budget.MaxConnections, budget.MaxPipes));
        Assert.True(budget.Fits);
    }

    [Fact]
    public void ConfiguredMaxconn_BeyondTheLimit_DoesNotFit()
    {
        // HAProxy: "Cannot raise FD limit to 20102, limit is 20000." (maxconn 10000: two descriptors each).
        var budget = DescriptorBudget.For(Options(maxConnections: 10_000), splices: true, limit: 20_000);
        Assert.Equal((10_000, 0, 20_102L), (budget.MaxConnections, budget.MaxPipes, budget.Needed));
        Assert.False(budget.Fits);

        // An explicit maxpipes counts in full, as HAProxy counts it.
        Assert.False(DescriptorBudget.For(Options(maxConnections: 9_900, maxPipes: 2_475), splices: true, limit: 20_000).Fits);
        Assert.True(DescriptorBudget.For(Options(maxConnections: 9_800, maxPipes: 64), splices: true, limit: 20_000).Fits);
    }

    [Fact]
    public void ConfiguredMaxconn_HaproxyAccepts_IsNeverRefusedForTheDefaultPipes_TheyShrinkToWhatIsLeft()
    {
        // HAProxy's benchmark settings: maxconn 9900 under ulimit -n 20000 (HAProxy reserves no pipe without
        // 'option splice-*'). Ha.Net's default maxconn/4 pipes would need 24,852 descriptors: they shrink to
        // the 49 that the 98 spare descriptors hold, and the configuration starts.
        var budget = DescriptorBudget.For(Options(maxConnections: 9_900), splices: true, limit: 20_000);
        Assert.Equal((9_900, 49, 20_000L), (budget.MaxConnections, budget.MaxPipes, budget.Needed));
        Assert.True(budget.Fits);

        // With room to spare, the default stays a pipe for four connections.
        Assert.Equal(250, DescriptorBudget.For(Options(maxConnections: 1_000), splices: true, limit: 20_000).MaxPipes);
    }

    [Fact]
    public void NoLimitKnown_LeavesMaxconnUnlimited()
    {
        var budget = DescriptorBudget.For(Options(), splices: true, limit: long.MaxValue);
        Assert.Equal(0, budget.MaxConnections);
        Assert.True(budget.Fits);
    }

    [Fact]
    public async Task StartAsync_RefusesAMaxconnTheDescriptorLimitCannotHold_InHaproxysWords()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var proxy = new TcpProxy(Options(maxConnections: 400_000_000) with { IoEngine = ProxyIoEngine.Epoll });
        var budget = proxy.Runtime.Budget;
        if (budget.Limit == long.MaxValue)
        {
            return; // unlimited descriptors: nothing to refuse
        }

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => proxy.StartAsync());
        Assert.Equal($"Cannot raise FD limit to {budget.Needed}, limit is {budget.Limit}.", e.Message);
        Assert.Throws<KeyNotFoundException>(() => proxy.GetFrontendEndPoint("nope"));
    }
}
