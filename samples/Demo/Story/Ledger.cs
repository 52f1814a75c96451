using System.Diagnostics;
using System.Globalization;
using Ha.Net.Samples.Demo.Mail;

namespace Ha.Net.Samples.Demo.Story;

/// <summary>
/// What the audience sees and what the demo concludes: timestamped lines (+s.s since the start), one
/// line per second listing which backend took each mail and who holds the VIP, and the outcome figures
/// (mails before/after the kill, failed sends, the longest gap between two delivered mails, failover time).
/// </summary>
internal sealed class Ledger
{
    private readonly object _gate = new();
    private readonly List<MailResult> _mails = [];
    private readonly List<MailResult> _pending = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly long _startUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    private readonly TextWriter _log;

    public Ledger(TextWriter log) => _log = log;

    /// <summary>Who holds the VIP now (display only).</summary>
    public string VipHolder { get; set; } = "nobody";

    public long? KillUnixMs { get; private set; }

    public long? HandbackStartUnixMs { get; private set; }

    public void MarkKill() => KillUnixMs = Now;

    public void MarkHandbackStart() => HandbackStartUnixMs = Now;

    public static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public void Say(string text)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"{Stamp()}  {text}");
        lock (_gate)
        {
            Console.WriteLine(line);
            _log.WriteLine(line);
            _log.Flush();
        }
    }

    public void Add(MailResult mail)
    {
        lock (_gate)
        {
            _mails.Add(mail);
            _pending.Add(mail);
        }
    }

    /// <summary>Prints the mails that completed since the last call (one line), if any.</summary>
    public void Flush()
    {
        string text;
        lock (_gate)
        {
            if (_pending.Count == 0)
            {
                return;
            }

            text = string.Join(' ', _pending.OrderBy(m => m.Sequence).Select(m => m.Ok ? $"#{m.Sequence}->{m.Backend}" : $"#{m.Sequence}:FAILED({m.Detail})"));
            _pending.Clear();
        }

        Say($"VIP on {VipHolder,-4} | mail {text}");
    }

    public IReadOnlyList<MailResult> Mails
    {
        get
        {
            lock (_gate)
            {
                return [.. _mails];
            }
        }
    }

    public int DeliveredSince(long unixMs) => Mails.Count(m => m.Ok && m.StartMs >= unixMs);

    public int DeliveredBefore(long unixMs) => Mails.Count(m => m.Ok && m.StartMs < unixMs);

    /// <summary>The outcome: delivered before and after the kill, failures, the longest gap between delivered mails.</summary>
    public Outcome Conclude(long? failoverMs, string handback)
    {
        var mails = Mails.OrderBy(m => m.StartMs).ToList();
        var kill = KillUnixMs ?? long.MaxValue;
        var before = mails.Count(m => m.Ok && m.StartMs < kill);
        var after = mails.Count(m => m.Ok && m.StartMs >= kill);
        var failed = mails.Count(m => !m.Ok);
        long longestGap = 0;
        long? previous = null;
        foreach (var m in mails.Where(m => m.Ok))
        {
            if (previous is { } p)
            {
                longestGap = Math.Max(longestGap, m.StartMs - p);
            }

            previous = m.StartMs;
        }

        var backends = mails.Where(m => m.Ok).GroupBy(m => m.Backend).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key}:{g.Count()}");
        return new Outcome(before, after, failed, mails.Count, longestGap, failoverMs, handback, string.Join(',', backends));
    }

    private string Stamp() => string.Create(CultureInfo.InvariantCulture, $"+{_clock.Elapsed.TotalSeconds,5:0.0}s");

    public long SinceStart(long unixMs) => unixMs - _startUnixMs;
}

internal sealed record Outcome(int Before, int After, int Failed, int Sent, long LongestGapMs, long? FailoverMs, string Handback, string Backends)
{
    public bool Success => Before > 0 && After > 0 && FailoverMs is not null;
}
