using Ha.Net.HealthChecks;

namespace Ha.Net.HealthChecks.Tests;

public class CheckResultTests
{
    [Theory]
    [InlineData(CheckStatus.L4Ok, "L4OK", true, CheckLayer.L4)]
    [InlineData(CheckStatus.L4Timeout, "L4TOUT", false, CheckLayer.L4)]
    [InlineData(CheckStatus.L4ConnectionError, "L4CON", false, CheckLayer.L4)]
    [InlineData(CheckStatus.L7Ok, "L7OK", true, CheckLayer.L7)]
    [InlineData(CheckStatus.L7Status, "L7STS", false, CheckLayer.L7)]
    [InlineData(CheckStatus.L7Response, "L7RSP", false, CheckLayer.L7)]
    [InlineData(CheckStatus.ProcessTimeout, "PROCTOUT", false, CheckLayer.Process)]
    [InlineData(CheckStatus.Unknown, "INI", false, CheckLayer.None)]
    public void Status_MapsToHaproxyNameLayerAndVerdict(CheckStatus status, string name, bool passed, CheckLayer layer)
    {
        var result = new CheckResult(status, null, null, TimeSpan.FromMilliseconds(3));
        Assert.Equal(name, result.HaproxyStatusName);
        Assert.Equal(passed, result.Passed);
        Assert.Equal(layer, result.Layer);
    }

    [Fact]
    public void ToString_ShowsStatusCodeDurationAndText()
    {
        var result = new CheckResult(CheckStatus.L7Status, 554, "no service", TimeSpan.FromMilliseconds(12));
        Assert.Equal("L7STS 554 in 12ms: no service", result.ToString());
    }
}
