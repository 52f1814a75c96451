namespace Ha.Net.Vrrp.Linux.Lab;

/// <summary>Real keepalived 2.2.7 output, copied from shared/vectors and vrrp-anchors.md §1.5 so tests do not depend on those folders.</summary>
internal static class TestData
{
    /// <summary>v2, VRID 51, priority 101, auth PASS "hbsecret", VIP 198.18.0.100, advert_int 1 (sent from 198.18.0.11).</summary>
    public const string V2AuthPass = "2133650101010da5c61200646862736563726574";

    /// <summary>The same without authentication: the 8 zero auth bytes are still sent.</summary>
    public const string V2NoAuth = "213365010001b353c61200640000000000000000";

    /// <summary>v3, VRID 51, priority 101, 100 cs, VIP 198.18.0.100; checksum over the IPv4 pseudo-header 198.18.0.11 → 224.0.0.18.</summary>
    public const string V3 = "313365010064fc43c6120064";

    /// <summary>The whole IPv4 packet of <see cref="V2AuthPass"/>: TOS 0xc0, id 1, TTL 255, protocol 112.</summary>
    public const string V2AuthPassPacket = "45c0002800010000ff701475c612000be00000122133650101010da5c61200646862736563726574";

    /// <summary>The whole IPv4 packet of <see cref="V3"/>.</summary>
    public const string V3Packet = "45c0002000010000ff70147dc612000be0000012313365010064fc43c6120064";

    /// <summary>keepalived's gratuitous ARP from 62:40:a4:f0:6f:d4 for 10.99.0.100 (vrrp-anchors.md §1.5).</summary>
    public const string GratuitousArp = "ffffffffffff" + "6240a4f06fd4" + "0806" + "0001" + "0800" + "06" + "04" + "0001" + "6240a4f06fd4" + "0a630064" + "ffffffffffff" + "0a630064";

    public static byte[] Bytes(string hex) => Convert.FromHexString(hex);

    /// <summary>RFC 1071 Internet checksum of <paramref name="data"/> (the VRRPv2 checksum, written at bytes 6–7 by <see cref="WithPriority"/>).</summary>
    public static ushort InternetChecksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i + 1 < data.Length; i += 2)
        {
            sum += (uint)((data[i] << 8) | data[i + 1]);
        }

        if ((data.Length & 1) != 0)
        {
            sum += (uint)(data[^1] << 8);
        }

        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    /// <summary>A VRRPv2 message with another priority and its checksum recomputed.</summary>
    public static byte[] WithPriority(string v2Hex, byte priority)
    {
        var message = Bytes(v2Hex);
        message[2] = priority;
        message[6] = message[7] = 0;
        var checksum = InternetChecksum(message);
        message[6] = (byte)(checksum >> 8);
        message[7] = (byte)checksum;
        return message;
    }

    /// <summary>The keepalived.conf of a single node, in the form the vectors were captured with.</summary>
    public static string KeepalivedConfig(string iface, int version, int priority, string? authPass, string vip = "198.18.0.100", int vrid = 51, string advertInt = "1", string extra = "") => $$"""
        global_defs {
            router_id hnl
            vrrp_version {{version}}
            script_user root
            enable_script_security
        }
        vrrp_instance VI_1 {
            state BACKUP
            interface {{iface}}
            virtual_router_id {{vrid}}
            priority {{priority}}
            advert_int {{advertInt}}
        {{(authPass is null ? "" : $"    authentication {{\n        auth_type PASS\n        auth_pass {authPass}\n    }}")}}
            virtual_ipaddress {
                {{vip}}
            }
        {{extra}}
        }
        """;
}
