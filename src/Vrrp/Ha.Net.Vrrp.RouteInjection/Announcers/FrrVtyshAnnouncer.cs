using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ha.Net.Vrrp.RouteInjection;

/// <summary>
/// FRR's bgpd through vtysh, its stable operator interface: one vtysh run per change, in configuration mode,
/// exactly what an operator would type:
/// <code>
/// vtysh [-N pathspace] -c 'configure terminal' -c 'router bgp AS' -c 'address-family ipv4 unicast' -c '[no ]network P'
/// </code>
/// vtysh exits non-zero when a line is refused (an AS that is not the running one, a daemon that is not running);
/// "no network" of a prefix that is not there answers <c>% Can't find static route specified</c>, which is the
/// idempotent success of a withdrawal. frr.conf should say <c>no bgp network import-check</c> (the /32 is held
/// by the proxy, not by a route in the RIB) — without it bgpd accepts the line but does not advertise.
/// </summary>
internal sealed partial class FrrVtyshAnnouncer : IRouteAnnouncer
{
    /// <summary>bgpd's answer to "no network P" when P is not configured (bgpd/bgp_route.c, bgp_static_unset).</summary>
    internal const string NotConfiguredAnswer = "Can't find static route specified";

    private readonly FrrAnnouncerOptions _options;
    private readonly ILogger _logger;

    public FrrVtyshAnnouncer(FrrAnnouncerOptions options, ILogger? logger)
    {
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        Description = string.Create(CultureInfo.InvariantCulture, $"frr bgp {options.AutonomousSystem} (vtysh{(options.PathSpace is { } ns ? " -N " + ns : "")})");
    }

    public string Description { get; }

    public Task AnnounceAsync(IPNetwork prefix, CancellationToken cancellationToken = default) => RunAsync(prefix, announce: true, cancellationToken);

    public Task WithdrawAsync(IPNetwork prefix, CancellationToken cancellationToken = default) => RunAsync(prefix, announce: false, cancellationToken);

    /// <summary>vtysh's arguments for one change (pure: tested without FRR).</summary>
    internal static IReadOnlyList<string> BuildArguments(FrrAnnouncerOptions options, IPNetwork prefix, bool announce)
    {
        var args = new List<string>();
        if (options.PathSpace is { } ns)
        {
            args.Add("-N");
            args.Add(ns);
        }

        var family = prefix.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4";
        args.AddRange(["-c", "configure terminal",
            "-c", string.Create(CultureInfo.InvariantCulture, $"router bgp {options.AutonomousSystem}"),
            "-c", $"address-family {family} unicast",
            "-c", (announce ? "network " : "no network ") + prefix.ToString()]);
        return args;
    }

    /// <summary>Whether vtysh's exit code and output mean the change is in effect.</summary>
    internal static bool Succeeded(bool announce, int exitCode, string output) =>
        exitCode == 0 || (!announce && output.Contains(NotConfiguredAnswer, StringComparison.Ordinal));

    private async Task RunAsync(IPNetwork prefix, bool announce, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(_options.VtyshPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in BuildArguments(_options, prefix, announce))
        {
            start.ArgumentList.Add(arg);
        }

        var verb = announce ? "network" : "no network";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new RouteAnnouncerException($"{Description}: {_options.VtyshPath} did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new RouteAnnouncerException($"{Description}: cannot run {_options.VtyshPath}: {ex.Message}", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.CommandTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                }

                cancellationToken.ThrowIfCancellationRequested();
                throw new RouteAnnouncerException(string.Create(CultureInfo.InvariantCulture,
                    $"{Description}: '{verb} {prefix}' did not finish within {_options.CommandTimeout.TotalSeconds} s (vtysh killed)."));
            }

            var output = (await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false)).Trim();
            if (!Succeeded(announce, process.ExitCode, output))
            {
                throw new RouteAnnouncerException(string.Create(CultureInfo.InvariantCulture,
                    $"{Description}: '{verb} {prefix}' refused (vtysh exit {process.ExitCode}): {Relevant(output)}"));
            }

            LogApplied(_logger, Description, verb, prefix);
        }
    }

    /// <summary>vtysh's answer without the warning about a missing vtysh.conf, which is not an error.</summary>
    private static string Relevant(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !(l.Contains("vtysh.conf", StringComparison.Ordinal) && l.Contains("Can't open configuration file", StringComparison.Ordinal)))
            .ToArray();
        return lines.Length == 0 ? "(no output)" : string.Join(" | ", lines);
    }

    [LoggerMessage(EventId = 7010, Level = LogLevel.Debug, Message = "{Speaker}: {Verb} {Prefix} applied.")]
    private static partial void LogApplied(ILogger logger, string speaker, string verb, IPNetwork prefix);
}
