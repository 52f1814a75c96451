using System.Globalization;
using System.Net;
using Ha.Net.Testing.Environment;

namespace Ha.Net.Testing.HealthChecks;

/// <summary>
/// A private Postfix (Debian's package) with its own config_directory, queue_directory,
/// data_directory and log file in a temp directory, listening only on 127.0.0.1 spare ports:
/// <list type="bullet">
/// <item><see cref="Smtpd"/>: plain smtpd (log lines tagged <c>postfix-hanet/clean/</c>; every service has its own tag, see <see cref="LogOf"/>);</item>
/// <item><see cref="ProxySmtpd"/>: smtpd expecting a PROXY header (<c>smtpd_upstream_proxy_protocol = haproxy</c>);</item>
/// <item><see cref="Postscreen"/>: postscreen with the pregreet test enforced (multi-line <c>220-</c> greeting, 1 s);</item>
/// <item><see cref="RejectingHelo"/>: smtpd that rejects HELO/EHLO with a 554.</item>
/// </list>
/// Needs root (Postfix starts as root and drops to its <c>postfix</c> user). Dispose stops it and removes the directory.
/// </summary>
public sealed class PostfixInstance : IDisposable
{
    private PostfixInstance(string directory, int smtpd, int proxy, int postscreen, int rejecting, int control)
    {
        Directory = directory;
        Control = new IPEndPoint(IPAddress.Loopback, control);
        Smtpd = new IPEndPoint(IPAddress.Loopback, smtpd);
        ProxySmtpd = new IPEndPoint(IPAddress.Loopback, proxy);
        Postscreen = new IPEndPoint(IPAddress.Loopback, postscreen);
        RejectingHelo = new IPEndPoint(IPAddress.Loopback, rejecting);
    }

    /// <summary>The instance's directory (conf/, queue/, data/, maillog).</summary>
    public string Directory { get; }

    /// <summary>Plain smtpd.</summary>
    public IPEndPoint Smtpd { get; }

    /// <summary>Another plain smtpd, for tests that misbehave on purpose (its log lines are apart: <c>postfix-hanet/control</c>).</summary>
    public IPEndPoint Control { get; }

    /// <summary>smtpd that waits for a PROXY v1/v2 header before its greeting.</summary>
    public IPEndPoint ProxySmtpd { get; }

    /// <summary>postscreen (pregreet test enforced) in front of smtpd.</summary>
    public IPEndPoint Postscreen { get; }

    /// <summary>smtpd that answers HELO/EHLO with 554.</summary>
    public IPEndPoint RejectingHelo { get; }

    /// <summary>The host name in the greeting.</summary>
    public const string HostName = "hanet-test.localdomain";

    /// <summary>The MTA's log so far.</summary>
    public string Log => File.Exists(Path.Combine(Directory, "maillog")) ? File.ReadAllText(Path.Combine(Directory, "maillog")) : "";

    /// <summary>Creates the directories and configuration and starts the master.</summary>
    public static PostfixInstance Start()
    {
        var postfix = Prerequisites.FindExecutable("postfix") ?? throw new InvalidOperationException("postfix is not installed");
        var dir = System.IO.Directory.CreateTempSubdirectory("hanet-health-pf-").FullName;
        SparePort.Chmod(dir, (UnixFileMode)0b111_101_101);
        var instance = new PostfixInstance(dir, SparePort.Next(), SparePort.Next(), SparePort.Next(), SparePort.Next(), SparePort.Next());
        try
        {
            instance.WriteConfiguration();
            ProcessRunner.Run(postfix, $"-c {dir}/conf start", TimeSpan.FromSeconds(60), dir);
            return instance;
        }
        catch
        {
            instance.Dispose();
            throw;
        }
    }

    /// <summary>The log lines of one service: <c>clean</c>, <c>control</c>, <c>proxy</c>, <c>screen</c>, <c>reject</c>.</summary>
    public string LogOf(string service) =>
        string.Join('\n', Log.Split('\n').Where(l => l.Contains($" postfix-hanet/{service}/", StringComparison.Ordinal)));

    /// <summary>Waits (bounded) until the log of <paramref name="service"/> contains <paramref name="text"/> <paramref name="occurrences"/> times; returns that log.</summary>
    public async Task<string> WaitForLogAsync(string service, string text, int occurrences = 1)
    {
        for (var i = 0; i < 1500; i++)
        {
            var log = LogOf(service);
            if (Count(log, text) >= occurrences)
            {
                return log;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"The Postfix log of {service} never showed '{text}' ×{occurrences}:\n{Log}");
    }

    /// <summary>Stops Postfix and deletes the directory.</summary>
    public void Dispose()
    {
        if (Prerequisites.FindExecutable("postfix") is { } postfix && File.Exists(Path.Combine(Directory, "conf", "main.cf")))
        {
            try
            {
                ProcessRunner.Run(postfix, $"-c {Directory}/conf abort", TimeSpan.FromSeconds(60), Directory);
            }
            catch (InvalidOperationException)
            {
            }
        }

        // Any daemon left behind (abort kills the master; children exit when it goes).
        for (var i = 0; i < 100 && MasterAlive(); i++)
        {
            Thread.Sleep(50);
        }

        // Postfix's daemons may still be writing (postlogd, the queue) for a moment after abort.
        for (var attempt = 0; attempt < 50 && System.IO.Directory.Exists(Directory); attempt++)
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>How many lines of <paramref name="service"/>'s log contain <paramref name="text"/>.</summary>
    public int CountInLog(string service, string text) => Count(LogOf(service), text);

    private static int Count(string haystack, string needle)
    {
        var n = 0;
        for (var i = haystack.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = haystack.IndexOf(needle, i + needle.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    private bool MasterAlive()
    {
        var pidFile = Path.Combine(Directory, "queue", "pid", "master.pid");
        string text;
        try
        {
            // .NET takes an advisory lock on open; Postfix's master holds one on its pid file while
            // it runs, so "locked" here means the master is still alive.
            using var stream = new FileStream(pidFile, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite });
            using var reader = new StreamReader(stream);
            text = reader.ReadToEnd();
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }

        if (!int.TryParse(text.Trim(), CultureInfo.InvariantCulture, out var pid))
        {
            return false;
        }

        try
        {
            return File.ReadAllText($"/proc/{pid}/stat").Contains("(master)", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false; // the process went away between the two reads
        }
    }

    private void WriteConfiguration()
    {
        var conf = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "conf")).FullName;
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "queue"));
        var data = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "data")).FullName;
        ProcessRunner.Run("chown", $"postfix {data}", workingDirectory: Directory);
        File.WriteAllText(Path.Combine(conf, "main.cf"), $"""
            compatibility_level = 3.6
            queue_directory = {Directory}/queue
            data_directory = {data}
            command_directory = /usr/sbin
            daemon_directory = /usr/lib/postfix/sbin
            shlib_directory = /usr/lib/postfix
            meta_directory = /etc/postfix
            mail_owner = postfix
            setgid_group = postdrop
            inet_interfaces = 127.0.0.1
            inet_protocols = ipv4
            myhostname = {HostName}
            mydestination =
            alias_maps =
            alias_database =
            maillog_file = {Directory}/maillog
            maillog_file_prefixes = {Directory}
            syslog_name = postfix-hanet
            smtpd_banner = $myhostname ESMTP Ha.Net test
            smtpd_upstream_proxy_timeout = 3s
            postscreen_access_list =
            postscreen_greet_action = enforce
            postscreen_greet_wait = 1s
            postscreen_dnsbl_sites =
            postscreen_cache_map = btree:$data_directory/postscreen_cache

            """);
        File.WriteAllText(Path.Combine(conf, "master.cf"), $"""
            127.0.0.1:{Smtpd.Port} inet n - n - - smtpd -o syslog_name=postfix-hanet/clean
            127.0.0.1:{Control.Port} inet n - n - - smtpd -o syslog_name=postfix-hanet/control
            127.0.0.1:{ProxySmtpd.Port} inet n - n - - smtpd -o syslog_name=postfix-hanet/proxy -o smtpd_upstream_proxy_protocol=haproxy
            127.0.0.1:{Postscreen.Port} inet n - n - 1 postscreen -o syslog_name=postfix-hanet/screen
            127.0.0.1:{RejectingHelo.Port} inet n - n - - smtpd -o syslog_name=postfix-hanet/reject -o smtpd_delay_reject=no -o smtpd_helo_restrictions=reject
            smtpd     pass  -       -       n       -       -       smtpd -o syslog_name=postfix-hanet/screen
            dnsblog   unix  -       -       n       -       0       dnsblog
            tlsproxy  unix  -       -       n       -       0       tlsproxy
            pickup    unix  n       -       n       60      1       pickup
            cleanup   unix  n       -       n       -       0       cleanup
            qmgr      unix  n       -       n       300     1       qmgr
            rewrite   unix  -       -       n       -       -       trivial-rewrite
            bounce    unix  -       -       n       -       0       bounce
            defer     unix  -       -       n       -       0       bounce
            trace     unix  -       -       n       -       0       bounce
            verify    unix  -       -       n       -       1       verify
            flush     unix  n       -       n       1000?   0       flush
            proxymap  unix  -       -       n       -       -       proxymap
            anvil     unix  -       -       n       -       1       anvil
            scache    unix  -       -       n       -       1       scache
            postlog   unix-dgram n  -       n       -       1       postlogd

            """);
    }
}
