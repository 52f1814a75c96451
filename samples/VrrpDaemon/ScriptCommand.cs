using System.Diagnostics;
using System.Text;

namespace Ha.Net.Samples.VrrpDaemon;

/// <summary>Who scripts run as: keepalived's <c>script_user</c> / <c>enable_script_security</c>, resolved once per configuration.</summary>
internal sealed record ScriptPolicy(string? User, string? Group, bool EnableScriptSecurity)
{
    /// <summary>
    /// keepalived: scripts run as <c>script_user</c>; without it as the user <c>keepalived_script</c> if it exists,
    /// else as root. Only a root daemon can switch users; otherwise scripts run as the daemon's own user.
    /// </summary>
    public static ScriptPolicy From(string? scriptUser, string? scriptGroup, bool security) =>
        new(scriptUser ?? (Users.Exists("keepalived_script") ? "keepalived_script" : null), scriptGroup, security);
}

/// <summary>
/// A script command line as keepalived runs it: keepalived 2.x splits the configured string itself (quotes and
/// backslashes honoured) and execs it without a shell. A string that only means something to a shell (pipes,
/// redirections, <c>&amp;&amp;</c>, <c>$VAR</c>, globs ...) is run with <c>/bin/sh -c</c> instead, the appended
/// arguments passed as <c>"$@"</c>, so it still does what its author meant.
/// </summary>
internal sealed class ScriptCommand
{
    private const string ShellCharacters = "|&;<>()$`*?[]{}~\n";

    private ScriptCommand(string text, IReadOnlyList<string> argv, bool useShell)
    {
        Text = text;
        Argv = argv;
        UseShell = useShell;
    }

    /// <summary>The configured string.</summary>
    public string Text { get; }

    /// <summary>The words (without a shell) or just the string (with one).</summary>
    public IReadOnlyList<string> Argv { get; }

    public bool UseShell { get; }

    /// <summary>The program run: the first word, or /bin/sh.</summary>
    public string Program => UseShell ? "/bin/sh" : Argv.Count > 0 ? Argv[0] : "";

    public static ScriptCommand Parse(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        var needsShell = false;
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (quote != '\0')
            {
                if (ch == quote)
                {
                    quote = '\0';
                }
                else if (ch == '\\' && quote == '"' && i + 1 < text.Length)
                {
                    word.Append(text[++i]);
                }
                else
                {
                    word.Append(ch);
                }

                continue;
            }

            if (ch is '"' or '\'')
            {
                quote = ch;
                inWord = true;
            }
            else if (ch == '\\' && i + 1 < text.Length)
            {
                word.Append(text[++i]);
                inWord = true;
            }
            else if (char.IsWhiteSpace(ch))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                needsShell |= ShellCharacters.Contains(ch, StringComparison.Ordinal);
                word.Append(ch);
                inWord = true;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return needsShell ? new ScriptCommand(text, [text], true) : new ScriptCommand(text, words, false);
    }

    /// <summary>The executable, resolved through PATH as execvp would; null when not found.</summary>
    public string? Resolve()
    {
        var program = Program;
        if (program.Length == 0)
        {
            return null;
        }

        if (program.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(program) ? Path.GetFullPath(program) : null;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>
    /// The program and arguments to start, with <paramref name="extra"/> appended (keepalived's notify arguments),
    /// wrapped in <c>setpriv</c> to run as <paramref name="user"/> when the daemon is root and the user is not.
    /// </summary>
    public (string FileName, List<string> Arguments) ToStart(string resolved, IReadOnlyList<string> extra, string? user, string? group)
    {
        var args = new List<string>();
        string file;
        if (UseShell)
        {
            file = "/bin/sh";
            args.Add("-c");
            args.Add(Text + " \"$@\"");
            args.Add("sh");
        }
        else
        {
            file = resolved;
            args.AddRange(Argv.Skip(1));
        }

        args.AddRange(extra);
        if (user is null || user == "root" || !Users.IsRoot || Users.SetPriv is null)
        {
            return (file, args);
        }

        var wrapped = new List<string> { "--reuid=" + user, "--regid=" + (group ?? Users.PrimaryGroup(user) ?? user), "--init-groups", "--", file };
        wrapped.AddRange(args);
        return (Users.SetPriv, wrapped);
    }

    /// <summary>
    /// keepalived's <c>enable_script_security</c> rule: a script run by root is unsafe when it, or any directory on
    /// its path, is writable by someone other than root (owned by a non-root user, group-writable with a non-root
    /// group, or world-writable). Returns the offending path, or null when safe.
    /// </summary>
    public static string? FindUnsafePath(string resolved)
    {
        var paths = new List<string>();
        for (var p = resolved; !string.IsNullOrEmpty(p); p = Path.GetDirectoryName(p))
        {
            paths.Add(p);
            if (p == "/")
            {
                break;
            }
        }

        string? childUid = null;
        foreach (var line in Users.Run("stat", ["-L", "-c", "%u %g %a %n", .. paths]).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', 4);
            if (parts.Length < 4)
            {
                continue;
            }

            var uid = parts[0];
            var gid = parts[1];
            var mode = Convert.ToInt32(parts[2], 8);
            var ownerWritable = (mode & 0x80) != 0;
            var groupWritable = (mode & 0x10) != 0;
            var otherWritable = (mode & 0x02) != 0;
            // A sticky directory (/tmp) lets others add entries but not replace root's: safe while the entry below is root's.
            var sticky = (mode & 0x200) != 0 && childUid == "0";
            if ((uid != "0" && ownerWritable) || (gid != "0" && groupWritable && !sticky) || (otherWritable && !sticky))
            {
                return parts[3];
            }

            childUid = uid;
        }

        return null;
    }
}

/// <summary>User look-ups through getent (NSS) and the util-linux <c>setpriv</c> used to switch user.</summary>
internal static class Users
{
    public static readonly string? SetPriv = new[] { "/usr/bin/setpriv", "/bin/setpriv" }.FirstOrDefault(File.Exists);

    public static bool IsRoot => Environment.UserName == "root" || Run("id", ["-u"]).Trim() == "0";

    public static bool Exists(string user) => Run("getent", ["passwd", user]).Length > 0;

    public static string? PrimaryGroup(string user)
    {
        var entry = Run("getent", ["passwd", user]).Split(':');
        if (entry.Length < 4)
        {
            return null;
        }

        var group = Run("getent", ["group", entry[3].Trim()]).Split(':');
        return group.Length > 0 && group[0].Length > 0 ? group[0] : entry[3].Trim();
    }

    public static bool GroupExists(string group) => Run("getent", ["group", group]).Length > 0;

    /// <summary>Runs a small helper and returns its stdout ("" when it fails or is missing).</summary>
    public static string Run(string file, IEnumerable<string> args)
    {
        try
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }

            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(10_000))
            {
                p.Kill(entireProcessTree: true);
                return "";
            }

            return output.Result;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "";
        }
    }
}
