namespace Ha.Net.Samples.Vrrp.Tests;

/// <summary>
/// <c>hanet-vrrpd -t</c> on names defined twice and include loops (#15 item 1): it used to abort with an unhandled
/// ArgumentException (exit 134); keepalived 2.2.7 says "vrrp instance VI_1 already defined" at the second definition.
/// </summary>
public sealed class ConfigTestDuplicateTests : IDisposable
{
    private const string Instance = "vrrp_instance VI_1 {\n  interface vd0\n  virtual_router_id 51\n  virtual_ipaddress {\n    198.18.0.100\n  }\n}\n";

    private readonly string _dir = Directory.CreateTempSubdirectory("hanet-vrrpd-dup-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Instance_defined_twice_is_refused_at_the_second_definition_without_aborting()
    {
        var path = Write("dup.conf", Instance + Instance.Replace("51", "52", StringComparison.Ordinal));

        var (code, stdout, stderr) = VrrpDaemon.Run("-t", "-f", path);

        Assert.DoesNotContain("Unhandled exception", stderr, StringComparison.Ordinal);
        Assert.NotEqual(134, code);
        Assert.NotEqual(0, code);
        Assert.Contains($"{path}:8: error: vrrp instance VI_1 already defined", stderr, StringComparison.Ordinal);
        Assert.Contains("refused", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("is valid", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Self_including_file_terminates_with_an_error_at_its_include_line()
    {
        var path = Write("self.conf", "include self.conf\n" + Instance);

        var (code, _, stderr) = VrrpDaemon.Run("-t", "-f", path);

        Assert.DoesNotContain("Unhandled exception", stderr, StringComparison.Ordinal);
        Assert.NotEqual(134, code);
        Assert.NotEqual(0, code);
        Assert.Contains($"{path}:1: error: 'include self.conf'", stderr, StringComparison.Ordinal);
        Assert.Contains("include loop", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("already defined", stderr, StringComparison.Ordinal);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
