using System.Net;
using Ha.Net.Testing.Environment;

namespace Ha.Net.Samples.Vrrp.Tests;

/// <summary>
/// SIGTERM and SIGINT of a MASTER hanet-vrrpd (#18): one priority-0 advert on the wire, no advert after it, the VIP
/// removed, keepalived's stop lines and exit code 0 — whether the stop starts in libhanet_sigstop.so's signal handler
/// (built with gcc beside the daemon) or, without it, in .NET's signal dispatch (the daemon then says so once).
/// </summary>
public sealed class SignalStopNamespaceTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly IPAddress Local = IPAddress.Parse("198.18.0.1");

    private static string Config(string version) => $$"""
        global_defs {
            router_id hvd-sigstop
            vrrp_version {{version}}
        }
        vrrp_instance VI_1 {
            state BACKUP
            interface vd0
            virtual_router_id 51
            priority 150
            advert_int 1
            virtual_ipaddress {
                198.18.0.100/24
            }
            virtual_ipaddress_excluded {
                198.18.0.101/24
            }
        }
        """;

    private static bool NativeStopBuilt => File.Exists(Path.Combine(Path.GetDirectoryName(VrrpDaemon.DllPath)!, "libhanet_sigstop.so"));

    [RequiresTheory("netns")]
    [InlineData("TERM", "2")]
    [InlineData("INT", "3")]
    public async Task A_stop_signal_of_a_master_sends_one_priority_zero_advert_and_removes_every_vip(string signal, string version)
    {
        await using var lab = new Lab();
        var conf = lab.WriteFile("keepalived.conf", Config(version));
        using var daemon = VrrpDaemon.StartInNamespace(lab.Namespace, "-f", conf, "-l", "-D", "-n");
        try
        {
            await daemon.ExpectOutputAsync("(VI_1) Entering MASTER STATE", Bound);
            Assert.Contains(NativeStopBuilt ? "armed in the signal handler" : "go through .NET's signal dispatch only", daemon.Output, StringComparison.Ordinal);
            var capture = await lab.CaptureAdvertsAsync();
            var deadline = DateTime.UtcNow + Bound;
            while (!capture.Adverts.Any(a => a.Source.Equals(Local) && a.Priority == 150) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            Assert.Contains(capture.Adverts, a => a.Source.Equals(Local) && a.Priority == 150);
            Assert.Contains("198.18.0.100/24", lab.Addresses, StringComparison.Ordinal);
            Assert.Contains("198.18.0.101/24", lab.Addresses, StringComparison.Ordinal);

            daemon.Signal(signal);
            Assert.True(await daemon.WaitForExitAsync(Bound), $"hanet-vrrpd did not exit after SIG{signal}:\n" + daemon.Output);
            await Task.Delay(500); // anything still in flight reaches the capture

            Assert.Equal(0, daemon.ExitCode);
            var ours = capture.Adverts.Where(a => a.Source.Equals(Local)).Select(a => a.Priority).ToList();
            Assert.Equal(1, ours.Count(p => p == 0));
            Assert.Equal(0, ours[^1]); // nothing after the priority-0 advert
            Assert.DoesNotContain("198.18.0.100", lab.Addresses, StringComparison.Ordinal);
            Assert.DoesNotContain("198.18.0.101", lab.Addresses, StringComparison.Ordinal);
            Assert.Contains("(VI_1) sent 0 priority", daemon.Output, StringComparison.Ordinal);
            Assert.Contains("(VI_1) removing VIPs.", daemon.Output, StringComparison.Ordinal);
            Assert.Contains("Stopped", daemon.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("deleted by something else", daemon.Output, StringComparison.Ordinal);
        }
        finally
        {
            daemon.Dispose();
        }
    }

    [RequiresFact("netns")]
    public async Task A_stop_signal_of_a_backup_sends_no_priority_zero_advert()
    {
        await using var lab = new Lab();
        var conf = lab.WriteFile("keepalived.conf", Config("2"));
        using var daemon = VrrpDaemon.StartInNamespace(lab.Namespace, "-f", conf, "-l", "-D", "-n");
        try
        {
            await daemon.ExpectOutputAsync("(VI_1) Entering MASTER STATE", Bound);
            var capture = await lab.CaptureAdvertsAsync();

            // A higher-priority master appears on vd1: the daemon goes BACKUP and removes its VIPs (no priority 0).
            await lab.SendAdvertFromVd1Async(51, 200, 1, IPAddress.Parse("198.18.0.100"));
            await daemon.ExpectOutputAsync("(VI_1) Entering BACKUP STATE", Bound);
            var deadline = DateTime.UtcNow + Bound;
            while (lab.Addresses.Contains("198.18.0.100", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            daemon.Signal("TERM");
            Assert.True(await daemon.WaitForExitAsync(Bound), "hanet-vrrpd did not exit after SIGTERM:\n" + daemon.Output);
            await Task.Delay(500);

            Assert.Equal(0, daemon.ExitCode);
            Assert.DoesNotContain(capture.Adverts, a => a.Source.Equals(Local) && a.Priority == 0);
            Assert.DoesNotContain("198.18.0.100", lab.Addresses, StringComparison.Ordinal);
        }
        finally
        {
            daemon.Dispose();
        }
    }
}
