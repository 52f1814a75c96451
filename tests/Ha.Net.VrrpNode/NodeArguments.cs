using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Linux.Addresses;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.VrrpNode;

/// <summary>
/// The node's command line, keepalived's vrrp_instance keywords as options:
/// <code>
/// --name VI_1 --interface eth0 --vrid 51 --priority 150 --advert-int 1 --version 2|3
/// --vip 198.18.0.100/24[@label] ... --auth-pass PASS --v3-checksum pseudo|message
/// --unicast-src IP --unicast-peer IP ... --check-unicast-src --unicast-ttl N
/// --nopreempt --preempt-delay S --track-interface IF[:WEIGHT] ... --track-file PATH[:WEIGHT] ...
/// --garp-master-delay S --garp-master-repeat N --garp-master-refresh S --lower-prio-no-advert --higher-prio-send-advert
/// --on-vip-removed leave|restore --debug
/// </code>
/// </summary>
internal sealed class NodeArguments
{
    public VirtualRouterOptions Router { get; } = new() { InstanceName = "VI_1" };

    public List<(string Path, string Name)> TrackFiles { get; } = [];

    public List<string> TrackInterfaces { get; } = [];

    public ExternalRemovalPolicy OnVipRemoved { get; private set; } = ExternalRemovalPolicy.LeaveMaster;

    public byte UnicastTtl { get; private set; } = 255;

    public bool Debug { get; private set; }

    public static NodeArguments Parse(IReadOnlyList<string> args)
    {
        var result = new NodeArguments();
        var o = result.Router;
        for (var i = 0; i < args.Count; i++)
        {
            var key = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{key} needs a value.");
            switch (key)
            {
                case "--name": o.InstanceName = Next(); break;
                case "--interface": o.InterfaceName = Next(); break;
                case "--vrid": o.VirtualRouterId = Int(Next(), key); break;
                case "--priority": o.Priority = Int(Next(), key); break;
                case "--advert-int": o.AdvertisementInterval = Seconds(Next(), key); break;
                case "--version": o.Version = Next() == "3" ? VrrpVersion.V3 : VrrpVersion.V2; break;
                case "--v3-checksum": o.V3ChecksumMode = Next() == "message" ? VrrpChecksumMode.MessageOnly : VrrpChecksumMode.PseudoHeader; break;
                case "--auth-pass":
                    o.AuthenticationType = VrrpAuthenticationType.SimplePassword;
                    o.AuthenticationPassword = Next();
                    break;
                case "--vip": o.VirtualAddresses.Add(Vip(Next(), o.InterfaceName, key)); break;
                case "--unicast-src": o.SourceAddress = IPAddress.Parse(Next()); break;
                case "--unicast-peer": o.UnicastPeers.Add(IPAddress.Parse(Next())); break;
                case "--check-unicast-src": o.CheckUnicastSource = true; break;
                case "--unicast-ttl": result.UnicastTtl = (byte)Int(Next(), key); break;
                case "--nopreempt": o.Preempt = false; break;
                case "--preempt-delay": o.PreemptDelay = Seconds(Next(), key); break;
                case "--garp-master-delay": o.GarpMasterDelay = Seconds(Next(), key); break;
                case "--garp-master-repeat": o.GarpMasterRepeat = Int(Next(), key); break;
                case "--garp-master-refresh": o.GarpMasterRefresh = Seconds(Next(), key); break;
                case "--lower-prio-no-advert": o.LowerPriorityNoAdvert = true; break;
                case "--higher-prio-send-advert": o.HigherPrioritySendAdvert = true; break;
                case "--no-higher-prio-send-advert": o.HigherPrioritySendAdvert = false; break;
                case "--track-interface":
                    {
                        var (name, weight) = Weighted(Next(), key);
                        result.TrackInterfaces.Add(name);
                        o.TrackedObjects.Add(new TrackedObject(name, weight));
                        break;
                    }

                case "--track-file":
                    {
                        var (path, weight) = Weighted(Next(), key);
                        var name = "file:" + path;
                        result.TrackFiles.Add((path, name));
                        o.TrackedObjects.Add(new TrackedObject(name, weight) { InitiallyUp = File.Exists(path) });
                        break;
                    }

                case "--on-vip-removed": result.OnVipRemoved = Next() == "restore" ? ExternalRemovalPolicy.Restore : ExternalRemovalPolicy.LeaveMaster; break;
                case "--debug": result.Debug = true; break;
                default: throw new ArgumentException($"Unknown option '{key}'.");
            }
        }

        return result;
    }

    private static int Int(string value, string key) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new ArgumentException($"{key}: '{value}' is not an integer.");

    private static TimeSpan Seconds(string value, string key) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? TimeSpan.FromSeconds(s) : throw new ArgumentException($"{key}: '{value}' is not a number of seconds.");

    private static (string Name, int Weight) Weighted(string value, string key)
    {
        var colon = value.LastIndexOf(':');
        return colon > 0 && int.TryParse(value.AsSpan(colon + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var w)
            ? (value[..colon], w)
            : (value, 0);
    }

    /// <summary><c>198.18.0.100/24[@label]</c>; /32 (/128) by default; on the instance's interface (give --interface first).</summary>
    private static VirtualAddress Vip(string value, string interfaceName, string key)
    {
        if (interfaceName.Length == 0)
        {
            throw new ArgumentException($"{key}: give --interface before --vip.");
        }

        string? label = null;
        var at = value.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            label = value[(at + 1)..];
            value = value[..at];
        }

        var slash = value.IndexOf('/', StringComparison.Ordinal);
        var address = IPAddress.Parse(slash >= 0 ? value[..slash] : value);
        var prefix = slash >= 0 ? Int(value[(slash + 1)..], key) : address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        return new VirtualAddress(address, prefix, interfaceName) { Label = label };
    }
}
