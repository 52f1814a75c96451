using System.Net;
using Ha.Net.Vrrp.RouteInjection;

namespace Ha.Net.Vrrp.RouteInjection.Tests.Announcers;

public class FrrVtyshAnnouncerTests
{
    [Fact]
    public void Announce_IsWhatAnOperatorTypesInVtysh()
    {
        var args = FrrVtyshAnnouncer.BuildArguments(new FrrAnnouncerOptions { AutonomousSystem = 65100, PathSpace = "node1" }, IPNetwork.Parse("198.18.100.1/32"), announce: true);
        Assert.Equal(["-N", "node1", "-c", "configure terminal", "-c", "router bgp 65100", "-c", "address-family ipv4 unicast", "-c", "network 198.18.100.1/32"], args);
    }

    [Fact]
    public void Withdraw_OfAnIpv6Prefix_UsesTheIpv6Family_AndNoNetwork()
    {
        var args = FrrVtyshAnnouncer.BuildArguments(new FrrAnnouncerOptions { AutonomousSystem = 4200000000 }, IPNetwork.Parse("2001:db8::1/128"), announce: false);
        Assert.Equal(["-c", "configure terminal", "-c", "router bgp 4200000000", "-c", "address-family ipv6 unicast", "-c", "no network 2001:db8::1/128"], args);
    }

    [Theory]
    [InlineData(true, 0, "", true)]
    [InlineData(true, 1, "BGP is already running; AS is 65100", false)]
    [InlineData(false, 1, "% Can't find static route specified", true)] // already withdrawn: idempotent success
    [InlineData(false, 1, "Exiting: failed to connect to any daemons.", false)]
    public void ExitCodeAndAnswer_DecideSuccess(bool announce, int exitCode, string output, bool expected) =>
        Assert.Equal(expected, FrrVtyshAnnouncer.Succeeded(announce, exitCode, output));

    [Fact]
    public void InvalidOptions_AreRefused_NamingEachKey()
    {
        var ex = Assert.Throws<ArgumentException>(() => RouteAnnouncers.Frr(new FrrAnnouncerOptions { AutonomousSystem = 0, PathSpace = "bad name", VtyshPath = "" }));
        Assert.Contains("AutonomousSystem", ex.Message, StringComparison.Ordinal);
        Assert.Contains("PathSpace", ex.Message, StringComparison.Ordinal);
        Assert.Contains("VtyshPath", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingVtysh_IsARouteAnnouncerException_NamingThePath()
    {
        var announcer = RouteAnnouncers.Frr(new FrrAnnouncerOptions { AutonomousSystem = 65100, VtyshPath = "/nonexistent/vtysh" });
        var ex = await Assert.ThrowsAsync<RouteAnnouncerException>(() => announcer.AnnounceAsync(IPNetwork.Parse("198.18.100.1/32")));
        Assert.Contains("/nonexistent/vtysh", ex.Message, StringComparison.Ordinal);
    }
}
