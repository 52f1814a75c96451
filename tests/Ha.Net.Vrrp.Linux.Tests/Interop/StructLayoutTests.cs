using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Ha.Net.Testing.Environment;
using Ha.Net.Vrrp.Linux.Interop;
using Ha.Net.Vrrp.Linux.Lab;
using Ha.Net.Vrrp.Linux.Netlink;

namespace Ha.Net.Vrrp.Linux.Tests.Interop;

/// <summary>
/// Tmds.LibC's habit: every interop struct's size and field offsets, and every constant, are checked
/// against the real C headers by compiling a small program with g++ and comparing its output.
/// </summary>
public class StructLayoutTests
{
    private static readonly (Type Type, string CName, string[] Fields)[] Structs =
    [
        (typeof(sockaddr_nl), "sockaddr_nl", ["nl_family", "nl_pad", "nl_pid", "nl_groups"]),
        (typeof(sockaddr_ll), "sockaddr_ll", ["sll_family", "sll_protocol", "sll_ifindex", "sll_hatype", "sll_pkttype", "sll_halen", "sll_addr"]),
        (typeof(nlmsghdr), "nlmsghdr", ["nlmsg_len", "nlmsg_type", "nlmsg_flags", "nlmsg_seq", "nlmsg_pid"]),
        (typeof(nlmsgerr), "nlmsgerr", ["error", "msg"]),
        (typeof(rtattr), "rtattr", ["rta_len", "rta_type"]),
        (typeof(ifaddrmsg), "ifaddrmsg", ["ifa_family", "ifa_prefixlen", "ifa_flags", "ifa_scope", "ifa_index"]),
        (typeof(ifinfomsg), "ifinfomsg", ["ifi_family", "__ifi_pad", "ifi_type", "ifi_index", "ifi_flags", "ifi_change"]),
        (typeof(in6_pktinfo), "in6_pktinfo", ["ipi6_addr", "ipi6_ifindex"]),
        (typeof(sockaddr_in6), "sockaddr_in6", ["sin6_family", "sin6_port", "sin6_flowinfo", "sin6_addr", "sin6_scope_id"]),
        (typeof(iovec), "iovec", ["iov_base", "iov_len"]),
        (typeof(msghdr), "msghdr", ["msg_name", "msg_namelen", "msg_iov", "msg_iovlen", "msg_control", "msg_controllen", "msg_flags"]),
        (typeof(cmsghdr), "cmsghdr", ["cmsg_len", "cmsg_level", "cmsg_type"]),
    ];

    private static readonly (string CName, long Value)[] Constants =
    [
        ("AF_INET", LibC.AF_INET), ("AF_INET6", LibC.AF_INET6), ("AF_NETLINK", LibC.AF_NETLINK), ("AF_PACKET", LibC.AF_PACKET),
        ("SOCK_RAW", LibC.SOCK_RAW), ("SOCK_NONBLOCK", LibC.SOCK_NONBLOCK), ("SOCK_CLOEXEC", LibC.SOCK_CLOEXEC), ("NETLINK_ROUTE", LibC.NETLINK_ROUTE),
        ("SOL_SOCKET", LibC.SOL_SOCKET), ("SO_BINDTODEVICE", LibC.SO_BINDTODEVICE), ("SOL_IP", LibC.SOL_IP), ("IP_MULTICAST_ALL", LibC.IP_MULTICAST_ALL),
        ("IP_MULTICAST_IF", 32), ("IP_ADD_MEMBERSHIP", 35),
        ("SOL_IPV6", LibC.SOL_IPV6), ("IPV6_CHECKSUM", LibC.IPV6_CHECKSUM), ("IPV6_RECVPKTINFO", LibC.IPV6_RECVPKTINFO), ("IPV6_PKTINFO", LibC.IPV6_PKTINFO),
        ("IPV6_RECVHOPLIMIT", LibC.IPV6_RECVHOPLIMIT), ("IPV6_HOPLIMIT", LibC.IPV6_HOPLIMIT), ("IPV6_UNICAST_HOPS", 16), ("IPV6_MULTICAST_IF", 17),
        ("IPV6_MULTICAST_HOPS", 18), ("IPV6_MULTICAST_LOOP", 19), ("IPV6_ADD_MEMBERSHIP", 20), ("IPV6_MULTICAST_ALL", 29),
        ("SOL_NETLINK", LibC.SOL_NETLINK), ("NETLINK_ADD_MEMBERSHIP", LibC.NETLINK_ADD_MEMBERSHIP), ("NETLINK_CAP_ACK", LibC.NETLINK_CAP_ACK), ("NETLINK_EXT_ACK", LibC.NETLINK_EXT_ACK),
        ("ETH_P_ARP", LibC.ETH_P_ARP), ("ETH_P_IPV6", LibC.ETH_P_IPV6), ("CLONE_NEWNET", LibC.CLONE_NEWNET),
        ("MSG_DONTWAIT", LibC.MSG_DONTWAIT), ("MSG_TRUNC", LibC.MSG_TRUNC), ("MSG_CTRUNC", LibC.MSG_CTRUNC),
        ("EINTR", LibC.EINTR), ("EAGAIN", LibC.EAGAIN), ("ENODEV", LibC.ENODEV), ("EEXIST", LibC.EEXIST), ("EADDRNOTAVAIL", LibC.EADDRNOTAVAIL), ("ENOBUFS", 105),
        ("NLMSG_NOOP", Rtnl.NLMSG_NOOP), ("NLMSG_ERROR", Rtnl.NLMSG_ERROR), ("NLMSG_DONE", Rtnl.NLMSG_DONE), ("NLMSG_OVERRUN", Rtnl.NLMSG_OVERRUN),
        ("RTM_NEWLINK", Rtnl.RTM_NEWLINK), ("RTM_DELLINK", Rtnl.RTM_DELLINK), ("RTM_GETLINK", Rtnl.RTM_GETLINK),
        ("RTM_NEWADDR", Rtnl.RTM_NEWADDR), ("RTM_DELADDR", Rtnl.RTM_DELADDR), ("RTM_GETADDR", Rtnl.RTM_GETADDR),
        ("NLM_F_REQUEST", Rtnl.NLM_F_REQUEST), ("NLM_F_MULTI", Rtnl.NLM_F_MULTI), ("NLM_F_ACK", Rtnl.NLM_F_ACK), ("NLM_F_DUMP", Rtnl.NLM_F_DUMP),
        ("NLM_F_EXCL", Rtnl.NLM_F_EXCL), ("NLM_F_CREATE", Rtnl.NLM_F_CREATE), ("NLM_F_CAPPED", Rtnl.NLM_F_CAPPED), ("NLM_F_ACK_TLVS", Rtnl.NLM_F_ACK_TLVS),
        ("NLMSGERR_ATTR_MSG", Rtnl.NLMSGERR_ATTR_MSG),
        ("IFA_ADDRESS", Rtnl.IFA_ADDRESS), ("IFA_LOCAL", Rtnl.IFA_LOCAL), ("IFA_LABEL", Rtnl.IFA_LABEL), ("IFA_BROADCAST", Rtnl.IFA_BROADCAST), ("IFA_FLAGS", Rtnl.IFA_FLAGS),
        ("IFA_F_SECONDARY", Rtnl.IFA_F_SECONDARY), ("IFA_F_NODAD", Rtnl.IFA_F_NODAD),
        ("IFLA_ADDRESS", Rtnl.IFLA_ADDRESS), ("IFLA_IFNAME", Rtnl.IFLA_IFNAME), ("IFLA_OPERSTATE", Rtnl.IFLA_OPERSTATE),
        ("IFF_UP", Rtnl.IFF_UP), ("IFF_RUNNING", Rtnl.IFF_RUNNING),
        ("RTNLGRP_LINK", Rtnl.RTNLGRP_LINK), ("RTNLGRP_IPV4_IFADDR", Rtnl.RTNLGRP_IPV4_IFADDR), ("RTNLGRP_IPV6_IFADDR", Rtnl.RTNLGRP_IPV6_IFADDR),
        ("RT_SCOPE_UNIVERSE", (long)Ha.Net.Vrrp.Addresses.AddressScope.Global), ("RT_SCOPE_SITE", (long)Ha.Net.Vrrp.Addresses.AddressScope.Site),
        ("RT_SCOPE_LINK", (long)Ha.Net.Vrrp.Addresses.AddressScope.Link), ("RT_SCOPE_HOST", (long)Ha.Net.Vrrp.Addresses.AddressScope.Host),
    ];

    [RequiresFact("cmd:g++")]
    public void Structs_and_constants_match_the_C_headers()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hnl-layout-" + Guid.NewGuid().ToString("n")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            var source = new StringBuilder("""
                #include <stddef.h>
                #include <stdio.h>
                #include <errno.h>
                #include <sched.h>
                #include <sys/socket.h>
                #include <sys/uio.h>
                #include <netinet/in.h>
                #include <linux/netlink.h>
                #include <linux/rtnetlink.h>
                #include <linux/if_addr.h>
                #include <linux/if_packet.h>
                #include <linux/if_ether.h>
                #include <net/if.h>
                int main() {

                """);
            foreach (var (_, cname, fields) in Structs)
            {
                source.AppendLine(CultureInfo.InvariantCulture, $"printf(\"{cname}=%zu\\n\", sizeof(struct {cname}));");
                foreach (var field in fields)
                {
                    source.AppendLine(CultureInfo.InvariantCulture, $"printf(\"{cname}.{field}=%zu\\n\", offsetof(struct {cname}, {field}));");
                }
            }

            foreach (var (cname, _) in Constants)
            {
                source.AppendLine(CultureInfo.InvariantCulture, $"printf(\"{cname}=%lld\\n\", (long long)({cname}));");
            }

            source.AppendLine("return 0; }");
            var cpp = Path.Combine(dir, "layout.cpp");
            var exe = Path.Combine(dir, "layout");
            File.WriteAllText(cpp, source.ToString());
            ProcessRunner.Run("g++", $"-o {exe} {cpp}", TimeSpan.FromMinutes(2));
            var actual = ProcessRunner.Run(exe, "")
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split('='))
                .ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));

            var mismatches = new List<string>();
            foreach (var (type, cname, fields) in Structs)
            {
                Check(mismatches, actual, cname, Marshal.SizeOf(type));
                foreach (var field in fields)
                {
                    Check(mismatches, actual, $"{cname}.{field}", Marshal.OffsetOf(type, field).ToInt64());
                }
            }

            foreach (var (cname, value) in Constants)
            {
                Check(mismatches, actual, cname, value);
            }

            Assert.True(mismatches.Count == 0, "Differs from the C headers:\n" + string.Join("\n", mismatches));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Check(List<string> mismatches, Dictionary<string, long> actual, string key, long expected)
    {
        if (actual[key] != expected)
        {
            mismatches.Add($"{key}: C says {actual[key]}, C# says {expected}");
        }
    }
}
