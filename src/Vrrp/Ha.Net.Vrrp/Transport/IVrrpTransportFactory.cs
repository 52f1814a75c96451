using Ha.Net.Vrrp.Configuration;

namespace Ha.Net.Vrrp.Transport;

/// <summary>
/// Opens the transport of one virtual router (its interface, address family, source address, multicast group
/// or unicast peers), so that <c>services.AddVrrp(...)</c> can build every configured instance.
/// </summary>
public interface IVrrpTransportFactory
{
    /// <summary>Opens a transport for <paramref name="options"/>; the virtual router owns and disposes it.</summary>
    /// <param name="options">The instance's validated options (interface, <see cref="VirtualRouterOptions.SourceAddress"/>,
    /// <see cref="VirtualRouterOptions.UnicastPeers"/>, <see cref="VirtualRouterOptions.MulticastGroup"/>).</param>
    IVrrpTransport Create(VirtualRouterOptions options);
}
