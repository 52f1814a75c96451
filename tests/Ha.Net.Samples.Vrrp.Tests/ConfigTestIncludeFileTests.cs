namespace Ha.Net.Samples.Vrrp.Tests;

/// <summary>
/// <c>hanet-vrrpd -t</c> and what it opens (#15 item 2): an include of /dev/zero used to read until the process ran
/// out of memory (exit 134); keepalived 2.2.7 skips it ("is not a regular non-executable file - skipping").
/// </summary>
public sealed class ConfigTestIncludeFileTests : IDisposable
{
    private static string Instance => HostInterface.Instance;

    private readonly string _dir = Directory.CreateTempSubdirectory("hanet-vrrpd-inc-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Include_of_dev_zero_is_skipped_like_keepalived()
    {
        var path = Write("zero.conf", "include /dev/zero\n" + Instance);

        var (code, stdout, stderr) = VrrpDaemon.Run("-t", "-f", path);

        Assert.True(code == 0, $"exit {code}\n{stderr}");
        Assert.Contains($"{path}:1: warning: Configuration file '/dev/zero' is not a regular non-executable file - skipping", stderr, StringComparison.Ordinal);
        Assert.Contains("is valid (1 vrrp_instance(s)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_bigger_than_16_MiB_is_refused_naming_the_file()
    {
        var big = Path.Combine(_dir, "big.conf");
        using (var stream = File.Create(big))
        {
            stream.SetLength((16L * 1024 * 1024) + 1);
        }

        var path = Write("main.conf", Instance + "include big.conf\n");

        var (code, _, stderr) = VrrpDaemon.Run("-t", "-f", path);

        Assert.NotEqual(0, code);
        Assert.Contains($"{path}:8: error: ", stderr, StringComparison.Ordinal);
        Assert.Contains($"'{big}' is bigger than 16 MiB", stderr, StringComparison.Ordinal);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
