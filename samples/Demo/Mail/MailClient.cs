using System.Net;

namespace Ha.Net.Samples.Demo.Mail;

/// <summary>
/// The demo's mail client: starts one SMTP send every <c>interval</c> (sends may overlap while one hangs
/// on an unreachable address) until stopped, and reports every result.
/// </summary>
internal static class MailClient
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(2);

    public static async Task RunAsync(Func<IPEndPoint?> target, Action<MailResult> report, CancellationToken stop)
    {
        var inFlight = new List<Task>();
        using var timer = new PeriodicTimer(Interval);
        var sequence = 0;
        try
        {
            do
            {
                var seq = ++sequence;
                inFlight.Add(Task.Run(async () => report(await SmtpSender.SendAsync(target, seq, SendTimeout, CancellationToken.None)), CancellationToken.None));
                inFlight.RemoveAll(t => t.IsCompleted);
            }
            while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException)
        {
        }

        await Task.WhenAll(inFlight);
    }

    /// <summary>
    /// Child mode <c>hanet-demo client IP:PORT</c> (run under <c>ip netns exec</c> in the client namespace):
    /// prints one <c>MAIL ...</c> line per send until standard input closes, then <c>CLIENT done</c>.
    /// With <c>--relay IP:PORT DIR</c> it also runs the site's SMTP relay (the keepalived.conf
    /// <c>smtp_server</c>) that stores the alert mails in DIR.
    /// </summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        var target = IPEndPoint.Parse(args[1]);
        SmtpSink? relay = null;
        if (args.Length >= 5 && args[2] == "--relay")
        {
            relay = SmtpSink.Start(IPEndPoint.Parse(args[3]), "relay", args[4]);
        }

        using var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            while (await Console.In.ReadLineAsync() is not null)
            {
            }

            await stop.CancelAsync();
        });
        var gate = new object();
        await RunAsync(() => target, r =>
        {
            lock (gate)
            {
                Console.WriteLine(r.ToLine());
            }
        }, stop.Token);
        if (relay is not null)
        {
            await relay.DisposeAsync();
        }

        Console.WriteLine("CLIENT done");
        return 0;
    }
}
