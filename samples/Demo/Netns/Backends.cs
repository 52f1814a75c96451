using Ha.Net.Samples.Lab;

namespace Ha.Net.Samples.Demo.Netns;

/// <summary>
/// A private Postfix instance (Debian's package) per backend namespace: its own config, queue, data and
/// Maildir under the run directory, smtpd on the backend's address :25 only, every mail for
/// <c>@home.local</c> delivered by Postfix's <c>virtual</c> agent to one Maildir — so what the demo counts at
/// the end is mail a real MTA accepted, queued and delivered.
/// </summary>
internal static class Backends
{
    public static string Directory(NetnsLab lab, string name) => Path.Combine(lab.Directory, name);

    public static void StartPostfix(NetnsLab lab, string ns, string name, string address)
    {
        var postfix = FindPostfix() ?? throw new InvalidOperationException("postfix is not installed (apt-get install postfix)");
        var dir = Directory(lab, name);
        var conf = System.IO.Directory.CreateDirectory(Path.Combine(dir, "conf")).FullName;
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "queue"));
        var data = System.IO.Directory.CreateDirectory(Path.Combine(dir, "data")).FullName;
        var mail = System.IO.Directory.CreateDirectory(Path.Combine(dir, "mail")).FullName;
        var uid = NetnsLab.Run("id", "-u postfix").Trim();
        var gid = NetnsLab.Run("id", "-g postfix").Trim();
        NetnsLab.Run("chown", $"postfix:postfix {data} {mail}");
        File.WriteAllText(Path.Combine(conf, "main.cf"), $"""
            # Ha.Net demo backend {name}: a private Postfix instance in network namespace {ns}.
            compatibility_level = 3.6
            queue_directory = {dir}/queue
            data_directory = {data}
            command_directory = /usr/sbin
            daemon_directory = /usr/lib/postfix/sbin
            shlib_directory = /usr/lib/postfix
            meta_directory = /etc/postfix
            mail_owner = postfix
            setgid_group = postdrop
            inet_interfaces = {address}
            inet_protocols = ipv4
            myhostname = {name}.home.local
            mydomain = home.local
            myorigin = $myhostname
            mydestination =
            mynetworks = 198.18.0.0/24, 127.0.0.0/8
            relay_domains =
            virtual_mailbox_domains = home.local
            virtual_mailbox_base = {mail}
            virtual_mailbox_maps = static:support/
            virtual_uid_maps = static:{uid}
            virtual_gid_maps = static:{gid}
            alias_maps =
            alias_database =
            biff = no
            smtpd_banner = $myhostname ESMTP Postfix (Ha.Net demo backend)
            maillog_file = {dir}/maillog
            maillog_file_prefixes = {lab.Directory}
            syslog_name = postfix-{name}

            """);
        File.WriteAllText(Path.Combine(conf, "master.cf"), $"""
            {address}:25 inet n - n - - smtpd
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
            proxywrite unix -       -       n       -       1       proxymap
            smtp      unix  -       -       n       -       -       smtp
            relay     unix  -       -       n       -       -       smtp
            showq     unix  n       -       n       -       -       showq
            error     unix  -       -       n       -       -       error
            retry     unix  -       -       n       -       -       error
            discard   unix  -       -       n       -       -       discard
            local     unix  -       n       n       -       -       local
            virtual   unix  -       n       n       -       -       virtual
            anvil     unix  -       -       n       -       1       anvil
            scache    unix  -       -       n       -       1       scache
            postlog   unix-dgram n  -       n       -       1       postlogd

            """);
        lab.OnDispose(() => NetnsLab.TryRun(postfix, $"-c {conf} abort", TimeSpan.FromSeconds(20)));
        NetnsLab.Exec(ns, postfix, $"-c {conf} start");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!NetnsLab.TryRun("ip", $"netns exec {ns} ss -Hltn sport = :25").Stdout.Contains(address + ":25", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Postfix {name} does not listen on {address}:25 after 20 s; see {dir}/maillog");
            }

            Thread.Sleep(50);
        }
    }

    /// <summary>Mails Postfix's virtual agent delivered into the backend's Maildir.</summary>
    public static int Delivered(NetnsLab lab, string name)
    {
        var dir = Path.Combine(Directory(lab, name), "mail", "support", "new");
        return System.IO.Directory.Exists(dir) ? System.IO.Directory.GetFiles(dir).Length : 0;
    }

    public static string? FindPostfix() =>
        new[] { "/usr/sbin/postfix", "/usr/local/sbin/postfix", "/sbin/postfix" }.FirstOrDefault(File.Exists);

}
