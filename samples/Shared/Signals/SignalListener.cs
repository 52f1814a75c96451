using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace Ha.Net.Samples.Shared.Signals;

/// <summary>
/// Catches POSIX signals and hands their numbers, in arrival order, to the daemon's own loop (<see cref="Reader"/>),
/// so that every signal the daemon knows is handled there and no signal whose default action is to terminate can
/// take the process down without the daemon's graceful path. Linux x86-64/arm64 numbering.
/// </summary>
/// <remarks>
/// SIGKILL and SIGSTOP cannot be caught; the synchronous fault signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP,
/// SIGABRT, SIGSYS) belong to the .NET runtime; SIGRTMIN (34) is the runtime's thread-activation signal and is never
/// taken. No reflection.
/// </remarks>
internal sealed class SignalListener : IDisposable
{
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGQUIT = 3;
    public const int SIGUSR1 = 10;
    public const int SIGUSR2 = 12;
    public const int SIGALRM = 14;
    public const int SIGTERM = 15;
    public const int SIGSTKFLT = 16;
    public const int SIGTTIN = 21;
    public const int SIGTTOU = 22;
    public const int SIGXCPU = 24;
    public const int SIGXFSZ = 25;
    public const int SIGVTALRM = 26;
    public const int SIGPROF = 27;
    public const int SIGIO = 29;
    public const int SIGPWR = 30;
    public const int SIGRTMIN = 34;
    public const int SIGRTMAX = 64;

    /// <summary>
    /// Signals whose default action terminates the process (signal(7): Term or Core) that a daemon can catch, apart from
    /// the fault signals and the runtime's SIGRTMIN: SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM,
    /// SIGSTKFLT, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO, SIGPWR and SIGRTMIN+1 … SIGRTMAX.
    /// </summary>
    public static IReadOnlyList<int> Terminating { get; } =
        [SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM, SIGSTKFLT, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO, SIGPWR,
         .. Enumerable.Range(SIGRTMIN + 1, SIGRTMAX - SIGRTMIN)];

    private readonly Channel<int> _signals = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<PosixSignalRegistration> _registrations = [];

    /// <summary>Catches <paramref name="signals"/> (numbers); a signal the platform refuses to hand over is skipped.</summary>
    public SignalListener(IEnumerable<int> signals)
    {
        foreach (var signo in signals.Distinct())
        {
            try
            {
                _registrations.Add(PosixSignalRegistration.Create(ToPosixSignal(signo), context =>
                {
                    context.Cancel = true; // the daemon decides; never the default action
                    OnArrival?.Invoke(signo);
                    _signals.Writer.TryWrite(signo);
                }));
            }
            catch (Exception ex) when (ex is PlatformNotSupportedException or IOException or ArgumentOutOfRangeException)
            {
                Skipped.Add(signo);
            }
        }
    }

    /// <summary>Runs on the signal's own handler thread as the signal arrives, before it is queued: for work that
    /// must not wait for the reader (hanet-vrrpd's SIGTERM: priority-0 adverts and VIPs released at once).</summary>
    public Action<int>? OnArrival { get; set; }

    /// <summary>The signals in arrival order.</summary>
    public ChannelReader<int> Reader => _signals.Reader;

    /// <summary>Signals that could not be caught on this platform.</summary>
    public List<int> Skipped { get; } = [];

    /// <summary>The signal's name as kill -l prints it (<c>SIGUSR2</c>, <c>SIGRTMIN+2</c>, <c>SIGRTMAX-1</c>).</summary>
    public static string Name(int signo) => signo switch
    {
        SIGHUP => "SIGHUP",
        SIGINT => "SIGINT",
        SIGQUIT => "SIGQUIT",
        SIGUSR1 => "SIGUSR1",
        SIGUSR2 => "SIGUSR2",
        SIGALRM => "SIGALRM",
        SIGTERM => "SIGTERM",
        SIGSTKFLT => "SIGSTKFLT",
        SIGTTIN => "SIGTTIN",
        SIGTTOU => "SIGTTOU",
        SIGXCPU => "SIGXCPU",
        SIGXFSZ => "SIGXFSZ",
        SIGVTALRM => "SIGVTALRM",
        SIGPROF => "SIGPROF",
        SIGIO => "SIGIO",
        SIGPWR => "SIGPWR",
        >= SIGRTMIN and <= SIGRTMAX when signo - SIGRTMIN <= (SIGRTMAX - SIGRTMIN) / 2 => signo == SIGRTMIN ? "SIGRTMIN" : "SIGRTMIN+" + (signo - SIGRTMIN).ToString(CultureInfo.InvariantCulture),
        >= SIGRTMIN and <= SIGRTMAX => signo == SIGRTMAX ? "SIGRTMAX" : "SIGRTMAX-" + (SIGRTMAX - signo).ToString(CultureInfo.InvariantCulture),
        _ => "signal " + signo.ToString(CultureInfo.InvariantCulture),
    };

    // The runtime knows these by its own (negative) enum values; other numbers are passed raw, as PosixSignal allows on Unix.
    private static PosixSignal ToPosixSignal(int signo) => signo switch
    {
        SIGHUP => PosixSignal.SIGHUP,
        SIGINT => PosixSignal.SIGINT,
        SIGQUIT => PosixSignal.SIGQUIT,
        SIGTERM => PosixSignal.SIGTERM,
        SIGTTIN => PosixSignal.SIGTTIN,
        SIGTTOU => PosixSignal.SIGTTOU,
        _ => (PosixSignal)signo,
    };

    public void Dispose()
    {
        foreach (var r in _registrations)
        {
            r.Dispose();
        }

        _signals.Writer.TryComplete();
    }
}
