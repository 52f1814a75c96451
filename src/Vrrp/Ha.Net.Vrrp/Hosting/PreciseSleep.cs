using System.Runtime.InteropServices;

namespace Ha.Net.Vrrp.Hosting;

/// <summary>
/// A sleep finer than a millisecond, for the last fraction of a millisecond before a router's deadline. .NET's waits
/// (<see cref="Monitor.Wait(object, int)"/>, <see cref="Thread.Sleep(int)"/>, timers) take whole milliseconds, so a
/// deadline 36.09 ms away is met at 37 ms; keepalived's scheduler sleeps on a timerfd to the microsecond. On Linux this
/// is nanosleep(2) (CLOCK_MONOTONIC, an hrtimer: the thread's timer slack, 50 µs by default, is the only rounding).
/// </summary>
internal static partial class PreciseSleep
{
    /// <summary>Whether <see cref="Sleep"/> sleeps below a millisecond here (Linux).</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux();

    /// <summary>Sleeps about <paramref name="duration"/> (less than a second); a signal ends it early, which the caller's loop absorbs.</summary>
    public static unsafe void Sleep(TimeSpan duration)
    {
        var ticks = duration.Ticks;
        if (ticks <= 0)
        {
            return;
        }

        var request = new Timespec { Seconds = ticks / TimeSpan.TicksPerSecond, Nanoseconds = ticks % TimeSpan.TicksPerSecond * 100 };
        _ = nanosleep(&request, null);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc")]
    private static unsafe partial int nanosleep(Timespec* request, Timespec* remaining);
}
