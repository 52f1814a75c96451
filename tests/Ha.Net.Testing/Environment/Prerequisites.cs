using System.Collections.Concurrent;
using Xunit;

namespace Ha.Net.Testing.Environment;

/// <summary>
/// Checks what a test needs from the machine: root, network namespaces (CAP_NET_ADMIN), a command
/// on the PATH (keepalived, haproxy, nginx, postfix, ...). Results are cached per process.
/// </summary>
/// <remarks>
/// Requirement strings: <c>root</c>, <c>netns</c> (can create and delete a network namespace),
/// <c>cmd:NAME</c> (an executable NAME in PATH, /usr/sbin or /sbin).
/// On CI (<c>CI=true</c>) nothing is skipped: CI has root and installs the packages, so a missing
/// prerequisite there must fail the test rather than hide it.
/// </remarks>
public static class Prerequisites
{
    private static readonly ConcurrentDictionary<string, string?> Cache = new(StringComparer.Ordinal);

    /// <summary>Whether this is a CI run (environment variable CI=true).</summary>
    public static bool IsCi => string.Equals(System.Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Returns why the requirements are not met (first unmet one), or <see langword="null"/> when all are.</summary>
    public static string? Unmet(params string[] requirements)
    {
        foreach (var requirement in requirements)
        {
            var reason = Cache.GetOrAdd(requirement, Check);
            if (reason is not null)
            {
                return reason;
            }
        }

        return null;
    }

    /// <summary>Finds an executable by name in PATH, /usr/sbin, /sbin; <see langword="null"/> when absent.</summary>
    public static string? FindExecutable(string name)
    {
        var dirs = (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/local/bin"]);
        foreach (var dir in dirs)
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    private static string? Check(string requirement)
    {
        if (requirement == "root")
        {
            return System.Environment.UserName == "root" || GetEuid() == 0 ? null : "needs root";
        }

        if (requirement == "netns")
        {
            return CanCreateNetworkNamespace();
        }

        if (requirement.StartsWith("cmd:", StringComparison.Ordinal))
        {
            var name = requirement[4..];
            return FindExecutable(name) is null ? $"needs '{name}' installed (./test.sh installs it as root)" : null;
        }

        throw new ArgumentException($"Unknown test requirement '{requirement}'.", nameof(requirement));
    }

    private static uint GetEuid()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    return uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return uint.MaxValue;
    }

    private static string? CanCreateNetworkNamespace()
    {
        if (FindExecutable("ip") is null)
        {
            return "needs iproute2 ('ip')";
        }

        var name = "hnprobe" + Random.Shared.Next(100000, 999999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (code, stdout, stderr) = ProcessRunner.TryRun("ip", $"netns add {name}");
        if (code != 0)
        {
            return $"cannot create network namespaces (CAP_NET_ADMIN): {stderr.Trim()}{stdout.Trim()}";
        }

        ProcessRunner.TryRun("ip", $"netns del {name}");
        return null;
    }
}

/// <summary>
/// A fact that is skipped, with the reason shown, when the machine lacks what it needs
/// (see <see cref="Prerequisites"/>); never skipped on CI.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresFactAttribute : FactAttribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="requirements">Requirement strings: <c>root</c>, <c>netns</c>, <c>cmd:NAME</c>.</param>
    public RequiresFactAttribute(params string[] requirements)
    {
        if (!Prerequisites.IsCi && Prerequisites.Unmet(requirements) is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>The <see cref="TheoryAttribute"/> twin of <see cref="RequiresFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresTheoryAttribute : TheoryAttribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="requirements">Requirement strings: <c>root</c>, <c>netns</c>, <c>cmd:NAME</c>.</param>
    public RequiresTheoryAttribute(params string[] requirements)
    {
        if (!Prerequisites.IsCi && Prerequisites.Unmet(requirements) is { } reason)
        {
            Skip = reason;
        }
    }
}
