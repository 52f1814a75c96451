using System.Net;
using Ha.Net.Testing.Environment;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Linux.Addresses;
using Ha.Net.Vrrp.Linux.Lab;
using Ha.Net.Vrrp.Linux.Netlink;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ha.Net.Vrrp.Linux.Tests.Addresses;

/// <summary>The rtnetlink binder against a real kernel, in a namespace of its own.</summary>
public class NetlinkAddressBinderKernelTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private static readonly VirtualAddress Vip = new(IPAddress.Parse("198.18.0.100"), 24, "eth0")
    {
        Broadcast = IPAddress.Parse("198.18.0.255"),
        Label = "eth0:vip",
    };

    [RequiresFact("netns")]
    public async Task Add_and_remove_are_what_ip_addr_shows_and_are_idempotent()
    {
        await using var lab = new NetnsLab();
        var ns = Node(lab);
        await using var binder = await Open(ns);

        await binder.AddAsync(Vip, CancellationToken.None);
        await binder.AddAsync(Vip, CancellationToken.None); // already there: success
        var shown = NetnsLab.Ip($"-n {ns} -4 -o addr show dev eth0");
        Assert.Contains("inet 198.18.0.100/24 brd 198.18.0.255 scope global secondary eth0:vip", shown);

        var listed = await binder.ListAsync("eth0", CancellationToken.None);
        var vip = Assert.Single(listed, a => a.Address.Equals(Vip.Address));
        Assert.Equal(Vip, vip);
        Assert.Contains(listed, a => a.Address.Equals(IPAddress.Parse("198.18.0.11")));

        await binder.RemoveAsync(Vip, CancellationToken.None);
        await binder.RemoveAsync(Vip, CancellationToken.None); // already gone: success
        await binder.RemoveAsync(Vip with { }, CancellationToken.None);
        Assert.DoesNotContain("198.18.0.100", NetnsLab.Ip($"-n {ns} -4 -o addr show dev eth0"));
        Assert.Contains("198.18.0.11/24", NetnsLab.Ip($"-n {ns} -4 -o addr show dev eth0"));
    }

    [RequiresFact("netns")]
    public async Task Host_scope_and_IPv6_addresses_round_trip()
    {
        await using var lab = new NetnsLab();
        var ns = Node(lab);
        await using var binder = await Open(ns);
        var host = new VirtualAddress(IPAddress.Parse("198.18.0.101"), 32, "eth0") { Scope = AddressScope.Host };
        var v6 = new VirtualAddress(IPAddress.Parse("2001:db8::54"), 128, "eth0");

        await binder.AddAsync(host, CancellationToken.None);
        await binder.AddAsync(v6, CancellationToken.None);
        Assert.Contains("inet 198.18.0.101/32 scope host eth0", NetnsLab.Ip($"-n {ns} -o addr show dev eth0"));
        Assert.Contains("inet6 2001:db8::54/128 scope global nodad", NetnsLab.Ip($"-n {ns} -o addr show dev eth0"));

        await binder.RemoveAsync(host, CancellationToken.None);
        await binder.RemoveAsync(v6, CancellationToken.None);
        var after = NetnsLab.Ip($"-n {ns} -o addr show dev eth0");
        Assert.DoesNotContain("198.18.0.101", after);
        Assert.DoesNotContain("2001:db8::54", after);
    }

    [RequiresFact("netns")]
    public async Task Unknown_interface_fails_naming_the_request_and_the_errno()
    {
        await using var lab = new NetnsLab();
        var ns = Node(lab);
        await using var binder = await Open(ns);

        var ex = await Assert.ThrowsAsync<NetlinkException>(async () => await binder.AddAsync(new VirtualAddress(IPAddress.Parse("198.18.0.100"), 32, "nosuch0"), CancellationToken.None));
        Assert.Contains("nosuch0", ex.Message);
        Assert.Equal(19, ex.Errno);

        // Removing from an interface that does not exist is success: the address is certainly not there.
        await binder.RemoveAsync(new VirtualAddress(IPAddress.Parse("198.18.0.100"), 32, "nosuch0"), CancellationToken.None);
    }

    [RequiresFact("netns")]
    public async Task Stale_virtual_addresses_left_by_a_killed_node_are_removed_at_start()
    {
        await using var lab = new NetnsLab();
        var ns = Node(lab);
        NetnsLab.Ip($"-n {ns} addr add 198.18.0.100/24 brd 198.18.0.255 dev eth0 label eth0:vip");
        await using var binder = await Open(ns);

        var removed = await binder.RemoveStaleAsync([Vip, new VirtualAddress(IPAddress.Parse("198.18.0.102"), 32, "eth0")], CancellationToken.None);

        Assert.Equal([Vip], removed);
        Assert.DoesNotContain("198.18.0.100", NetnsLab.Ip($"-n {ns} -4 -o addr show dev eth0"));
    }

    [RequiresFact("netns")]
    public async Task Deletion_behind_our_back_is_reported()
    {
        await using var lab = new NetnsLab();
        var ns = Node(lab);
        await using var binder = await Open(ns);
        var removed = new TaskCompletionSource<VirtualAddressRemovedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        binder.RemovedExternally += (_, e) => removed.TrySetResult(e);

        await binder.AddAsync(Vip, CancellationToken.None);
        await binder.RemoveAsync(Vip, CancellationToken.None); // our own removal is not reported
        await binder.AddAsync(Vip, CancellationToken.None);
        NetnsLab.Ip($"-n {ns} addr del 198.18.0.100/24 dev eth0");

        var e = await removed.Task.WaitAsync(Bound);
        Assert.Equal(Vip, e.Address);
        Assert.False(e.Restored);
        Assert.DoesNotContain("198.18.0.100", NetnsLab.Ip($"-n {ns} -4 -o addr show dev eth0"));
    }

    [RequiresFact("netns")]
    public async Task Deletion_behind_our_back_is_repaired_with_the_restore_policy()
    {
        await using var lab = new NetnsLab();
        var ns = Node(lab);
        await using var binder = await Open(ns, new NetlinkAddressBinderOptions { OnExternalRemoval = ExternalRemovalPolicy.Restore });
        var removed = new TaskCompletionSource<VirtualAddressRemovedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        binder.RemovedExternally += (_, e) => removed.TrySetResult(e);

        await binder.AddAsync(Vip, CancellationToken.None);
        NetnsLab.Ip($"-n {ns} addr flush dev eth0 label eth0:vip");

        var e = await removed.Task.WaitAsync(Bound);
        Assert.True(e.Restored);
        Assert.Contains("inet 198.18.0.100/24 brd 198.18.0.255 scope global secondary eth0:vip", NetnsLab.Ip($"-n {ns} -4 -o addr show dev eth0"));
    }

    private static string Node(NetnsLab lab)
    {
        var ns = lab.AddNamespace("n");
        // No dummy driver on every kernel: a veth pair inside the namespace does as well.
        NetnsLab.Ip($"-n {ns} link add eth0 type veth peer name peer0");
        NetnsLab.Ip($"-n {ns} link set eth0 up");
        NetnsLab.Ip($"-n {ns} link set peer0 up");
        NetnsLab.Ip($"-n {ns} addr add 198.18.0.11/24 dev eth0");
        return ns;
    }

    private static Task<ILinuxAddressBinder> Open(string ns, NetlinkAddressBinderOptions? options = null) =>
        NetnsLab.InNamespace(ns, () => LinuxVrrpBackend.OpenAddressBinder(options, NullLoggerFactory.Instance));
}
