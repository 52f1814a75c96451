using Ha.Net.Testing.Environment;
using Ha.Net.Testing.HealthChecks;

namespace Ha.Net.Samples.Vrrp.Tests;

/// <summary>
/// hanet-vrrpd run for real in a network namespace the test creates (veth pair vd0/vd1, 198.18.0.1/24 on vd0): alone on
/// its link it becomes MASTER after the down timer and adds the VIP 198.18.0.100.
/// </summary>
public sealed class DaemonNamespaceTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static string Config(string notify, string extraGlobal = "", string extraInstance = "", int priority = 150) => $$"""
        global_defs {
            router_id hvd-test
            script_user root
            enable_script_security
        {{extraGlobal}}
        }
        vrrp_instance VI_1 {
            state BACKUP
            interface vd0
            virtual_router_id 51
            priority {{priority}}
            advert_int 1
            virtual_ipaddress {
                198.18.0.100/24
            }
            notify "{{notify}} A"
            notify_master "{{notify}} M"
            notify_backup "{{notify}} B"
            notify_stop "{{notify}} S"
        {{extraInstance}}
        }
        """;

    /// <summary>A script that appends its argv (one line per call) to a file.</summary>
    private static string NotifyScript(Lab lab, string log) =>
        lab.WriteFile("notify.sh", $"#!/bin/sh\necho \"$*\" >> {log}\n", (UnixFileMode)0b111_101_101);

    private static string[] Lines(string path) => File.Exists(path) ? File.ReadAllLines(path) : [];

    private static async Task WaitForLinesAsync(string path, int count)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (Lines(path).Length < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{path} has {Lines(path).Length} lines, expected {count}: {string.Join(" | ", Lines(path))}");
            }

            await Task.Delay(25);
        }
    }

    [RequiresFact("netns")]
    public async Task Notify_scripts_get_keepalived_arguments_reload_keeps_master_and_sigterm_releases_the_vip()
    {
        await using var lab = new Lab();
        var log = Path.Combine(lab.Directory, "notify.log");
        var script = NotifyScript(lab, log);
        var conf = lab.WriteFile("keepalived.conf", Config(script));

        using var daemon = VrrpDaemon.StartInNamespace(lab.Namespace, "-f", conf, "-l", "-D", "-n");
        try
        {
            await daemon.ExpectOutputAsync("(VI_1) Entering MASTER STATE", Bound);
            await WaitForLinesAsync(log, 4);
            Assert.Contains("198.18.0.100/24", lab.Addresses, StringComparison.Ordinal);
            Assert.Contains("(VI_1) Entering BACKUP STATE (init)", daemon.Output, StringComparison.Ordinal);

            // keepalived 2.2.7: notify_<state> exactly as configured; notify with INSTANCE name STATE priority appended.
            Assert.Equal(["B", "A INSTANCE VI_1 BACKUP 150", "M", "A INSTANCE VI_1 MASTER 150"], Lines(log));

            // SIGHUP with the same file: nothing changes, no notify, no VIP churn, no new GARP burst.
            var garps = daemon.CountOf("Sending/queueing gratuitous ARPs");
            daemon.Signal("HUP");
            await daemon.ExpectOutputAsync("Reload finished", Bound);
            await Task.Delay(TimeSpan.FromSeconds(2.5)); // longer than two advert intervals
            Assert.Equal(4, Lines(log).Length);
            Assert.Equal(1, daemon.CountOf("Entering MASTER STATE"));
            Assert.Equal(0, daemon.CountOf("removing VIPs"));
            Assert.Equal(garps, daemon.CountOf("Sending/queueing gratuitous ARPs"));
            Assert.Contains("198.18.0.100/24", lab.Addresses, StringComparison.Ordinal);

            // SIGHUP with a broken file: refused, the running instance keeps MASTER and its VIP.
            File.WriteAllText(conf, Config(script).Replace("priority 150", "priority high", StringComparison.Ordinal));
            daemon.Signal("HUP");
            await daemon.ExpectOutputAsync("Reload refused", Bound);
            Assert.Contains($"{conf}:11: error: 'priority' must be an integer between 1 and 255, got 'high'", daemon.Output, StringComparison.Ordinal);
            Assert.Equal(4, Lines(log).Length);
            Assert.Contains("198.18.0.100/24", lab.Addresses, StringComparison.Ordinal);

            // SIGHUP with an instance name defined twice (#15 item 1): refused with keepalived's words at the second
            // definition; the daemon does not abort (it used to die of an ArgumentException, exit 134) and keeps MASTER.
            var duplicated = Config(script) + "\nvrrp_instance VI_1 {\n    interface vd0\n    virtual_router_id 52\n}\n";
            File.WriteAllText(conf, duplicated);
            daemon.Signal("HUP");
            await daemon.ExpectOutputAsync("Reload refused", Bound, occurrences: 2);
            Assert.Contains($"{conf}:{Config(script).Split('\n').Length + 1}: error: vrrp instance VI_1 already defined", daemon.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", daemon.Output, StringComparison.Ordinal);
            Assert.False(daemon.HasExited, "hanet-vrrpd exited on a reload with a duplicated vrrp_instance:\n" + daemon.Output);
            Assert.Contains("198.18.0.100/24", lab.Addresses, StringComparison.Ordinal);

            // SIGTERM: priority-0 advert, VIP removed, notify STOP, exit 0.
            daemon.Signal("TERM");
            Assert.True(daemon.WaitForExit(Bound), "hanet-vrrpd did not exit after SIGTERM:\n" + daemon.Output);
            Assert.Equal(0, daemon.ExitCode);
            Assert.Contains("(VI_1) sent 0 priority", daemon.Output, StringComparison.Ordinal);
            Assert.Contains("(VI_1) removing VIPs.", daemon.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("198.18.0.100", lab.Addresses, StringComparison.Ordinal);
            await WaitForLinesAsync(log, 6);
            Assert.Equal(["S", "A INSTANCE VI_1 STOP 150"], Lines(log)[4..]);
        }
        finally
        {
            daemon.Dispose();
        }
    }

    [RequiresFact("netns")]
    public async Task Reload_restarts_a_changed_instance_and_starts_a_new_one()
    {
        await using var lab = new Lab();
        var log = Path.Combine(lab.Directory, "notify.log");
        var script = NotifyScript(lab, log);
        var conf = lab.WriteFile("keepalived.conf", Config(script));

        using var daemon = VrrpDaemon.StartInNamespace(lab.Namespace, "-f", conf, "-l");
        try
        {
            await daemon.ExpectOutputAsync("(VI_1) Entering MASTER STATE", Bound);
            var second = """
                vrrp_instance VI_2 {
                    state BACKUP
                    interface vd0
                    virtual_router_id 52
                    priority 120
                    advert_int 1
                    virtual_ipaddress {
                        198.18.0.101/24
                    }
                }
                """;
            File.WriteAllText(conf, Config(script, priority: 160) + "\n" + second);
            daemon.Signal("HUP");
            await daemon.ExpectOutputAsync("(VI_1) configuration changed; restarting the instance", Bound);
            await daemon.ExpectOutputAsync("(VI_1) Entering MASTER STATE", Bound, occurrences: 2);
            await daemon.ExpectOutputAsync("(VI_2) Entering MASTER STATE", Bound);
            await WaitForLinesAsync(log, 10);
            Assert.Contains("A INSTANCE VI_1 STOP 150", Lines(log));
            Assert.Contains("A INSTANCE VI_1 MASTER 160", Lines(log));
            Assert.Contains("198.18.0.101/24", lab.Addresses, StringComparison.Ordinal);

            // Removing VI_2 stops it and releases its VIP; VI_1 is untouched.
            File.WriteAllText(conf, Config(script, priority: 160));
            var masters = daemon.CountOf("(VI_1) Entering MASTER STATE");
            daemon.Signal("HUP");
            await daemon.ExpectOutputAsync("(VI_2) removed from the configuration; stopping the instance", Bound);
            await daemon.ExpectOutputAsync("Reload finished", Bound, occurrences: 2);
            Assert.DoesNotContain("198.18.0.101", lab.Addresses, StringComparison.Ordinal);
            Assert.Contains("198.18.0.100/24", lab.Addresses, StringComparison.Ordinal);
            Assert.Equal(masters, daemon.CountOf("(VI_1) Entering MASTER STATE"));
        }
        finally
        {
            daemon.Signal("TERM");
            daemon.WaitForExit(Bound);
        }
    }

    [RequiresFact("netns")]
    public async Task Vrrp_script_and_track_interface_drive_fault_and_recovery()
    {
        await using var lab = new Lab();
        var log = Path.Combine(lab.Directory, "notify.log");
        var flag = lab.WriteFile("healthy", "");
        var test = File.Exists("/usr/bin/test") ? "/usr/bin/test" : "/bin/test";
        var conf = lab.WriteFile("keepalived.conf", $$"""
            vrrp_script chk_file {
                script "{{test}} -e {{flag}}"
                interval 1
                timeout 5
                rise 1
                fall 1
            }
            """ + "\n" + Config(NotifyScript(lab, log), extraInstance: "    track_script {\n        chk_file\n    }\n    track_interface {\n        vd1\n    }"));

        using var daemon = VrrpDaemon.StartInNamespace(lab.Namespace, "-f", conf, "-l");
        try
        {
            await daemon.ExpectOutputAsync("VRRP_Script(chk_file) succeeded", Bound);
            await daemon.ExpectOutputAsync("(VI_1) Entering MASTER STATE", Bound);

            // The script fails (weight 0): FAULT, VIP released, notify FAULT.
            File.Delete(flag);
            await daemon.ExpectOutputAsync("VRRP_Script(chk_file) failed (exited with status 1)", Bound);
            await daemon.ExpectOutputAsync("(VI_1) Entering FAULT STATE", Bound);
            await WaitForLinesAsync(log, 5);
            Assert.StartsWith("A INSTANCE VI_1 FAULT ", Lines(log)[4], StringComparison.Ordinal);
            Assert.DoesNotContain("198.18.0.100", lab.Addresses, StringComparison.Ordinal);

            // It recovers: BACKUP, then MASTER again.
            File.WriteAllText(flag, "");
            await daemon.ExpectOutputAsync("VRRP_Script(chk_file) succeeded", Bound, occurrences: 2);
            await daemon.ExpectOutputAsync("(VI_1) Entering MASTER STATE", Bound, occurrences: 2);

            // The tracked interface goes down: FAULT; up again: MASTER.
            ProcessRunner.Run("ip", $"-n {lab.Namespace} link set vd1 down");
            await daemon.ExpectOutputAsync("(VI_1) Entering FAULT STATE", Bound, occurrences: 2);
            Assert.Contains("Netlink reports vd1 down", daemon.Output, StringComparison.Ordinal);
            ProcessRunner.Run("ip", $"-n {lab.Namespace} link set vd1 up");
            await daemon.ExpectOutputAsync("(VI_1) Entering MASTER STATE", Bound, occurrences: 3);
            Assert.Contains("198.18.0.100/24", lab.Addresses, StringComparison.Ordinal);
        }
        finally
        {
            daemon.Signal("TERM");
            daemon.WaitForExit(Bound);
        }
    }

    [RequiresFact("netns", "root", "cmd:postfix")]
    public async Task Smtp_alert_reaches_a_real_mta_with_keepalived_subject_and_a_real_helo_name()
    {
        using var postfix = PostfixInstance.Start();
        await using var lab = new Lab();
        var port = 2525;
        await lab.RelayAsync(port, postfix.Smtpd);
        var log = Path.Combine(lab.Directory, "notify.log");
        var conf = lab.WriteFile("keepalived.conf", Config(NotifyScript(lab, log),
            extraGlobal: $"    notification_email {{\n        ops@example.com\n    }}\n    notification_email_from hanet-vrrpd@example.com\n    smtp_server 127.0.0.1 {port}\n    smtp_connect_timeout 10",
            extraInstance: "    smtp_alert"));

        using var daemon = VrrpDaemon.StartInNamespace(lab.Namespace, "-f", conf, "-l");
        try
        {
            await daemon.ExpectOutputAsync("(VI_1) Entering MASTER STATE", Bound);
            await daemon.ExpectOutputAsync("SMTP alert successfully sent.", Bound, occurrences: 2);
            Assert.Contains("Remote SMTP server [127.0.0.1]:2525 connected.", daemon.Output, StringComparison.Ordinal);

            // The MTA accepted two messages (BACKUP at start, then MASTER): read them back from its queue.
            var smtpdLog = await postfix.WaitForLogAsync("clean", "client=", occurrences: 2);
            var queueIds = smtpdLog.Split('\n')
                .Where(l => l.Contains(": client=", StringComparison.Ordinal))
                .Select(l => l[..l.IndexOf(": client=", StringComparison.Ordinal)].Split(' ')[^1])
                .ToList();
            var messages = queueIds.Select(id => PostCat(postfix, id)).ToList();
            var master = Assert.Single(messages, m => m.Contains("Subject: [hvd-test] VRRP Instance VI_1 - Entering MASTER state", StringComparison.Ordinal));
            Assert.Contains("=> VRRP Instance is now owning VRRP VIPs <=", master, StringComparison.Ordinal);
            Assert.Contains("From: hanet-vrrpd@example.com", master, StringComparison.Ordinal);
            Assert.Contains("ops@example.com", master, StringComparison.Ordinal);
            Assert.Single(messages, m => m.Contains("Subject: [hvd-test] VRRP Instance VI_1 - Entering BACKUP state", StringComparison.Ordinal));

            // HELO: the host's name, never keepalived 1.x's "(null)". Postfix records it in its Received header.
            var received = master.Split('\n').First(l => l.StartsWith("Received: from ", StringComparison.Ordinal));
            var helo = received["Received: from ".Length..].Split(' ')[0];
            Assert.NotEqual("(null)", helo);
            Assert.False(string.IsNullOrWhiteSpace(helo));
            // The host's canonical name (from /etc/hosts inside the namespace: it has no route to a resolver).
            var host = System.Net.Dns.GetHostName();
            Assert.True(helo == host || helo.StartsWith(host + ".", StringComparison.Ordinal), $"HELO {helo} is not {host} or its FQDN");
        }
        finally
        {
            daemon.Signal("TERM");
            daemon.WaitForExit(Bound);
        }
    }

    private static string PostCat(PostfixInstance postfix, string queueId) =>
        ProcessRunner.Run(Prerequisites.FindExecutable("postcat") ?? "postcat", $"-c {postfix.Directory}/conf -q {queueId}");
}
