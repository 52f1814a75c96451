namespace Ha.Net.Samples.Vrrp.Tests;

/// <summary>
/// The auth_pass of keepalived.conf never reaches hanet-vrrpd's output (#15 item 4): keepalived 2.2.7 prints only
/// "Truncating auth_pass to 8 characters" (vrrp_parser.c vrrp_auth_pass_handler), at every start.
/// </summary>
public sealed class ConfigTestSecretTests : IDisposable
{
    private const string Password = "S3cr3tPassw0rd";

    private readonly string _dir = Directory.CreateTempSubdirectory("hanet-vrrpd-secret-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("auth_pass " + Password)]
    [InlineData("auth_pass " + Password + " " + Password + "2")]
    public void Auth_pass_appears_in_no_output_of_the_configuration_test(string authPassLine)
    {
        var path = Path.Combine(_dir, "auth.conf");
        File.WriteAllText(path, $"vrrp_instance VI_1 {{\n  interface {HostInterface.Name}\n  virtual_router_id 51\n  authentication {{\n    auth_type PASS\n    {authPassLine}\n  }}\n  virtual_ipaddress {{\n    198.18.0.100\n  }}\n}}\n");

        var (_, stdout, stderr) = VrrpDaemon.Run("-t", "-f", path);

        Assert.Contains($"{path}:6: warning: Truncating auth_pass to 8 characters", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Password[..8], stdout + stderr, StringComparison.Ordinal);
    }
}
