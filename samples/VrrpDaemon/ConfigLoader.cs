using Ha.Net.Vrrp.Keepalived;

namespace Ha.Net.Samples.VrrpDaemon;

/// <summary>A configuration that passed every check: the model, the engine options per instance, and who runs scripts.</summary>
internal sealed record LoadedConfig(KeepalivedConfig Config, KeepalivedMapping Mapping, ScriptPolicy Policy);

/// <summary>
/// The outcome of reading and checking a keepalived.conf: every finding as <c>file:line: severity: message</c>, and
/// <paramref name="CheckExitCode"/>, what keepalived 2.2.7's <c>-t</c> exits with on the same findings (0; 4 cannot
/// be read; 5 configuration errors, even those keepalived runs with; 6 scripts without enable_script_security).
/// </summary>
internal sealed record ConfigLoadResult(LoadedConfig? Loaded, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings, int CheckExitCode);

/// <summary>
/// Reads a keepalived.conf (Ha.Net.Vrrp's reader), maps it to engine options (validated by the engine's rules) and adds
/// the daemon's own checks: scripts that cannot be found or are unsafe, users that do not exist, interfaces that are
/// missing, and keepalived features this daemon does not run. Nothing is started.
/// </summary>
internal static class ConfigLoader
{
    public static ConfigLoadResult Load(string path)
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        if (!File.Exists(path))
        {
            return new ConfigLoadResult(null, [$"{path}: error: configuration file not found"], [], CheckConfig);
        }

        KeepalivedConfigResult read;
        try
        {
            read = KeepalivedConfigReader.Load(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new ConfigLoadResult(null, [$"{path}: error: cannot read the configuration: {ex.Message}"], [], CheckConfig);
        }

        warnings.AddRange(read.Warnings.Select(d => d.ToString()));
        errors.AddRange(read.Errors.Select(d => d.ToString()));
        var check = read.KeepalivedCheckExitCode;
        if (!read.IsValid || read.Config is null)
        {
            // keepalived checks its scripts whatever else is wrong: 6 wins over 5 on its -t.
            if (read.PartialConfig is { Global.EnableScriptSecurity: false } partial && FirstFoundScript(partial) is { } found)
            {
                warnings.Add($"{found}: warning: SECURITY VIOLATION - scripts are being executed but script_security not enabled.");
                check = Math.Max(check, CheckSecurity);
            }

            return new ConfigLoadResult(null, errors, warnings, Math.Max(check, CheckConfig));
        }

        var config = read.Config;
        var mapping = KeepalivedConfigMapper.ToVirtualRouterOptions(config);
        warnings.AddRange(mapping.Warnings.Select(d => d.ToString()));
        errors.AddRange(mapping.Errors.Select(d => d.ToString()));
        check = Math.Max(check, mapping.KeepalivedCheckExitCode);
        var scripts = new ScriptFindings();

        var g = config.Global;
        if (g.ScriptUser is { } su && !Users.Exists(su))
        {
            errors.Add(At(g, "script_user", $"script_user '{su}' is not a user of this system"));
        }

        if (g.ScriptGroup is { } sg && !Users.GroupExists(sg))
        {
            errors.Add(At(g, "script_user", $"script_user group '{sg}' is not a group of this system"));
        }

        var policy = ScriptPolicy.From(g.ScriptUser, g.ScriptGroup, g.EnableScriptSecurity);
        var root = Users.IsRoot;
        if (root && policy.User is null && UsesScripts(config))
        {
            warnings.Add($"{config.Files[0]}:1: warning: scripts will run as root: neither script_user nor a 'keepalived_script' user exists");
        }

        var trackedScripts = config.Instances.SelectMany(i => i.TrackScripts.Select(t => t.Name)).ToHashSet(StringComparer.Ordinal);
        foreach (var script in config.Scripts)
        {
            if (!trackedScripts.Contains(script.Name))
            {
                // keepalived runs a vrrp_script only if an instance tracks it, but checks every one for script security
                // first (vrrp.c check_vrrp_script_security, before the unused ones are removed).
                if (ScriptCommand.Parse(script.Script).Resolve() is not null)
                {
                    scripts.Found(script.Location);
                }
                else
                {
                    scripts.KeepalivedReports = true; // "Disabling track script chk since not found/accessible"
                }

                continue;
            }

            // keepalived drops a script whose user does not exist before its security check (refused here anyway).
            var userExists = script.User is not { } su2 || Users.Exists(su2);
            CheckScript(script.Script, script.Location, "script", $"vrrp_script '{script.Name}'", script.User ?? policy.User, policy, root, warnings, errors, userExists ? scripts : new ScriptFindings(), tracked: true);
            if (script.User is { } u && !Users.Exists(u))
            {
                errors.Add($"{script.Location}: error: vrrp_script '{script.Name}': user '{u}' is not a user of this system");
            }
        }

        foreach (var vi in config.Instances)
        {
            foreach (var (keyword, notify) in NotifyScripts(vi))
            {
                var userExists = notify.User is not { } nu || Users.Exists(nu);
                CheckScript(notify.Command, notify.Location, keyword, $"vrrp_instance '{vi.Name}'", notify.User ?? policy.User, policy, root, warnings, errors, userExists ? scripts : new ScriptFindings(), tracked: false);
                if (notify.User is { } u && !Users.Exists(u))
                {
                    errors.Add($"{notify.Location}: error: vrrp_instance '{vi.Name}': {keyword} user '{u}' is not a user of this system");
                }
            }

            if (vi.SmtpAlert && (g.SmtpServer is null || g.NotificationEmails.Count == 0))
            {
                warnings.Add($"{At(vi, "smtp_alert")}: warning: vrrp_instance '{vi.Name}': smtp_alert needs smtp_server and notification_email in global_defs; no mail will be sent");
            }

            if (!Directory.Exists(Path.Combine("/sys/class/net", vi.Interface)))
            {
                // keepalived: "WARNING - interface eth0 for vrrp_instance VI_1 doesn't exist" (a configuration error to -t).
                check = Math.Max(check, CheckError);
                warnings.Add($"{At(vi, "interface")}: warning: vrrp_instance '{vi.Name}': interface {vi.Interface} doesn't exist; the instance cannot start until it does (start or reload hanet-vrrpd then)");
            }

            foreach (var t in vi.TrackInterfaces.Where(t => !Directory.Exists(Path.Combine("/sys/class/net", t.Interface))))
            {
                // keepalived: "(VI_1) tracked interface eth9 doesn't exist".
                check = Math.Max(check, CheckError);
                warnings.Add($"{t.Location}: warning: vrrp_instance '{vi.Name}': track_interface {t.Interface} doesn't exist; it counts as down until it appears");
            }
        }

        foreach (var group in config.SyncGroups)
        {
            warnings.Add($"{group.Location}: warning: vrrp_sync_group '{group.Name}': hanet-vrrpd runs the members as independent instances (tracking weights forced to 0 as keepalived does) but does not move them together; the group's notify scripts and smtp_alert are not run");
        }

        // keepalived 2.2.7 (vrrp.c check_vrrp_script_security): any script it finds, whoever runs it, without
        // enable_script_security is a CONFIG_SECURITY_ERROR, which its -t exits 6 for; it runs them all the same.
        if (scripts.First is { } firstScript && !policy.EnableScriptSecurity)
        {
            warnings.Add($"{firstScript}: warning: SECURITY VIOLATION - scripts are being executed but script_security not enabled.{(scripts.Insecure ? " There are insecure scripts." : "")}");
            check = Math.Max(check, CheckSecurity);
        }

        if (scripts.KeepalivedReports)
        {
            check = Math.Max(check, CheckError);
        }

        if (errors.Count > 0)
        {
            check = Math.Max(check, CheckError); // hanet-vrrpd refuses: never 0, whatever keepalived would make of it
        }

        return new ConfigLoadResult(errors.Count == 0 ? new LoadedConfig(config, mapping, policy) : null, errors, warnings, check);
    }

    // keepalived 2.2.7 -t exit codes (lib/scheduler.h KEEPALIVED_CHK_EXIT_*).
    private const int CheckConfig = 4;
    private const int CheckError = 5;
    private const int CheckSecurity = 6;

    /// <summary>What the script checks found, for keepalived's script-security verdict.</summary>
    private sealed class ScriptFindings
    {
        /// <summary>Where the first script keepalived would find is configured.</summary>
        public KeepalivedSourceLine? First { get; private set; }

        /// <summary>A script run as root is writable by someone else (keepalived's SC_INSECURE).</summary>
        public bool Insecure { get; set; }

        /// <summary>keepalived reports a script it disables ("Disabling track script chk since not found/accessible").</summary>
        public bool KeepalivedReports { get; set; }

        public void Found(KeepalivedSourceLine at) => First ??= at;
    }

    public static IEnumerable<(string Keyword, KeepalivedNotifyScript Script)> NotifyScripts(KeepalivedVrrpInstance vi)
    {
        if (vi.NotifyMaster is { } m) { yield return ("notify_master", m); }
        if (vi.NotifyBackup is { } b) { yield return ("notify_backup", b); }
        if (vi.NotifyFault is { } f) { yield return ("notify_fault", f); }
        if (vi.NotifyStop is { } s) { yield return ("notify_stop", s); }
        if (vi.Notify is { } n) { yield return ("notify", n); }
    }

    /// <summary>Where the first script that keepalived would find (every vrrp_script, every notify) is configured.</summary>
    private static KeepalivedSourceLine? FirstFoundScript(KeepalivedConfig config) =>
        config.Scripts.Select(s => (s.Script, s.Location))
            .Concat(config.Instances.SelectMany(i => NotifyScripts(i).Select(n => (n.Script.Command, n.Script.Location))))
            .Where(s => ScriptCommand.Parse(s.Item1).Resolve() is not null)
            .Select(s => (KeepalivedSourceLine?)s.Location)
            .FirstOrDefault();

    private static bool UsesScripts(KeepalivedConfig config) =>
        config.Instances.Any(i => i.TrackScripts.Count > 0 || NotifyScripts(i).Any());

    private static void CheckScript(string text, KeepalivedSourceLine at, string keyword, string owner, string? user, ScriptPolicy policy, bool root, List<string> warnings, List<string> errors, ScriptFindings scripts, bool tracked)
    {
        var command = ScriptCommand.Parse(text);
        var resolved = command.Resolve();
        if (resolved is null)
        {
            // keepalived: "WARNING - script `x` resolved by path search ..." / "Cannot find script x - disabling",
            // and for a vrrp_script "Disabling track script chk since not found/accessible" (a configuration error to -t).
            warnings.Add($"{at}: warning: {owner}: {keyword} '{text}': '{command.Program}' not found or not executable; it will fail when run");
            scripts.KeepalivedReports |= tracked;
            return;
        }

        scripts.Found(at);

        if (!command.UseShell && (File.GetUnixFileMode(resolved) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
        {
            warnings.Add($"{at}: warning: {owner}: {keyword} '{text}': {resolved} is not executable; it will fail when run");
        }

        if (root && (user is null || user == "root") && ScriptCommand.FindUnsafePath(resolved) is { } bad)
        {
            if (policy.EnableScriptSecurity)
            {
                errors.Add($"{at}: error: {owner}: {keyword} '{text}': unsafe permissions found for script (writable by non-root: {bad}) and enable_script_security is set");
            }
            else
            {
                warnings.Add($"{at}: warning: {owner}: {keyword} '{text}': SECURITY VIOLATION - script is run as root but {bad} is writable by non-root (set enable_script_security to refuse it)");
                scripts.Insecure = true;
            }
        }
    }

    private static string At(KeepalivedBlock block, string directive, string message) =>
        $"{(block.DirectiveLines.TryGetValue(directive, out var l) ? l : block.Location)}: error: {message}";

    private static string At(KeepalivedBlock block, string directive) =>
        (block.DirectiveLines.TryGetValue(directive, out var l) ? l : block.Location).ToString();
}
