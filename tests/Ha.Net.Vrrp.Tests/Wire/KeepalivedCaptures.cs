using System.Net;

namespace Ha.Net.Vrrp.Tests.Wire;

/// <summary>
/// VRRP messages captured from Debian's keepalived 2.2.7 (copied from the project's shared research:
/// vectors.json and vrrp-anchors.md §1.5), with the IP envelope they travelled in.
/// </summary>
public static class KeepalivedCaptures
{
    public sealed record Capture(string Name, string Hex, string Source, string Destination)
    {
        public byte[] Bytes => Convert.FromHexString(Hex);
        public byte[] SourceBytes => IPAddress.Parse(Source).GetAddressBytes();
        public byte[] DestinationBytes => IPAddress.Parse(Destination).GetAddressBytes();
        public override string ToString() => Name;
    }

    // Node 198.18.0.11, VRID 51, priority 101, VIP 198.18.0.100, advert_int 1, to 224.0.0.18, TTL 255.
    public static readonly Capture V2AuthPass = new("v2 auth PASS hbsecret", "2133650101010da5c61200646862736563726574", "198.18.0.11", "224.0.0.18");
    public static readonly Capture V2NoAuth = new("v2 no auth", "213365010001b353c61200640000000000000000", "198.18.0.11", "224.0.0.18");
    public static readonly Capture V3 = new("v3 IPv4 multicast, 100 cs", "313365010064fc43c6120064", "198.18.0.11", "224.0.0.18");

    // Node A 10.99.0.1, peer 10.99.0.2 (vrrp-anchors.md §1.5).
    public static readonly Capture V2TruncatedPassword = new("v2 VRID 51 prio 150 auth_pass secretpassword", "21339601010190550a6300647365637265747061", "10.99.0.1", "224.0.0.18");
    public static readonly Capture V2PriorityZero = new("v2 priority 0 on SIGTERM", "21330001010126560a6300647365637265747061", "10.99.0.1", "224.0.0.18");
    public static readonly Capture V3TwoVips = new("v3 VRID 52 prio 200, 50 cs, 2 VIPs", "3134c8020032060e0a6300340a630098", "10.99.0.1", "224.0.0.18");
    public static readonly Capture V3Unicast = new("v3 unicast VRID 53 to peer", "3135c8010064e6870a630035", "10.99.0.1", "10.99.0.2");
    public static readonly Capture V3IPv6 = new(
        "v3 IPv6 VRID 54",
        "3136c8020064674d" + "fe800000000000000000000000000054" + "20010db8000000000000000000000054",
        "fe80::6040:a4ff:fef0:6fd4",
        "ff02::12");

    public static IEnumerable<Capture> All =>
        [V2AuthPass, V2NoAuth, V3, V2TruncatedPassword, V2PriorityZero, V3TwoVips, V3Unicast, V3IPv6];

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in All)
        {
            data.Add(c.Name);
        }

        return data;
    }

    public static Capture ByName(string name) => All.Single(c => c.Name == name);
}
