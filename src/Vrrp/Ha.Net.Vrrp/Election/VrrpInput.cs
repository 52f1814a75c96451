using System.Net;

namespace Ha.Net.Vrrp.Election;

/// <summary>What happened, as the election sees it.</summary>
internal enum VrrpInputKind
{
    Startup,
    Shutdown,
    AdvertisementReceived,
    DeadlineReached,
    TrackedObjectChanged,
    LinkChanged,
    AddressBindFailed,
    AddressRemoved,
}

/// <summary>One input to <see cref="VirtualRouterMachine.Handle"/>. Adverts reach it validated (codec + receive filter).</summary>
internal readonly record struct VrrpInput
{
    public VrrpInputKind Kind { get; private init; }

    /// <summary>Advert: the sender's priority.</summary>
    public byte Priority { get; private init; }

    /// <summary>Advert: the advertised interval (VRRPv3 backups adopt it).</summary>
    public TimeSpan Interval { get; private init; }

    /// <summary>Advert: the sender's IP source address; AddressRemoved: the address.</summary>
    public IPAddress? Address { get; private init; }

    /// <summary>TrackedObjectChanged: the object's name.</summary>
    public string? Name { get; private init; }

    /// <summary>TrackedObjectChanged / LinkChanged: the new state.</summary>
    public bool IsUp { get; private init; }

    public static VrrpInput Startup() => new() { Kind = VrrpInputKind.Startup };
    public static VrrpInput Shutdown() => new() { Kind = VrrpInputKind.Shutdown };
    public static VrrpInput DeadlineReached() => new() { Kind = VrrpInputKind.DeadlineReached };
    public static VrrpInput Advertisement(byte priority, TimeSpan interval, IPAddress source) =>
        new() { Kind = VrrpInputKind.AdvertisementReceived, Priority = priority, Interval = interval, Address = source };
    public static VrrpInput TrackedObject(string name, bool isUp) => new() { Kind = VrrpInputKind.TrackedObjectChanged, Name = name, IsUp = isUp };
    public static VrrpInput Link(bool isUp) => new() { Kind = VrrpInputKind.LinkChanged, IsUp = isUp };
    public static VrrpInput BindFailed() => new() { Kind = VrrpInputKind.AddressBindFailed };
    public static VrrpInput AddressRemoved(IPAddress address) => new() { Kind = VrrpInputKind.AddressRemoved, Address = address };
}
