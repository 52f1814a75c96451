using System.Globalization;
using System.Runtime.InteropServices;
using Ha.Net.Samples.Demo;
using Ha.Net.Samples.Demo.InMemory;
using Ha.Net.Samples.Demo.Mail;
using Ha.Net.Samples.Demo.Netns;
using Ha.Net.Samples.Demo.Story;
using Ha.Net.Samples.Lab;

// hanet-demo [--netns | --in-memory] [--no-handback] [--logs DIR] [--vrrpd PATH] [--proxyd PATH] [--configs DIR]
// hanet-demo client IP:PORT [--relay IP:PORT DIR]   (child mode, run by the demo in the client namespace)
if (args.Length > 0 && args[0] == "client")
{
    return await MailClient.RunChildAsync(args);
}

if (args.Length == 3 && args[0] == "stats")
{
    return await StatsPage.RunChildAsync(args);
}

DemoOptions options;
try
{
    options = DemoOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"hanet-demo: {ex.Message}");
    Console.Error.WriteLine(DemoOptions.Usage);
    return 2;
}

if (options.Help)
{
    Console.WriteLine(DemoOptions.Usage);
    return 0;
}

Directory.CreateDirectory(options.LogDirectory);
using var stop = new CancellationTokenSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; stop.Cancel(); });
await using var transcript = new StreamWriter(Path.Combine(options.LogDirectory, "demo.log"));
var ledger = new Ledger(transcript);

var (netnsOk, netnsReason) = options.Mode == DemoMode.InMemory ? (false, "--in-memory given") : NetnsLab.CanUseNamespaces();
if (options.Mode == DemoMode.Netns && !netnsOk)
{
    ledger.Say($"DEMO cannot run in network namespaces: {netnsReason}");
    return 1;
}

Outcome? outcome = null;
var exit = 1;
if (netnsOk)
{
    var missing = new[] { options.Vrrpd, options.Proxyd }.Where(p => !File.Exists(p)).ToList();
    if (missing.Count > 0 || Backends.FindPostfix() is null)
    {
        ledger.Say($"DEMO cannot run: missing {string.Join(", ", missing.Concat(Backends.FindPostfix() is null ? ["postfix (apt-get install postfix)"] : []))} (./demo.sh builds the daemons)");
        return 1;
    }

    ledger.Say("DEMO mode=netns: seed 000's SMTP cluster in Linux network namespaces, run by hanet-vrrpd and hanet-proxyd with the seed's own configs");
    ledger.Say($"configs: {options.ConfigDirectory}/dc{{1,2}}.keepalived.conf and dc{{1,2}}.haproxy.cfg (seed 000 verbatim, addresses moved into 198.18.0.0/24)");
    ledger.Say($"logs: {options.LogDirectory}");
    var runDirectory = Directory.CreateTempSubdirectory("hanet-demo-").FullName;
    File.SetUnixFileMode(runDirectory, (UnixFileMode)0b111_101_101);
    ledger.Say($"run directory: {runDirectory} (configs, Postfix instances, Maildirs; removed at the end)");
    var lab = new NetnsLab("hnd", runDirectory, alone: true, report: m => Console.Error.WriteLine($"hanet-demo: {m}"));
    try
    {
        outcome = await new NetnsStory(options, ledger, lab).RunAsync(stop.Token);
    }
    catch (OperationCanceledException) when (stop.IsCancellationRequested)
    {
        ledger.Say("interrupted: tearing down");
    }
    catch (Exception ex) when (ex is DemoFailure or InvalidOperationException or TimeoutException or IOException)
    {
        ledger.Say($"DEMO failed: {ex.Message}");
    }
    finally
    {
        ledger.Say("tearing down: processes, namespaces, run directory");
        lab.Dispose();
        var namespaces = NetnsLab.ExistingNamespaces(lab.Id);
        var processes = NetnsLab.ProcessesMentioning(runDirectory);
        ledger.Say(string.Create(CultureInfo.InvariantCulture, $"CLEANUP namespaces_left={namespaces.Count} processes_left={processes.Count} run_dir_left={(Directory.Exists(runDirectory) ? 1 : 0)}"));
        foreach (var left in namespaces.Concat(processes))
        {
            ledger.Say($"  left behind: {left}");
        }

        if (namespaces.Count + processes.Count > 0 || Directory.Exists(runDirectory))
        {
            outcome = null;
        }
    }
}
else
{
    ledger.Say($"DEMO mode=in-memory: network namespaces are not available here ({netnsReason}).");
    ledger.Say("The same story runs inside this process: two Ha.Net.Vrrp hosts on an in-memory LAN, two Ha.Net.Proxy proxies on 127.0.0.1, two small SMTP servers on 127.0.0.1 as backends.");
    ledger.Say($"logs: {options.LogDirectory}");
    try
    {
        outcome = await new InMemoryStory(options, ledger).RunAsync(stop.Token);
    }
    catch (OperationCanceledException) when (stop.IsCancellationRequested)
    {
        ledger.Say("interrupted: tearing down");
    }
    catch (Exception ex) when (ex is DemoFailure or InvalidOperationException or TimeoutException or IOException)
    {
        ledger.Say($"DEMO failed: {ex.Message}");
    }

    ledger.Say("CLEANUP namespaces_left=0 processes_left=0 run_dir_left=0 (in-memory: no namespaces or child processes are made; the backends' temp directory is removed)");
}

if (outcome is not null)
{
    ledger.Say(string.Create(CultureInfo.InvariantCulture,
        $"RESULT mails_sent={outcome.Sent} delivered_before_kill={outcome.Before} delivered_after_kill={outcome.After} failed={outcome.Failed} longest_gap_ms={outcome.LongestGapMs} failover_ms={(outcome.FailoverMs?.ToString(CultureInfo.InvariantCulture) ?? "none")} handback={outcome.Handback} backends={outcome.Backends}"));
    ledger.Say(outcome.Success
        ? string.Create(CultureInfo.InvariantCulture, $"RESULT story=ok: mail reached a backend before and after the master was killed; the client saw {outcome.Failed} failed send(s) and at most {outcome.LongestGapMs} ms between two delivered mails")
        : "RESULT story=failed: mail did not reach a backend both before and after the kill, or no failover was seen");
    exit = outcome.Success ? 0 : 1;
}
else
{
    ledger.Say("RESULT story=failed");
}

ledger.Say($"logs: {options.LogDirectory}");
return exit;
