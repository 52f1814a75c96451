using System.Runtime.Versioning;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Linux.Interop;

namespace Ha.Net.Vrrp.Linux.Netlink;

/// <summary>Request/reply rtnetlink operations on links and addresses, over one <see cref="NetlinkSocket"/>.</summary>
[SupportedOSPlatform("linux")]
internal sealed class RouteClient : IDisposable
{
    private readonly NetlinkSocket _socket;

    public RouteClient(NetlinkSocket socket) => _socket = socket;

    /// <summary>Opens a request socket in the calling thread's network namespace.</summary>
    public static RouteClient Open() => new(NetlinkSocket.Open());

    /// <summary>One link by name; throws <see cref="NetlinkException"/> (ENODEV) when there is none.</summary>
    public async Task<LinkInfo> GetLinkAsync(string name, CancellationToken cancellationToken)
    {
        var links = await _socket.RequestAsync<LinkInfo>(
            (buffer, sequence) => RouteNetlink.WriteGetLink(buffer.Span, sequence, name),
            ParseLink,
            $"RTM_GETLINK dev {name}",
            cancellationToken).ConfigureAwait(false);
        return links.Count > 0 ? links[0] : throw new NetlinkException(LibC.ENODEV, $"RTM_GETLINK dev {name}", null);
    }

    /// <summary>The blocking twin of <see cref="GetLinkAsync"/>.</summary>
    public LinkInfo GetLink(string name)
    {
        var links = _socket.Request<LinkInfo>((buffer, sequence) => RouteNetlink.WriteGetLink(buffer.Span, sequence, name), ParseLink, $"RTM_GETLINK dev {name}");
        return links.Count > 0 ? links[0] : throw new NetlinkException(LibC.ENODEV, $"RTM_GETLINK dev {name}", null);
    }

    /// <summary>The blocking twin of <see cref="GetLinksAsync"/>.</summary>
    public List<LinkInfo> GetLinks() =>
        _socket.Request<LinkInfo>((buffer, sequence) => RouteNetlink.WriteGetLink(buffer.Span, sequence, null), ParseLink, "RTM_GETLINK dump");

    /// <summary>The blocking twin of <see cref="GetAddressesAsync"/>.</summary>
    public List<AddressInfo> GetAddresses(byte family) =>
        _socket.Request<AddressInfo>((buffer, sequence) => RouteNetlink.WriteGetAddresses(buffer.Span, sequence, family), ParseAddress, "RTM_GETADDR dump");

    /// <summary>Every link.</summary>
    public Task<List<LinkInfo>> GetLinksAsync(CancellationToken cancellationToken) =>
        _socket.RequestAsync<LinkInfo>((buffer, sequence) => RouteNetlink.WriteGetLink(buffer.Span, sequence, null), ParseLink, "RTM_GETLINK dump", cancellationToken);

    /// <summary>Every address of a family (AF_INET, AF_INET6, 0 for both), in the kernel's order (primary before secondaries).</summary>
    public Task<List<AddressInfo>> GetAddressesAsync(byte family, CancellationToken cancellationToken) =>
        _socket.RequestAsync<AddressInfo>((buffer, sequence) => RouteNetlink.WriteGetAddresses(buffer.Span, sequence, family), ParseAddress, "RTM_GETADDR dump", cancellationToken);

    /// <summary>RTM_NEWADDR/RTM_DELADDR, acked.</summary>
    public Task ChangeAddressAsync(bool add, VirtualAddress address, int interfaceIndex, CancellationToken cancellationToken) =>
        _socket.RequestAsync<int>(
            (buffer, sequence) => RouteNetlink.WriteAddress(buffer.Span, sequence, add, address, interfaceIndex),
            static (NetlinkMessage _, out int value) =>
            {
                value = 0;
                return false;
            },
            (add ? "RTM_NEWADDR " : "RTM_DELADDR ") + address,
            cancellationToken);

    /// <summary>
    /// The blocking twin of <see cref="ChangeAddressAsync"/>, allocation-free: rtnetlink handles the request inside
    /// sendmsg, so the ack is already queued when the receive starts.
    /// </summary>
    public void ChangeAddress(bool add, VirtualAddress address, int interfaceIndex)
    {
        Span<byte> request = stackalloc byte[256];
        var sequence = _socket.NextSequence();
        var length = RouteNetlink.WriteAddress(request, sequence, add, address, interfaceIndex);
        _socket.RequestAck(request[..length], sequence, add ? "RTM_NEWADDR" : "RTM_DELADDR", address);
    }

    public void Dispose() => _socket.Dispose();

    private static bool ParseLink(NetlinkMessage message, out LinkInfo value)
    {
        value = RouteNetlink.TryParseLink(message)!;
        return value is not null;
    }

    private static bool ParseAddress(NetlinkMessage message, out AddressInfo value)
    {
        value = RouteNetlink.TryParseAddress(message)!;
        return value is not null;
    }
}
