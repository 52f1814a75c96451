using Ha.Net.Vrrp.Keepalived;

namespace Ha.Net.Vrrp.Tests.Configuration.Keepalived;

/// <summary>
/// auth_pass never reaches a diagnostic (#15 item 4): keepalived 2.2.7 (vrrp_parser.c vrrp_auth_pass_handler) logs only
/// "Truncating auth_pass to 8 characters", at every start, so the warning must not carry the password either.
/// </summary>
public sealed class KeepalivedSecretTests
{
    private const string Password = "S3cr3tPassw0rd";

    private static string Config(string authPassLine) => $$"""
        vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
            authentication {
                auth_type PASS
                {{authPassLine}}
            }
            virtual_ipaddress {
                198.18.0.10
            }
        }
        """;

    [Theory]
    [InlineData("auth_pass " + Password)]
    [InlineData("auth_pass \"" + Password + "\"")]
    [InlineData("auth_pass " + Password + " " + Password + "2")]
    [InlineData("auth_pass " + Password + " Xtra9word")]
    public void TheConfiguredPassword_AppearsInNoDiagnostic(string authPassLine)
    {
        var result = KeepalivedConfigReader.Parse(Config(authPassLine), "/nonexistent-hanet/keepalived.conf");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(Password[..8], result.Config!.Instances[0].Authentication!.Password);
        var mapping = KeepalivedConfigMapper.ToVirtualRouterOptions(result.Config);
        var all = result.Diagnostics.Concat(mapping.Diagnostics).ToList();
        Assert.Contains(all, d => d.Message == "Truncating auth_pass to 8 characters" && d.Location.Line == 6);
        Assert.All(all, d =>
        {
            Assert.DoesNotContain(Password[..8], d.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("Xtra9word", d.ToString(), StringComparison.Ordinal);
        });
    }

    /// <summary>A line run together with the next (found by the fuzzer: a mutant joined a whole file into one line)
    /// carries <c>auth_pass</c> and its password into another keyword's extra parameters; the warning that quotes
    /// them names the keyword but hides the password.</summary>
    [Fact]
    public void APasswordRunIntoAnotherKeywordsExtraParameters_IsHidden()
    {
        var result = KeepalivedConfigReader.Parse(
            "global_defs {\n    notification_email_from a@example.com auth_type PASS auth_pass " + Password + " interval 2\n}\n",
            "/nonexistent-hanet/keepalived.conf");

        var warning = Assert.Single(result.Diagnostics, d => d.Message.Contains("extra parameter(s)", StringComparison.Ordinal));
        Assert.Contains("auth_pass (hidden) interval 2", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, warning.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Found by the suite-wide secret check on a hanet-vrrpd -t fuzz mutant: a one-line file whose
    /// <c>track_script</c> swallowed the rest of the instance, authentication included, quoted the password in
    /// "does not name a vrrp_script". Any finding quoting <c>auth_pass</c> and a word hides the word.</summary>
    [Fact]
    public void APasswordSwallowedIntoAQuotedName_IsHidden_InEveryFinding()
    {
        var result = KeepalivedConfigReader.Parse(
            "vrrp_instance VI_1 { interface eth0 virtual_router_id 51 track_script { weight 20 } authentication { auth_type PASS auth_pass "
                + Password + " } virtual_ipaddress { 198.18.0.10 } }\n",
            "/nonexistent-hanet/keepalived.conf");
        var mapped = result.Config is { } config ? KeepalivedConfigMapper.ToVirtualRouterOptions(config).Diagnostics : [];

        var all = result.Diagnostics.Concat(mapped).ToList();
        Assert.NotEmpty(all);
        Assert.All(all, d => Assert.DoesNotContain(Password[..8], d.ToString(), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("'x': extra parameter(s) 'auth_pass " + Password + " y' ignored", "'x': extra parameter(s) 'auth_pass (hidden) y' ignored")]
    [InlineData("name 'a auth_pass \"" + Password + " b\" c' unknown", "name 'a auth_pass (hidden) c' unknown")]
    [InlineData("Truncating auth_pass to 8 characters", "Truncating auth_pass to 8 characters")]
    public void TheWordAfterAuthPass_IsHiddenInAnyMessage(string message, string shown)
    {
        var d = new KeepalivedDiagnostic(KeepalivedDiagnosticSeverity.Warning, new KeepalivedSourceLine("/k.conf", 1), null, message);
        Assert.Equal(shown, d.Message);
    }
}
