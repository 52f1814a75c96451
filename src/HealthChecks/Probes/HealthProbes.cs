namespace Ha.Net.HealthChecks.Probes;

/// <summary>The built-in probes. Each validates its options (every problem named in one <see cref="ArgumentException"/>).</summary>
public static class HealthProbes
{
    /// <summary>A TCP connect check (HAProxy's plain <c>check</c>): L4OK, L4CON, L4TOUT.</summary>
    /// <param name="options">Where and how.</param>
    /// <param name="timeProvider">Measures durations and runs the connect timeout (default <see cref="TimeProvider.System"/>).</param>
    public static IHealthProbe Tcp(TcpProbeOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid(nameof(options));
        return new TcpProbe(options, timeProvider ?? TimeProvider.System);
    }

    /// <summary>HAProxy's <c>option tcp-check</c>: connect, then send and expect steps in order; L7OK, L7RSP, L7TOUT, L4*.</summary>
    /// <param name="options">Where, and the steps.</param>
    /// <param name="timeProvider">Measures durations and runs the connect timeout (default <see cref="TimeProvider.System"/>).</param>
    public static IHealthProbe TcpCheck(TcpCheckProbeOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid(nameof(options));
        return new TcpCheckProbe(options, timeProvider ?? TimeProvider.System);
    }

    /// <summary>HAProxy 2.6.12's <c>option smtpchk</c>: greeting, HELO/EHLO, QUIT, all 2xx; L7OK, L7STS, L7RSP, L7TOUT, L4*.</summary>
    /// <param name="options">Where and how.</param>
    /// <param name="timeProvider">Measures durations and runs the connect timeout (default <see cref="TimeProvider.System"/>).</param>
    public static IHealthProbe Smtp(SmtpProbeOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid(nameof(options));
        return new SmtpProbe(options, timeProvider ?? TimeProvider.System);
    }

    /// <summary>An HTTP/1.1 check with status ranges and an optional body match, optionally over TLS.</summary>
    /// <param name="options">Where and how.</param>
    /// <param name="timeProvider">Measures durations and runs the connect and read timeouts (default <see cref="TimeProvider.System"/>).</param>
    public static IHealthProbe Http(HttpProbeOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid(nameof(options));
        return new HttpProbe(options, timeProvider ?? TimeProvider.System);
    }

    /// <summary>A process is alive, by name (<c>killall -0</c>) or pidfile (<c>kill(pid, 0)</c>); Linux only (/proc).</summary>
    /// <param name="options">What to look for.</param>
    /// <param name="timeProvider">Measures durations (default <see cref="TimeProvider.System"/>).</param>
    public static IHealthProbe Process(ProcessProbeOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid ProcessProbeOptions: " + string.Join(" ", errors), nameof(options));
        }

        return new ProcessProbe(options, timeProvider ?? TimeProvider.System);
    }

    /// <summary>
    /// Runs a command (keepalived <c>vrrp_script</c>, HAProxy <c>external-check</c>): exit 0 passes;
    /// on the monitor's timeout the command's process group is killed.
    /// </summary>
    /// <param name="options">What to run.</param>
    /// <param name="timeProvider">Measures durations (default <see cref="TimeProvider.System"/>).</param>
    public static IHealthProbe Command(CommandProbeOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid CommandProbeOptions: " + string.Join(" ", errors), nameof(options));
        }

        return new CommandProbe(options, timeProvider ?? TimeProvider.System);
    }
}
