using System.Globalization;

namespace Ha.Net.ProxyDaemon.Tests;

/// <summary>#15 item 5: <c>stats socket … user U group G</c> sets the socket's owner, as HAProxy's bind options do.</summary>
public sealed class StatsSocketOwnerTests
{
    [Fact]
    public async Task UserAndGroup_OwnTheUnixSocket_WithItsMode()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            return; // only root can give a file away
        }

        await using var setup = await Seed000Setup.StartAsync(editConfig: c => c.Replace(" mode 600 level admin", " mode 660 user nobody group nogroup level admin", StringComparison.Ordinal));
        var owner = Ha.Net.Testing.Environment.ProcessRunner.Run("stat", $"-c %u:%g:%a {setup.SocketPath}").Trim();
        Assert.Equal($"{Id("/etc/passwd", "nobody")}:{Id("/etc/group", "nogroup")}:660", owner);

        // Still served.
        Assert.Contains("Name: Ha.Net", await setup.SocketCommandAsync("show info"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownUser_IsRefusedAtItsLine()
    {
        var dir = Directory.CreateTempSubdirectory("hanet-proxyd-c-");
        try
        {
            var cfg = Path.Combine(dir.FullName, "haproxy.cfg");
            await File.WriteAllTextAsync(cfg, Seed000Setup.Config(Path.Combine(dir.FullName, "s"), 9000, 2525, 2526, 2527)
                .Replace(" mode 600 level admin", " mode 600 user no-such-user-here level admin", StringComparison.Ordinal));
            var (code, _, stderr) = await ProxyDaemon.RunToEndAsync("-c", "-f", cfg);
            Assert.NotEqual(0, code);
            Assert.Contains("unknown user name 'no-such-user-here'", stderr, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static int Id(string database, string name) =>
        int.Parse(File.ReadLines(database).Select(l => l.Split(':')).First(f => f[0] == name)[2], CultureInfo.InvariantCulture);
}
