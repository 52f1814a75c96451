using Ha.Net.Vrrp.Keepalived;

namespace Ha.Net.Vrrp.Tests.Configuration.Keepalived;

/// <summary>
/// U+00A0 NO-BREAK SPACE (#15 item 3): keepalived 2.2.7 splits words at " \t\f\n\r\v" only, so the two bytes C2 A0 are
/// part of a word: "Unknown keyword '\xc2\xa0'" before a keyword, "invalid number '101\xc2\xa0'" after a value.
/// </summary>
public sealed class KeepalivedNoBreakSpaceTests
{
    private const string Nbsp = "\u00A0";

    private static string Instance(string extra) =>
        $"vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n{extra}\n virtual_ipaddress {{\n  198.18.0.10\n }}\n}}\n";

    private static KeepalivedConfigResult Parse(string text) => KeepalivedConfigReader.Parse(text, "/nonexistent-hanet/keepalived.conf");

    [Theory]
    [InlineData(Nbsp + " priority 101", "<U+00A0>")]
    [InlineData(" priority" + Nbsp + "101", "priority<U+00A0>101")]
    public void NoBreakSpaceInOrBeforeTheKeyword_MakesAnUnknownKeyword_AtItsLine(string line, string keyword)
    {
        var result = Parse(Instance(line));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var warning = Assert.Single(result.Warnings);
        Assert.Equal(4, warning.Location.Line);
        Assert.StartsWith($"unknown directive '{keyword}' in vrrp_instance 'VI_1'; ignored", warning.Message, StringComparison.Ordinal);
        Assert.Contains("U+00A0 NO-BREAK SPACE", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Nbsp, warning.Message, StringComparison.Ordinal);
        Assert.Equal(100, result.Config!.Instances[0].Priority); // the line was not read
    }

    [Fact]
    public void NoBreakSpaceAfterAValue_MakesTheValueInvalid()
    {
        var result = Parse(Instance(" priority 101" + Nbsp));

        var error = Assert.Single(result.Errors);
        Assert.Equal(("priority", 4), (error.Directive, error.Location.Line));
        Assert.StartsWith("'priority' must be an integer between 1 and 255, got '101<U+00A0>'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoBreakSpaceInsideQuotes_IsPartOfTheString()
    {
        var vi = Parse(Instance(" notify_master \"/bin/echo" + Nbsp + "x\"")).Config!.Instances[0];

        Assert.Equal("/bin/echo" + Nbsp + "x", vi.NotifyMaster!.Command);
    }
}
