namespace Ha.Net.Vrrp.RouteInjection;

/// <summary>
/// How to reach a running FRR bgpd through its operator interface, vtysh. The BGP instance (<c>router bgp N</c>),
/// its neighbors, BFD and policies are the operator's frr.conf; the announcer only adds and removes
/// <c>network P</c> lines in <c>address-family ipv4|ipv6 unicast</c> of the running configuration.
/// </summary>
public sealed record FrrAnnouncerOptions
{
    /// <summary>The local AS of the <c>router bgp</c> instance in frr.conf (required, 1–4294967295).</summary>
    public uint AutonomousSystem { get; init; }

    /// <summary>vtysh's path; <c>/usr/bin/vtysh</c> (Debian's frr package) by default.</summary>
    public string VtyshPath { get; init; } = "/usr/bin/vtysh";

    /// <summary>FRR's pathspace (<c>vtysh -N NAME</c>), when the daemons run with <c>-N NAME</c> (several FRR instances on one host, one per network namespace); <see langword="null"/> for the default instance.</summary>
    public string? PathSpace { get; init; }

    /// <summary>How long one vtysh call may take before it is killed and counted as a failure (10 s by default).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Every problem with these options, each naming its key; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (AutonomousSystem == 0)
        {
            errors.Add("frr: AutonomousSystem must be 1–4294967295 (the AS of 'router bgp' in frr.conf).");
        }

        if (string.IsNullOrWhiteSpace(VtyshPath))
        {
            errors.Add("frr: VtyshPath must name the vtysh executable.");
        }

        if (PathSpace is { } ns && (ns.Length == 0 || ns.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))))
        {
            errors.Add($"frr: PathSpace '{ns}' must be letters, digits, '-', '_' or '.' (the -N name FRR's daemons run with).");
        }

        if (CommandTimeout <= TimeSpan.Zero)
        {
            errors.Add("frr: CommandTimeout must be positive.");
        }

        return errors;
    }
}
