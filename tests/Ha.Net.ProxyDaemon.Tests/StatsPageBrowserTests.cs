using System.Text;
using System.Text.Json.Nodes;
using Ha.Net.Testing.Environment;

namespace Ha.Net.ProxyDaemon.Tests;

/// <summary>Seed 000's use of the stats page: an operator drains a server from a browser.</summary>
public sealed class StatsPageBrowserTests
{
    [RequiresFact("cmd:chromium")]
    public async Task HeadlessChromium_LogsIn_DrainsAServer_NewMailStopsGoingThere()
    {
        await using var setup = await Seed000Setup.StartAsync();
        await using var browser = await Chromium.StartAsync();
        await browser.SendAsync("Page.enable");
        await browser.SendAsync("Network.enable");

        // Without credentials: the 401 Basic challenge; headless chromium has no dialog to answer it.
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => browser.NavigateAsync(setup.StatsUrl()));
        Assert.Contains("ERR_INVALID_AUTH_CREDENTIALS", refused.Message, StringComparison.Ordinal);

        // Log in with basic auth (the Authorization header on every request, the form POST included).
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Seed000Setup.User}:{Seed000Setup.Password}"));
        await browser.SendAsync("Network.setExtraHTTPHeaders", new JsonObject { ["headers"] = new JsonObject { ["Authorization"] = "Basic " + credentials } });
        await browser.NavigateAsync(setup.StatsUrl());
        await browser.WaitUntilAsync("document.readyState == 'complete' && document.getElementById('form-emailservice')", TimeSpan.FromSeconds(30));
        Assert.Equal("Statistics Report for HAProxy", (string?)await browser.EvaluateAsync("document.title"));
        var before = await FakeSmtp.BannersAsync(setup.SmtpPort, 4);
        Assert.Contains("dc1server01", before);

        // Tick dc1server01, choose "Set state to DRAIN", press Apply — as an operator does.
        await browser.EvaluateAsync("document.getElementById('cb-emailservice-dc1server01').click()");
        await browser.EvaluateAsync("""
            (() => { const s = document.getElementById('action-emailservice'); s.value = 'drain';
                     s.dispatchEvent(new Event('change', { bubbles: true })); return s.value; })()
            """);
        await browser.EvaluateAsync("document.querySelector('#form-emailservice input[type=submit]').click()");
        await browser.WaitUntilAsync("location.href.endsWith(';st=DONE') && document.readyState == 'complete' && document.getElementById('status')", TimeSpan.FromSeconds(30));

        // The page comes back (303 → ;st=DONE) saying so, and shows the server DRAIN.
        Assert.Equal("DONE", (string?)await browser.EvaluateAsync("document.getElementById('status')?.dataset.status"));
        Assert.Equal("active_draining", (string?)await browser.EvaluateAsync(
            "document.getElementById('cb-emailservice-dc1server01').closest('tr').className"));
        Assert.Equal("DRAIN", await setup.StatusAsync("dc1server01"));
        Assert.All(await FakeSmtp.BannersAsync(setup.SmtpPort, 6), n => Assert.Equal("dc1server02", n));

        // Back to ready from the page.
        await browser.EvaluateAsync("document.getElementById('cb-emailservice-dc1server01').click()");
        await browser.EvaluateAsync("document.getElementById('action-emailservice').value = 'ready'");
        await browser.EvaluateAsync("document.getElementById('status').remove()");
        await browser.EvaluateAsync("document.querySelector('#form-emailservice input[type=submit]').click()");
        await browser.WaitUntilAsync("document.readyState == 'complete' && document.getElementById('status')", TimeSpan.FromSeconds(30));
        Assert.Equal("DONE", (string?)await browser.EvaluateAsync("document.getElementById('status').dataset.status"));
        Assert.Equal("UP", await setup.StatusAsync("dc1server01"));
        Assert.Contains("dc1server01", await FakeSmtp.BannersAsync(setup.SmtpPort, 4));
    }
}
