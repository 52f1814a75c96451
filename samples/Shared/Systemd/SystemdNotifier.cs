using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Ha.Net.Samples.Shared.Systemd;

/// <summary>
/// sd_notify(3) written directly: datagrams to the AF_UNIX socket named by <c>$NOTIFY_SOCKET</c> (a path, or the
/// abstract namespace when it starts with <c>@</c>). <c>READY=1</c> when the daemon serves, <c>RELOADING=1</c> with
/// <c>MONOTONIC_USEC=</c> at the start of a reload and <c>READY=1</c> at its end (systemd 253's reload protocol, which
/// older systemd ignores harmlessly), <c>STOPPING=1</c> on the way out, <c>STATUS=</c> lines, and <c>WATCHDOG=1</c> every half
/// <c>$WATCHDOG_USEC</c> while the daemon's own loop answers (<see cref="StartWatchdog"/>).
/// </summary>
/// <remarks>
/// Not Microsoft.Extensions.Hosting.Systemd: its notifier only sends READY=1 and STOPPING=1 from the Generic Host's
/// lifetime; it has no RELOADING=1, MONOTONIC_USEC or WATCHDOG=1, and these daemons do not run on the Generic Host.
/// Without <c>$NOTIFY_SOCKET</c> (not under systemd, or <c>Type=exec</c>) every call does nothing. The variables are
/// removed from the environment once read, as sd_notify(unset_environment=1) does, so scripts the daemon runs do not
/// inherit them. No reflection, no dynamic code.
/// </remarks>
internal sealed class SystemdNotifier : IDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endPoint;
    private readonly TimeSpan? _watchdogInterval;
    private Timer? _watchdog;
    private Func<bool>? _alive;
    private long _failures;

    private SystemdNotifier(string? socketPath, TimeSpan? watchdogInterval)
    {
        _watchdogInterval = watchdogInterval;
        if (string.IsNullOrEmpty(socketPath))
        {
            return;
        }

        // "@name" is an abstract socket: its first byte is NUL.
        _endPoint = new UnixDomainSocketEndPoint(socketPath[0] == '@' ? "\0" + socketPath[1..] : socketPath);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    }

    /// <summary>Whether the daemon runs under a notify-type service manager.</summary>
    public bool Enabled => _socket is not null;

    /// <summary>The watchdog period systemd expects (<c>WatchdogSec=</c>), when it set one for this process.</summary>
    public TimeSpan? WatchdogInterval => _watchdogInterval;

    /// <summary>Datagrams that could not be sent.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>A notifier for an explicit socket (<c>@name</c> = abstract) and watchdog period, as the environment would give them.</summary>
    public static SystemdNotifier ForSocket(string? socket, TimeSpan? watchdog = null) => new(socket, watchdog);

    /// <summary>A notifier that sends nothing (the daemon was not asked to speak the notify protocol).</summary>
    public static SystemdNotifier Disabled => new(null, null);

    /// <summary>Reads <c>$NOTIFY_SOCKET</c>, <c>$WATCHDOG_USEC</c> and <c>$WATCHDOG_PID</c> and clears them from the environment.</summary>
    public static SystemdNotifier FromEnvironment()
    {
        var socket = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        TimeSpan? watchdog = null;
        if (long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec) && usec > 0)
        {
            // sd_watchdog_enabled(): WATCHDOG_PID, when set, must be our pid.
            var pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
            if (string.IsNullOrEmpty(pid) || pid == Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            {
                watchdog = TimeSpan.FromMicroseconds(usec);
            }
        }

        Environment.SetEnvironmentVariable("NOTIFY_SOCKET", null);
        Environment.SetEnvironmentVariable("WATCHDOG_USEC", null);
        Environment.SetEnvironmentVariable("WATCHDOG_PID", null);
        return new SystemdNotifier(socket, watchdog);
    }

    /// <summary><c>READY=1</c> (with <c>MAINPID=</c> and a status line).</summary>
    public void Ready(string status) =>
        Send(string.Create(CultureInfo.InvariantCulture, $"READY=1\nMAINPID={Environment.ProcessId}\nSTATUS={status}"));

    /// <summary><c>RELOADING=1</c> with <c>MONOTONIC_USEC=</c> (CLOCK_MONOTONIC, as systemd requires).</summary>
    public void Reloading(string status) =>
        Send(string.Create(CultureInfo.InvariantCulture, $"RELOADING=1\nMONOTONIC_USEC={MonotonicMicroseconds()}\nSTATUS={status}"));

    /// <summary><c>STOPPING=1</c>.</summary>
    public void Stopping(string status) => Send($"STOPPING=1\nSTATUS={status}");

    /// <summary>A <c>STATUS=</c> line alone.</summary>
    public void Status(string status) => Send("STATUS=" + status);

    /// <summary>
    /// Sends <c>WATCHDOG=1</c> every half watchdog period, but only while <paramref name="alive"/> answers true (the
    /// daemon's loop proves it still turns): a hung daemon stops pinging and systemd restarts it. Nothing without
    /// <c>WatchdogSec=</c>.
    /// </summary>
    public void StartWatchdog(Func<bool> alive)
    {
        if (!Enabled || _watchdogInterval is not { } interval)
        {
            return;
        }

        _alive = alive;
        var period = interval / 2;
        _watchdog = new Timer(_ =>
        {
            if (_alive?.Invoke() == true)
            {
                Send("WATCHDOG=1");
            }
        }, null, TimeSpan.Zero, period);
    }

    /// <summary>Sends one notification (newline-separated <c>KEY=VALUE</c> lines); never throws.</summary>
    public void Send(string state)
    {
        if (_socket is null)
        {
            return;
        }

        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(state), SocketFlags.None, _endPoint!);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            Interlocked.Increment(ref _failures);
        }
    }

    /// <summary>CLOCK_MONOTONIC in microseconds (.NET's Stopwatch reads CLOCK_MONOTONIC on Linux, in nanoseconds).</summary>
    public static long MonotonicMicroseconds() =>
        (long)(System.Diagnostics.Stopwatch.GetTimestamp() * (1_000_000.0 / System.Diagnostics.Stopwatch.Frequency));

    public void Dispose()
    {
        _watchdog?.Dispose();
        _socket?.Dispose();
    }
}
