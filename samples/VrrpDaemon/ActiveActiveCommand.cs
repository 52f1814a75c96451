using System.Globalization;
using System.Net;
using System.Text;
using Ha.Net.Vrrp.Layouts;
using Ha.Net.Vrrp.Wire;

namespace Ha.Net.Samples.VrrpDaemon;

/// <summary>
/// <c>hanet-vrrpd --generate-active-active</c>: N nodes × M virtual addresses → one plain keepalived.conf per node
/// (Ha.Net.Vrrp's <see cref="ActiveActiveLayout"/>), which keepalived and hanet-vrrpd both run. Every node can
/// generate its own file from the same command line (<c>--for NAME</c>) and gets the same layout.
/// </summary>
internal static class ActiveActiveCommand
{
    public const string Usage = """
        Usage: hanet-vrrpd --generate-active-active --node NAME[:IFACE[:ADDRESS]] ... --vip ADDRESS ... (--output-dir DIR | --for NAME)
          --node NAME[:IFACE[:ADDRESS]]  a node, in the order that assigns owners (VIP i is owned by node i mod N);
                                         ADDRESS is its own address on the segment (needed with --unicast)
          --vip ADDRESS                  a virtual address (one vrrp_instance each), in order
          --interface IFACE              interface of nodes that name none
          --prefix N                     prefix length of the VIPs (default /32, /128)
          --vrid-base N                  VRID of the first VIP; the others follow (default 51)
          --instance-prefix P            instance names P1, P2, ... (default VI_)
          --priority N                   owner priority (default 150); each heir rank is one step lower
          --priority-step N              (default 10)
          --nopreempt                    a returning node does not take its VIPs back
          --preempt-delay SECONDS        a returning node waits this long before taking them back
          --advert-int SECONDS           (default 1; fractions need --vrrp-version 3)
          --vrrp-version 2|3             (default 2)
          --unicast                      unicast adverts to the other nodes' ADDRESS instead of multicast
          --output-dir DIR               write DIR/NAME.conf for every node
          --for NAME                     write NAME's keepalived.conf to stdout
        The layout (VIP, VRID, owner > heirs) is printed on stderr.
        """;

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        var layout = new ActiveActiveLayout();
        string? outputDir = null;
        string? forNode = null;
        try
        {
            for (var i = 0; i < args.Count; i++)
            {
                var a = args[i];
                string? inline = null;
                if (a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=', StringComparison.Ordinal))
                {
                    inline = a[(a.IndexOf('=', StringComparison.Ordinal) + 1)..];
                    a = a[..a.IndexOf('=', StringComparison.Ordinal)];
                }

                string Value() => inline ?? (i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{a} needs a value"));
                int Int() => int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"{a}: expected a whole number");
                TimeSpan Seconds()
                {
                    var text = Value();
                    return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0 && s <= 100_000
                        ? TimeSpan.FromSeconds(s)
                        : throw new ArgumentException($"{a} '{text}': expected seconds (e.g. 1 or 0.1)");
                }

                switch (a)
                {
                    case "--node":
                        layout.Nodes.Add(ParseNode(Value()));
                        break;
                    case "--vip":
                        var vip = Value();
                        layout.VirtualAddresses.Add(IPAddress.TryParse(vip, out var address) ? address : throw new ArgumentException($"--vip '{vip}': not an IP address"));
                        break;
                    case "--interface": layout.InterfaceName = Value(); break;
                    case "--prefix": layout.PrefixLength = Int(); break;
                    case "--vrid-base": layout.FirstVirtualRouterId = Int(); break;
                    case "--instance-prefix": layout.InstanceNamePrefix = Value(); break;
                    case "--priority": layout.OwnerPriority = Int(); break;
                    case "--priority-step": layout.PriorityStep = Int(); break;
                    case "--nopreempt": layout.Preempt = false; break;
                    case "--preempt-delay": layout.PreemptDelay = Seconds(); break;
                    case "--advert-int": layout.AdvertisementInterval = Seconds(); break;
                    case "--vrrp-version":
                        layout.Version = Int() switch
                        {
                            2 => VrrpVersion.V2,
                            3 => VrrpVersion.V3,
                            _ => throw new ArgumentException("--vrrp-version: 2 or 3"),
                        };
                        break;
                    case "--unicast": layout.Unicast = true; break;
                    case "--output-dir": outputDir = Value(); break;
                    case "--for": forNode = Value(); break;
                    case "-h":
                    case "--help":
                        stdout.WriteLine(Usage);
                        return 0;
                    default:
                        throw new ArgumentException($"unknown option '{args[i]}' for --generate-active-active (see --generate-active-active --help)");
                }
            }

            if ((outputDir is null) == (forNode is null))
            {
                throw new ArgumentException("give one of --output-dir DIR or --for NAME");
            }
        }
        catch (ArgumentException ex)
        {
            stderr.WriteLine("hanet-vrrpd: " + ex.Message);
            return 2;
        }

        var errors = layout.Validate();
        if (errors.Count > 0)
        {
            foreach (var e in errors)
            {
                stderr.WriteLine("hanet-vrrpd: active/active layout: " + e);
            }

            return 1;
        }

        ActiveActivePlan plan;
        try
        {
            plan = layout.Plan();
        }
        catch (ArgumentException ex)
        {
            stderr.WriteLine("hanet-vrrpd: " + ex.Message);
            return 1;
        }

        foreach (var instance in plan.Instances)
        {
            stderr.WriteLine($"{instance.InstanceName} vrid {instance.VirtualRouterId} {instance.Address}/{instance.PrefixLength}: {string.Join(" > ", instance.Ranking.Select(n => $"{n}({instance.PriorityOf(n)})"))}");
        }

        if (forNode is not null)
        {
            if (!plan.Nodes.Contains(forNode, StringComparer.Ordinal))
            {
                stderr.WriteLine($"hanet-vrrpd: --for '{forNode}': not one of the nodes ({string.Join(", ", plan.Nodes)})");
                return 1;
            }

            stdout.Write(Render(plan, forNode, args));
            return 0;
        }

        try
        {
            Directory.CreateDirectory(outputDir!);
            foreach (var node in plan.Nodes)
            {
                var path = Path.Combine(outputDir!, node + ".conf");
                File.WriteAllText(path, Render(plan, node, args));
                stderr.WriteLine($"wrote {path}");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"hanet-vrrpd: cannot write to {outputDir}: {ex.Message}");
            return 1;
        }

        return 0;
    }

    private static ActiveActiveNode ParseNode(string spec)
    {
        var parts = spec.Split(':', 3);
        IPAddress? address = null;
        if (parts.Length == 3 && !IPAddress.TryParse(parts[2], out address))
        {
            throw new ArgumentException($"--node '{spec}': '{parts[2]}' is not an IP address (NAME[:IFACE[:ADDRESS]])");
        }

        return new ActiveActiveNode(parts[0])
        {
            InterfaceName = parts.Length > 1 && parts[1].Length > 0 ? parts[1] : null,
            Address = address,
        };
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>One node's keepalived.conf: plain keepalived 2.x syntax, every instance <c>state BACKUP</c>.</summary>
    internal static string Render(ActiveActivePlan plan, string node, IReadOnlyList<string> args)
    {
        var sb = new StringBuilder();
        sb.Append("# keepalived.conf of node ").Append(node).Append(" in an active/active layout of ").Append(plan.Nodes.Count)
            .Append(" nodes and ").Append(plan.Instances.Count).Append(" virtual addresses.\n");
        sb.Append("# Generated by: hanet-vrrpd --generate-active-active ").Append(string.Join(' ', args.Select(Quote))).Append('\n');
        sb.Append("# Every node's file comes from the same command; keepalived and hanet-vrrpd both run it.\n");
        sb.Append("# Each VIP: its owner, then its heirs in order (priority in brackets).\n");
        foreach (var i in plan.Instances)
        {
            sb.Append("#   ").Append(i.InstanceName).Append(' ').Append(i.Address).Append(": ")
                .Append(string.Join(" > ", i.Ranking.Select(n => $"{n}({i.PriorityOf(n)})"))).Append('\n');
        }

        sb.Append('\n');
        sb.Append("global_defs {\n    router_id ").Append(node).Append('\n');
        if (plan.Version == VrrpVersion.V3)
        {
            sb.Append("    vrrp_version 3\n");
        }

        sb.Append("}\n");
        var routers = plan.RoutersFor(node);
        for (var k = 0; k < routers.Count; k++)
        {
            var r = routers[k];
            var instance = plan.Instances[k];
            sb.Append('\n');
            sb.Append("vrrp_instance ").Append(r.InstanceName).Append(" {\n");
            sb.Append("    # ").Append(string.Equals(instance.Owner, node, StringComparison.Ordinal) ? "owner" : $"heir {instance.Ranking.ToList().IndexOf(node)} of {instance.Owner}").Append('\n');
            sb.Append("    state BACKUP\n");
            sb.Append("    interface ").Append(r.InterfaceName).Append('\n');
            sb.Append("    virtual_router_id ").Append(r.VirtualRouterId.ToString(CultureInfo.InvariantCulture)).Append('\n');
            sb.Append("    priority ").Append(r.Priority.ToString(CultureInfo.InvariantCulture)).Append('\n');
            sb.Append("    advert_int ").Append(Seconds(r.AdvertisementInterval)).Append('\n');
            if (!r.Preempt)
            {
                sb.Append("    nopreempt\n");
            }

            if (r.PreemptDelay > TimeSpan.Zero)
            {
                sb.Append("    preempt_delay ").Append(Seconds(r.PreemptDelay)).Append('\n');
            }

            if (r.SourceAddress is not null)
            {
                sb.Append("    unicast_src_ip ").Append(r.SourceAddress).Append('\n');
                sb.Append("    unicast_peer {\n");
                foreach (var peer in r.UnicastPeers)
                {
                    sb.Append("        ").Append(peer).Append('\n');
                }

                sb.Append("    }\n");
            }

            sb.Append("    virtual_ipaddress {\n");
            foreach (var v in r.VirtualAddresses)
            {
                sb.Append("        ").Append(v.Address).Append('/').Append(v.PrefixLength.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }

            sb.Append("    }\n}\n");
        }

        return sb.ToString();
    }

    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_.:/=,@".Contains(c, StringComparison.Ordinal)) ? arg : "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal).ReplaceLineEndings(" ") + "'";
}
