using System.Net;
using System.Security.Cryptography;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Transport;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Vrrp.Hosting;

/// <summary>
/// The receive checks that need the instance's configuration (RFC 3768 §7.1, RFC 5798 §7.1, keepalived's
/// <c>vrrp_check_packet</c>), after the codec's own: VRID, version, TTL (multicast only), unicast/multicast kind,
/// unicast source, authentication, interval (v2 drops, v3 only notes), address list (noted, or dropped if configured).
/// </summary>
internal sealed class AdvertisementFilter
{
    private readonly VirtualRouterSettings _s;
    private readonly byte[] _local;

    public AdvertisementFilter(VirtualRouterSettings settings, IPAddress localAddress)
    {
        _s = settings;
        _local = localAddress.GetAddressBytes();
    }

    /// <summary>Findings that do not drop the advert but deserve a log line.</summary>
    [Flags]
    public enum Notes
    {
        None = 0,
        AddressListMismatch = 1,
        IntervalMismatch = 2,
    }

    public VrrpDropReason Check(ReadOnlySpan<byte> message, in VrrpReceiveResult envelope, out VrrpAdvertisement advert, out Notes notes)
    {
        notes = Notes.None;
        advert = default;
        Span<byte> src = stackalloc byte[16];
        Span<byte> dst = stackalloc byte[16];
        if (!envelope.Source.TryWriteBytes(src, out var srcLength)
            || !envelope.Destination.TryWriteBytes(dst, out var dstLength)
            || srcLength != dstLength
            || srcLength != _local.Length)
        {
            return VrrpDropReason.AddressFamilyMismatch;
        }

        src = src[..srcLength];
        dst = dst[..dstLength];
        var reason = VrrpPacket.Read(message, src, dst, out advert);
        if (reason != VrrpDropReason.None)
        {
            return reason;
        }

        if (src.SequenceEqual(_local))
        {
            return VrrpDropReason.OwnAdvertisement;
        }

        if (advert.VirtualRouterId != _s.VirtualRouterId)
        {
            return VrrpDropReason.VirtualRouterIdMismatch;
        }

        if (advert.Version != _s.Version)
        {
            return VrrpDropReason.VersionMismatch;
        }

        var multicast = IsMulticast(dst);
        if (_s.IsUnicast)
        {
            if (multicast)
            {
                return VrrpDropReason.UnexpectedMulticast;
            }

            if (_s.CheckUnicastSource && !IsPeer(envelope.Source))
            {
                return VrrpDropReason.UnknownUnicastSource;
            }
        }
        else
        {
            if (!multicast)
            {
                return VrrpDropReason.UnexpectedUnicast;
            }

            // keepalived skips the TTL check in unicast mode (packets may be routed).
            if (envelope.TimeToLive != 255)
            {
                return VrrpDropReason.InvalidTimeToLive;
            }
        }

        if (advert.Version == VrrpVersion.V2)
        {
            if (advert.AuthenticationType != _s.AuthenticationType)
            {
                return VrrpDropReason.AuthenticationTypeMismatch;
            }

            if (_s.AuthenticationType == VrrpAuthenticationType.SimplePassword
                && !CryptographicOperations.FixedTimeEquals(VrrpPacket.GetAuthenticationData(message, advert), _s.Password))
            {
                return VrrpDropReason.AuthenticationFailure;
            }

            if (advert.RawInterval != _s.RawInterval)
            {
                return VrrpDropReason.IntervalMismatch;
            }
        }
        else if (advert.RawInterval != _s.RawInterval)
        {
            notes |= Notes.IntervalMismatch;
        }

        if (!SameAddressSet(VrrpPacket.GetAddresses(message, advert), _s.AdvertisedAddressBytes, advert.IsIPv6 ? 16 : 4))
        {
            if (_s.DropOnAddressListMismatch && advert.Priority != 255)
            {
                return VrrpDropReason.AddressListMismatch;
            }

            notes |= Notes.AddressListMismatch;
        }

        return VrrpDropReason.None;
    }

    private bool IsPeer(IPAddress source)
    {
        foreach (var peer in _s.UnicastPeers)
        {
            if (peer.Equals(source))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsMulticast(ReadOnlySpan<byte> address) =>
        address.Length == 4 ? (address[0] & 0xF0) == 0xE0 : address[0] == 0xFF;

    private static bool SameAddressSet(ReadOnlySpan<byte> received, ReadOnlySpan<byte> ours, int size)
    {
        if (received.Length != ours.Length)
        {
            return false;
        }

        // Order does not matter (keepalived compares as a set); n ≤ 255, so a quadratic scan allocates nothing.
        for (var i = 0; i < received.Length; i += size)
        {
            var found = false;
            for (var j = 0; j < ours.Length && !found; j += size)
            {
                found = received.Slice(i, size).SequenceEqual(ours.Slice(j, size));
            }

            if (!found)
            {
                return false;
            }
        }

        return true;
    }
}
