using System.Globalization;
using System.Net;
using Ha.Net.Proxy;
using Ha.Net.Proxy.Configuration;
using Ha.Net.Vrrp.RouteInjection;

namespace Ha.Net.Samples.ProxyDaemon;

/// <summary>
/// hanet-proxyd's route health injection file (<c>--route-injection FILE</c>): a small file of its own, because
/// haproxy.cfg must stay a file HAProxy accepts (it refuses unknown keywords). One directive a line, <c>#</c> starts
/// a comment:
/// <code>
/// prefix 198.18.100.1/32                        # required, repeatable: the service address(es) to originate
/// speaker frr as 65100 [pathspace NAME] [vtysh PATH]   # required: FRR's bgpd through vtysh
/// frontend fe_app                               # announced only while this frontend is OPEN (repeatable)
/// backend be_app [min-servers N]                # ... and the backend has >= N usable servers (default 1; repeatable)
/// interval 500ms | rise 3 | fall 2 | withdraw-grace 2s | reassert 30s
/// drain-file /run/hanet-proxyd/drain            # exists = drained (withdrawn at once)
/// </code>
/// Times take HAProxy's units (us, ms, s, m, h; a bare number is milliseconds). Every error names file:line.
/// </summary>
internal sealed record RouteInjectionFile(
    RouteInjectorOptions Injector,
    FrrAnnouncerOptions Frr,
    IReadOnlyList<string> Frontends,
    IReadOnlyList<(string Backend, int Minimum)> Backends)
{
    public static RouteInjectionFile? Load(string path, List<string> errors)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"{path}: cannot read the route injection file: {ex.Message}");
            return null;
        }

        return Parse(path, lines, errors);
    }

    public static RouteInjectionFile? Parse(string path, IReadOnlyList<string> lines, List<string> errors)
    {
        var before = errors.Count;
        var options = new RouteInjectorOptions();
        var prefixes = new List<IPNetwork>();
        FrrAnnouncerOptions? frr = null;
        var frontends = new List<string>();
        var backends = new List<(string, int)>();
        for (var i = 0; i < lines.Count; i++)
        {
            var at = $"{path}:{i + 1}";
            var text = lines[i];
            var hash = text.IndexOf('#', StringComparison.Ordinal);
            var words = (hash >= 0 ? text[..hash] : text).Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0)
            {
                continue;
            }

            var args = words[1..];
            switch (words[0])
            {
                case "prefix" when args.Length == 1:
                    if (IPNetwork.TryParse(args[0], out var prefix) && args[0].Contains('/', StringComparison.Ordinal))
                    {
                        prefixes.Add(prefix);
                    }
                    else
                    {
                        errors.Add($"{at}: 'prefix' expects an address/length such as 198.18.100.1/32, got '{args[0]}'.");
                    }

                    break;
                case "speaker" when args.Length >= 3 && args[0] == "frr" && args[1] == "as":
                    if (!uint.TryParse(args[2], NumberStyles.None, CultureInfo.InvariantCulture, out var asn) || asn == 0)
                    {
                        errors.Add($"{at}: 'speaker frr as' expects the AS of 'router bgp' in frr.conf (1-4294967295), got '{args[2]}'.");
                        break;
                    }

                    frr = new FrrAnnouncerOptions { AutonomousSystem = asn };
                    for (var k = 3; k < args.Length; k += 2)
                    {
                        if (k + 1 >= args.Length)
                        {
                            errors.Add($"{at}: 'speaker frr': '{args[k]}' expects a value.");
                            break;
                        }

                        switch (args[k])
                        {
                            case "pathspace":
                                frr = frr with { PathSpace = args[k + 1] };
                                break;
                            case "vtysh":
                                frr = frr with { VtyshPath = args[k + 1] };
                                break;
                            default:
                                errors.Add($"{at}: 'speaker frr': unknown option '{args[k]}' (expected 'pathspace' or 'vtysh').");
                                break;
                        }
                    }

                    foreach (var e in frr.Validate())
                    {
                        errors.Add($"{at}: {e}");
                    }

                    break;
                case "speaker":
                    errors.Add($"{at}: 'speaker' expects 'frr as <AS> [pathspace NAME] [vtysh PATH]' (FRR is the one built-in speaker).");
                    break;
                case "frontend" when args.Length == 1:
                    frontends.Add(args[0]);
                    break;
                case "backend" when args.Length == 1:
                    backends.Add((args[0], 1));
                    break;
                case "backend" when args.Length == 3 && args[1] == "min-servers":
                    if (int.TryParse(args[2], NumberStyles.None, CultureInfo.InvariantCulture, out var min) && min >= 1)
                    {
                        backends.Add((args[0], min));
                    }
                    else
                    {
                        errors.Add($"{at}: 'min-servers' expects a whole number >= 1, got '{args[2]}'.");
                    }

                    break;
                case "interval" or "withdraw-grace" or "reassert" when args.Length == 1:
                    if (!TryParseTime(args[0], out var time))
                    {
                        errors.Add($"{at}: '{words[0]}' expects a time such as 500ms or 2s, got '{args[0]}'.");
                    }
                    else
                    {
                        options = words[0] switch
                        {
                            "interval" => options with { Interval = time },
                            "withdraw-grace" => options with { WithdrawGrace = time },
                            _ => options with { ReassertInterval = time },
                        };
                    }

                    break;
                case "rise" or "fall" when args.Length == 1:
                    if (!int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1)
                    {
                        errors.Add($"{at}: '{words[0]}' expects a whole number >= 1, got '{args[0]}'.");
                    }
                    else
                    {
                        options = words[0] == "rise" ? options with { Rise = count } : options with { Fall = count };
                    }

                    break;
                case "drain-file" when args.Length == 1:
                    options = options with { DrainFile = args[0] };
                    break;
                case "prefix" or "frontend" or "backend" or "interval" or "withdraw-grace" or "reassert" or "rise" or "fall" or "drain-file":
                    errors.Add($"{at}: '{words[0]}' has the wrong number of arguments (see samples/ProxyDaemon/README.md, \"Route health injection\").");
                    break;
                default:
                    errors.Add($"{at}: unknown keyword '{words[0]}' (expected prefix, speaker, frontend, backend, interval, rise, fall, withdraw-grace, reassert, drain-file).");
                    break;
            }
        }

        if (prefixes.Count == 0)
        {
            errors.Add($"{path}: no 'prefix' line: nothing to announce.");
        }

        if (frr is null && errors.Count == before)
        {
            errors.Add($"{path}: no 'speaker' line (e.g. 'speaker frr as 65100').");
        }

        if (frontends.Count == 0 && backends.Count == 0)
        {
            errors.Add($"{path}: no 'frontend' or 'backend' line: the route would not follow the proxy's state.");
        }

        if (errors.Count > before || frr is null)
        {
            return null;
        }

        return new RouteInjectionFile(options with { Prefixes = prefixes }, frr, frontends, backends);
    }

    /// <summary>The names that haproxy.cfg does not define, as errors naming this file.</summary>
    public IEnumerable<string> Unknown(string path, ProxyOptions proxy)
    {
        foreach (var f in Frontends.Where(f => !proxy.Frontends.Any(x => x.Name == f)))
        {
            yield return $"{path}: frontend '{f}' is not in the haproxy configuration.";
        }

        foreach (var (b, _) in Backends.Where(b => !proxy.Backends.Any(x => x.Name == b.Backend)))
        {
            yield return $"{path}: backend '{b}' is not in the haproxy configuration.";
        }
    }

    public IEnumerable<RouteCondition> Conditions(ITcpProxy proxy) =>
        Frontends.Select(f => RouteCondition.FrontendOpen(proxy, f))
            .Concat(Backends.Select(b => RouteCondition.UsableServers(proxy, b.Backend, b.Minimum)));

    /// <summary>HAProxy's time format: a number with us, ms, s, m, h or d; a bare number is milliseconds.</summary>
    internal static bool TryParseTime(string text, out TimeSpan value)
    {
        value = default;
        var digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits]))
        {
            digits++;
        }

        if (digits == 0 || !long.TryParse(text.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }

        TimeSpan? unit = text[digits..] switch
        {
            "" or "ms" => TimeSpan.FromMilliseconds(1),
            "us" => TimeSpan.FromMicroseconds(1),
            "s" => TimeSpan.FromSeconds(1),
            "m" => TimeSpan.FromMinutes(1),
            "h" => TimeSpan.FromHours(1),
            "d" => TimeSpan.FromDays(1),
            _ => null,
        };
        if (unit is null)
        {
            return false;
        }

        value = unit.Value * n;
        return true;
    }
}
