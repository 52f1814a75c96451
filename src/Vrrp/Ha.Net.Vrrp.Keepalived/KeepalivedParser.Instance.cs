using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ha.Net.Vrrp.Addresses;

namespace Ha.Net.Vrrp.Keepalived;

internal sealed partial class KeepalivedParser
{
    private void ParseInstance(Statement header)
    {
        var draft = new InstanceDraft();
        var vi = draft.Instance;
        vi.Location = header.Location;
        if (NeedArgs(header, 1, "an instance name"))
        {
            vi.Name = header.Arg(0);
            NoMoreArgs(header, 1);

            // keepalived 2.2.7 (vrrp_parser.c vrrp_handler): "vrrp instance %s already defined", then skip_block().
            if (_instances.FirstOrDefault(i => i.Instance.Name == vi.Name) is { } first)
            {
                Error(header.Location, "vrrp_instance", $"vrrp instance {vi.Name} already defined (first at {first.Instance.Location}); this block is skipped");
                SkipOptionalBlock(InstanceSyntax);
                return;
            }
        }

        ParseBody(header, InstanceSyntax, st => ParseInstanceStatement(st, draft));

        if (vi.Name.Length > 0)
        {
            _instances.Add(draft);
        }
    }

    private void ParseInstanceStatement(Statement st, InstanceDraft draft)
    {
        var vi = draft.Instance;
        var kw = st.Keyword;
        if (InstanceKeywords.Contains(kw))
        {
            vi.SetLine(kw, st.Location);
        }

        switch (kw)
        {
            case "state":
                if (NeedArgs(st, 1, "MASTER or BACKUP"))
                {
                    switch (st.Arg(0).ToUpperInvariant())
                    {
                        case "MASTER":
                            vi.State = KeepalivedInitialState.Master;
                            draft.HasState = true;
                            break;
                        case "BACKUP":
                            vi.State = KeepalivedInitialState.Backup;
                            draft.HasState = true;
                            break;
                        default:
                            Error(st.Location, kw, $"'state' must be MASTER or BACKUP, got '{st.Arg(0)}'");
                            break;
                    }

                    NoMoreArgs(st, 1);
                }

                break;
            case "interface":
                if (NeedArgs(st, 1, "an interface name"))
                {
                    if (st.Arg(0).Length > 15)
                    {
                        Error(st.Location, kw, $"'interface': '{st.Arg(0)}' is longer than Linux's 15-character interface names");
                    }

                    vi.Interface = st.Arg(0);
                    draft.HasInterface = true;
                    NoMoreArgs(st, 1);
                }

                break;
            case "virtual_router_id":
                if (NeedArgs(st, 1, "a VRID between 1 and 255") && TryInt(st, kw, st.Arg(0), 1, 255, out var vrid))
                {
                    vi.VirtualRouterId = vrid;
                    draft.HasVrid = true;
                }

                if (st.ArgCount >= 1)
                {
                    draft.HasVrid = true;
                }

                break;
            case "priority":
                if (NeedArgs(st, 1, "a priority between 1 and 255") && TryInt(st, kw, st.Arg(0), 1, 255, out var priority))
                {
                    vi.Priority = priority;
                    vi.PriorityExplicit = true;
                }

                break;
            case "advert_int":
                if (NeedArgs(st, 1, "a number of seconds") && TrySeconds(st, kw, st.Arg(0), 0.01m, 255m, out var advert))
                {
                    draft.AdvertInt = advert;
                }

                break;
            case "version":
                if (NeedArgs(st, 1, "2 or 3") && TryInt(st, kw, st.Arg(0), 2, 3, out var version))
                {
                    draft.Version = version;
                }

                break;
            case "nopreempt":
                draft.NoPreempt = true;
                break;
            case "preempt":
                Warn(st.Location, kw, "'preempt' is accepted for backward compatibility and does nothing (preemption is on unless 'nopreempt')");
                break;
            case "preempt_delay":
                if (NeedArgs(st, 1, "a number of seconds") && TrySeconds(st, kw, st.Arg(0), 0m, 1000m, out var delay))
                {
                    vi.PreemptDelay = Seconds(delay);
                }

                break;
            case "authentication":
                ParseAuthentication(st, vi);
                break;
            case "virtual_ipaddress":
            case "virtual_ipaddress_excluded":
                var list = kw == "virtual_ipaddress" ? draft.Vips : draft.ExcludedVips;
                ParseBody(st, VipSyntax, e =>
                {
                    if (ParseVip(e, kw) is { } vip)
                    {
                        list.Add(vip);
                    }
                });
                break;
            case "track_script":
                ParseBody(st, TrackSyntax, e =>
                {
                    // keepalived 2.2.7 (vrrp_track.c alloc_track_script): the second entry is ignored.
                    if (draft.TrackScripts.Any(t => t.Name == e.Keyword))
                    {
                        Warn(e.Location, kw, $"({vi.Name}) duplicate track_script {e.Keyword} - ignoring", keepalivedReports: true);
                    }
                    else if (ParseTrackEntry(e, kw, out var weight, out var reverse))
                    {
                        draft.TrackScripts.Add(new KeepalivedTrackScript(e.Keyword, weight, reverse, e.Location));
                    }
                });
                break;
            case "track_interface":
                ParseBody(st, TrackSyntax, e =>
                {
                    // keepalived 2.2.7 (vrrp_track.c alloc_track_if): the second entry is ignored.
                    if (draft.TrackInterfaces.Any(t => t.Interface == e.Keyword))
                    {
                        Warn(e.Location, kw, $"({vi.Name}) duplicate track_interface {e.Keyword} - ignoring", keepalivedReports: true);
                    }
                    else if (ParseTrackEntry(e, kw, out var weight, out var reverse))
                    {
                        draft.TrackInterfaces.Add(new KeepalivedTrackInterface(e.Keyword, weight, reverse ?? false, e.Location));
                    }
                });
                break;
            case "unicast_src_ip":
                if (NeedArgs(st, 1, "an IP address") && TryIp(st, kw, st.Arg(0), out var src))
                {
                    vi.UnicastSourceIp = src;
                }

                break;
            case "mcast_src_ip":
                if (NeedArgs(st, 1, "an IP address") && TryIp(st, kw, st.Arg(0), out var msrc))
                {
                    vi.MulticastSourceIp = msrc;
                }

                break;
            case "unicast_ttl":
                if (NeedArgs(st, 1, "a TTL between 1 and 255") && TryInt(st, kw, st.Arg(0), 1, 255, out var ttl))
                {
                    vi.UnicastTtl = ttl;
                }

                break;
            case "unicast_peer":
                ParseBody(st, PeerSyntax, e =>
                {
                    if (ParsePeer(e) is { } peer)
                    {
                        draft.Peers.Add(peer);
                    }
                });
                break;
            case "notify":
                vi.Notify = ParseNotify(st);
                break;
            case "notify_master":
                vi.NotifyMaster = ParseNotify(st);
                break;
            case "notify_backup":
                vi.NotifyBackup = ParseNotify(st);
                break;
            case "notify_fault":
                vi.NotifyFault = ParseNotify(st);
                break;
            case "notify_stop":
                vi.NotifyStop = ParseNotify(st);
                break;
            case "smtp_alert":
                vi.SmtpAlert = ParseOptionalBool(st) ?? vi.SmtpAlert;
                break;
            case "dont_track_primary":
                vi.DontTrackPrimary = true;
                break;
            default:
                if (ParseGarp(st, kw, draft.Garp))
                {
                    break;
                }

                Unknown(st, $"vrrp_instance '{vi.Name}'", InstanceUnsupported, InstanceSyntax);
                break;
        }
    }

    private void ParseAuthentication(Statement header, KeepalivedVrrpInstance vi)
    {
        var auth = new KeepalivedAuthentication { Location = header.Location };
        var hasType = false;
        var hasPass = false;
        ParseBody(header, AuthSyntax, st =>
        {
            auth.SetLine(st.Keyword, st.Location);
            switch (st.Keyword)
            {
                case "auth_type":
                    if (NeedArgs(st, 1, "PASS or AH"))
                    {
                        switch (st.Arg(0))
                        {
                            case "PASS":
                                auth.Type = KeepalivedAuthType.Pass;
                                hasType = true;
                                break;
                            case "AH":
                                auth.Type = KeepalivedAuthType.Ah;
                                hasType = true;
                                break;
                            default:
                                Error(st.Location, "auth_type", $"'auth_type' must be PASS or AH, got '{st.Arg(0)}'");
                                hasType = true;
                                hasPass = true;
                                break;
                        }
                    }

                    break;
                case "auth_pass":
                    if (NeedArgs(st, 1, "a password"))
                    {
                        // A secret: no finding quotes it, in whole or in part (keepalived 2.2.7 vrrp_auth_pass_handler
                        // logs only "Truncating auth_pass to 8 characters", at every start).
                        var pass = st.Arg(0);
                        if (pass.Length > 8)
                        {
                            Warn(st.Location, "auth_pass", "Truncating auth_pass to 8 characters", keepalivedReports: true);
                            pass = pass[..8];
                        }

                        auth.Password = pass;
                        hasPass = true;
                        if (st.ArgCount > 1)
                        {
                            Warn(st.Location, "auth_pass", $"'auth_pass': {st.ArgCount - 1} extra parameter(s) after the password ignored");
                        }
                    }

                    break;
                default:
                    Unknown(st, "authentication", new HashSet<string>(StringComparer.Ordinal), AuthSyntax);
                    break;
            }
        });

        if (!hasType)
        {
            Error(header.Location, "auth_type", $"vrrp_instance '{vi.Name}': 'authentication' needs 'auth_type PASS|AH'");
        }
        else if (auth.Type == KeepalivedAuthType.Pass && !hasPass)
        {
            Error(header.Location, "auth_pass", $"vrrp_instance '{vi.Name}': 'auth_type PASS' needs 'auth_pass'");
        }

        vi.Authentication = auth;
    }

    private KeepalivedVirtualIp? ParseVip(Statement st, string list)
    {
        var first = st.Keyword;
        var vip = new KeepalivedVirtualIp { Location = st.Location, Text = st.Text };
        var slash = first.IndexOf('/', StringComparison.Ordinal);
        var ipText = slash >= 0 ? first[..slash] : first;
        if (!IsIpLiteral(ipText) || !IPAddress.TryParse(ipText, out var ip))
        {
            Error(st.Location, list, $"'{list}': '{first}' is not a valid IP address[/prefix]");
            return null;
        }

        vip.Address = ip;
        var max = ip.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        vip.PrefixLength = max;
        if (slash >= 0)
        {
            var prefixText = first[(slash + 1)..];
            if (!int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix < 0 || prefix > max)
            {
                Error(st.Location, list, $"'{list}': prefix '/{prefixText}' of '{first}' must be between 0 and {max}");
                return null;
            }

            vip.PrefixLength = prefix;
        }

        var ok = true;
        for (var i = 0; i < st.ArgCount; i++)
        {
            var option = st.Arg(i);
            string? Value()
            {
                if (i + 1 < st.ArgCount)
                {
                    i++;
                    return st.Arg(i);
                }

                Error(st.Location, list, $"'{list}': option '{option}' of '{first}' needs a value");
                ok = false;
                return null;
            }

            switch (option)
            {
                case "dev":
                    vip.Device = Value();
                    break;
                case "label":
                    vip.Label = Value();
                    break;
                case "brd":
                    if (Value() is { } brd)
                    {
                        if (TryIp(st, list, brd, out var b))
                        {
                            vip.Broadcast = b;
                        }
                        else
                        {
                            ok = false;
                        }
                    }

                    break;
                case "peer":
                    if (Value() is { } peerText)
                    {
                        if (TryIp(st, list, peerText, out var p))
                        {
                            vip.Peer = p;
                        }
                        else
                        {
                            ok = false;
                        }
                    }

                    break;
                case "scope":
                    if (Value() is { } scopeText)
                    {
                        if (ParseScope(scopeText) is { } scope)
                        {
                            vip.Scope = scope;
                        }
                        else
                        {
                            Error(st.Location, list, $"'{list}': unknown scope '{scopeText}' (expected global, site, link, host or 0/200/253/254)");
                            ok = false;
                        }
                    }

                    break;
                case "no_track":
                    vip.NoTrack = true;
                    break;
                case "home" or "-nodad" or "noprefixroute" or "autojoin":
                    Warn(st.Location, list, $"'{list}': option '{option}' of '{first}' is not supported by Ha.Net; ignored");
                    break;
                case "preferred_lft" or "track_group":
                    Warn(st.Location, list, $"'{list}': option '{option}' of '{first}' is not supported by Ha.Net; ignored");
                    _ = Value();
                    break;
                default:
                    Error(st.Location, list, $"'{list}': unknown option '{option}' in entry '{st.Text}'");
                    return null;
            }
        }

        return ok ? vip : null;
    }

    private static AddressScope? ParseScope(string text) => text switch
    {
        "global" or "universe" or "0" => AddressScope.Global,
        "site" or "200" => AddressScope.Site,
        "link" or "253" => AddressScope.Link,
        "host" or "254" => AddressScope.Host,
        _ => null,
    };

    private bool ParseTrackEntry(Statement st, string list, out int? weight, out bool? reverse)
    {
        weight = null;
        reverse = null;
        var i = 0;
        while (i < st.ArgCount)
        {
            switch (st.Arg(i))
            {
                case "weight":
                    if (i + 1 >= st.ArgCount)
                    {
                        Error(st.Location, list, $"'{list}': 'weight' of '{st.Keyword}' needs a value between -254 and 254");
                        return false;
                    }

                    if (!TryInt(st, $"{list} weight", st.Arg(i + 1), -254, 254, out var w))
                    {
                        return false;
                    }

                    weight = w;
                    i += 2;
                    break;
                case "reverse":
                    reverse = true;
                    i++;
                    break;
                case "noreverse":
                    reverse = false;
                    i++;
                    break;
                default:
                    Error(st.Location, list, $"'{list}': unexpected '{st.Arg(i)}' after '{st.Keyword}' (expected 'weight N [reverse|noreverse]')");
                    return false;
            }
        }

        return true;
    }

    private KeepalivedUnicastPeer? ParsePeer(Statement st)
    {
        if (!TryIp(st, "unicast_peer", st.Keyword, out var address))
        {
            return null;
        }

        int? min = null, max = null;
        for (var i = 0; i < st.ArgCount; i += 2)
        {
            var option = st.Arg(i);
            if (option is not ("min_ttl" or "max_ttl") || i + 1 >= st.ArgCount)
            {
                Error(st.Location, "unicast_peer", $"'unicast_peer': unexpected '{option}' after '{st.Keyword}' (expected 'min_ttl N' or 'max_ttl N')");
                return null;
            }

            if (!TryInt(st, $"unicast_peer {option}", st.Arg(i + 1), 0, 255, out var v))
            {
                return null;
            }

            if (option == "min_ttl")
            {
                min = v;
            }
            else
            {
                max = v;
            }
        }

        return new KeepalivedUnicastPeer(address, min, max, st.Location);
    }
}
