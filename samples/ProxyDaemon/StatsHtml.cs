using System.Globalization;
using System.Net;
using System.Text;
using Ha.Net.Proxy.Haproxy;
using Ha.Net.Proxy.Stats;

namespace Ha.Net.Samples.ProxyDaemon;

/// <summary>HAProxy's HTML statistics report: one table per proxy (frontend, servers, backend).</summary>
internal static class StatsHtml
{
    private const string Style = """
        body { font-family: arial, helvetica, sans-serif; font-size: 12px; font-weight: normal; color: black; background: white; }
        th, td { font-size: 10px; }
        h1 { font-size: x-large; margin-bottom: 0.5em; }
        h2 { font-family: helvetica, arial; font-size: x-large; font-weight: bold; font-style: italic; color: #6020a0; margin-top: 0em; margin-bottom: 0em; }
        table.tbl { border-collapse: collapse; border-style: none; }
        table.tbl td { text-align: right; border-width: 1px 1px 1px 1px; border-style: solid solid solid solid; padding: 2px 3px; border-color: gray; white-space: nowrap; }
        table.tbl th { border-width: 1px; border-style: solid solid solid solid; border-color: gray; }
        th.pxname { background: #b00040; color: #ffff40; font-weight: bold; border-style: solid solid none solid; padding: 2px 3px; white-space: nowrap; }
        .titre { background: #20D0D0; color: #000000; font-weight: bold; text-align: center; }
        .frontend { background: #e8e8d0; }
        .backend { background: #e8e8d0; }
        .active_up { background: #c0ffc0; }
        .active_down { background: #ff9090; }
        .active_draining { background: #20a0FF; }
        .maintain { background: #c07820; }
        .active_no_check { background: #e0e0e0; }
        .messages { background: #20D0D0; padding: 0.3em; }
        """;

    public static string Render(StatsPageConfig page, HaproxyRuntimeApi commands, bool admin, string? status, bool norefresh)
    {
        var stats = page.Stats;
        var rows = commands.Proxy.GetStats();
        var uptime = DateTimeOffset.UtcNow - commands.Started;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html><head><title>Statistics Report for HAProxy</title>\n");
        sb.Append("<meta http-equiv=\"content-type\" content=\"text/html; charset=iso-8859-1\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<style type=\"text/css\">{Style}</style></head>\n<body>");
        sb.Append(stats.HideVersion ? "<h1>Ha.Net</h1>\n" : $"<h1>Ha.Net</h1>\n<h2>Statistics Report for pid {Environment.ProcessId}</h2>\n<p>hanet-proxyd version {ProxyDaemon.Version}</p>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<p class=\"info\">pid = {Environment.ProcessId}; uptime = {(int)uptime.TotalDays}d {uptime.Hours}h{uptime.Minutes:00}m{uptime.Seconds:00}s; ");
        sb.Append(CultureInfo.InvariantCulture, $"maxconn = {commands.Options.MaxConnections}; current conns = {rows.Where(r => r.Type == StatsRowType.Frontend).Sum(r => r.CurrentSessions)}</p>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<ul><li><a href=\"{Html(stats.Uri)};csv\">CSV export</a></li>");
        if (stats.Refresh is not null)
        {
            sb.Append(norefresh
                ? $"<li><a href=\"{Html(stats.Uri)}\">Refresh now</a></li>"
                : $"<li><a href=\"{Html(stats.Uri)};norefresh\">Disable refresh</a></li>");
        }

        sb.Append("</ul>\n");
        if (status is not null)
        {
            var message = status switch
            {
                "DONE" => "Action processed successfully.",
                "PART" => "Action partially processed.",
                "NONE" => "Nothing has changed.",
                "DENY" => "Action denied.",
                "ERRP" => "Action not processed because of invalid parameters.",
                _ => "Unexpected result.",
            };
            sb.Append(CultureInfo.InvariantCulture, $"<p class=\"messages\" id=\"status\" data-status=\"{Html(status)}\">[<b>{Html(status)}</b>] {message}</p>\n");
        }

        foreach (var group in rows.GroupBy(r => r.ProxyName))
        {
            var list = group.ToList();
            var backendRow = list.FirstOrDefault(r => r.Type == StatsRowType.Backend);
            var servers = list.Where(r => r.Type == StatsRowType.Server).ToList();
            var withForm = admin && backendRow is not null && servers.Count > 0;
            if (withForm)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{Html(stats.Uri)}\" id=\"form-{Html(group.Key)}\">\n");
            }

            sb.Append("<table class=\"tbl\" width=\"100%\">\n");
            sb.Append(CultureInfo.InvariantCulture, $"<tr class=\"titre\"><th class=\"pxname\" width=\"10%\">{Html(group.Key)}</th><th class=\"empty\" width=\"90%\"></th></tr>\n");
            sb.Append("</table>\n<table class=\"tbl\" width=\"100%\">\n<tr class=\"titre\">");
            if (withForm)
            {
                sb.Append("<th rowspan=2 width=1></th>");
            }

            sb.Append("<th rowspan=2></th><th colspan=3>Queue</th><th colspan=3>Session rate</th><th colspan=4>Sessions</th><th colspan=2>Bytes</th>" +
                      "<th colspan=2>Errors</th><th colspan=2>Warnings</th><th colspan=8>Server</th></tr>\n<tr class=\"titre\">" +
                      "<th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th>" +
                      "<th>Cur</th><th>Max</th><th>Limit</th><th>Total</th>" +
                      "<th>In</th><th>Out</th><th>Conn</th><th>Resp</th><th>Retr</th><th>Redis</th>" +
                      "<th>Status</th><th>LastChk</th><th>Wght</th><th>Act</th><th>Bck</th><th>Chk</th><th>Dwn</th><th>Dwntme</th></tr>\n");
            foreach (var row in list.Where(r => r.Type == StatsRowType.Frontend))
            {
                AppendRow(sb, row, "frontend", "Frontend", withForm, checkbox: false);
            }

            foreach (var row in servers)
            {
                AppendRow(sb, row, ServerClass(row.Status), row.ServiceName, withForm, checkbox: true);
            }

            if (backendRow is not null)
            {
                AppendRow(sb, backendRow, "backend", "Backend", withForm, checkbox: false);
            }

            sb.Append("</table>\n");
            if (withForm)
            {
                sb.Append("Choose the action to perform on the checked servers : <select name=action id=\"action-")
                  .Append(Html(group.Key)).Append("\">")
                  .Append("<option value=\"\"></option>")
                  .Append("<option value=\"ready\">Set state to READY</option>")
                  .Append("<option value=\"drain\">Set state to DRAIN</option>")
                  .Append("<option value=\"maint\">Set state to MAINT</option>")
                  .Append("</select>")
                  .Append(CultureInfo.InvariantCulture, $"<input type=\"hidden\" name=\"b\" value=\"#{backendRow!.ProxyId}\">")
                  .Append("&nbsp;<input type=\"submit\" value=\"Apply\"></form>\n");
            }

            sb.Append("<p>\n");
        }

        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    private static string ServerClass(string status) => status switch
    {
        "MAINT" => "maintain",
        "DRAIN" => "active_draining",
        "no check" => "active_no_check",
        _ when status.StartsWith("DOWN", StringComparison.Ordinal) => "active_down",
        _ => "active_up",
    };

    // Index of the status cell in AppendRow's cells (after queue 3, session rate 3, sessions 4, bytes 2, errors 2, warnings 2).
    private const int StatusCell = 16;

    private static void AppendRow(StringBuilder sb, StatsRow row, string cssClass, string label, bool withForm, bool checkbox)
    {
        sb.Append(CultureInfo.InvariantCulture, $"<tr class=\"{cssClass}\">");
        if (withForm)
        {
            sb.Append(checkbox
                ? $"<td><input type=\"checkbox\" name=\"s\" value=\"{Html(row.ServiceName)}\" id=\"cb-{Html(row.ProxyName)}-{Html(row.ServiceName)}\"></td>"
                : "<td></td>");
        }

        var isServer = row.Type == StatsRowType.Server;
        var isFrontend = row.Type == StatsRowType.Frontend;
        var lastCheck = row.CheckStatus is null ? "" : $"{row.CheckStatus}{(row.CheckCode is { } c ? "/" + c.ToString(CultureInfo.InvariantCulture) : "")} in {row.CheckDurationMs ?? 0}ms";
        var statusText = row.Status;
        if (isServer && row.LastChangeSeconds is { } since)
        {
            statusText = $"{Duration(since)} {row.Status}";
        }

        var cells = new[]
        {
            isFrontend ? "" : N(row.QueueCurrent), isFrontend ? "" : N(row.QueueMax), isServer ? N(row.QueueLimit) : "",
            N(row.SessionRate), N(row.SessionRateMax), isFrontend && row.SessionRateLimit is > 0 ? N(row.SessionRateLimit) : "",
            N(row.CurrentSessions), N(row.MaxSessions), N(row.SessionLimit), N(row.TotalSessions),
            N(row.BytesIn), N(row.BytesOut),
            isFrontend ? "" : N(row.ConnectErrors), isFrontend ? "" : "0",
            isFrontend ? "" : N(row.Retries), isFrontend ? "" : N(row.Redispatches),
            statusText, lastCheck, N(row.Weight), isServer ? (row.Active == 1 ? "Y" : "-") : N(row.Active),
            isServer ? (row.Backup == 1 ? "Y" : "-") : N(row.Backup),
            N(row.CheckFailures), N(row.CheckDowns), row.DowntimeSeconds is { } d ? Duration(d) : "",
        };
        sb.Append(CultureInfo.InvariantCulture, $"<td class=\"ac\"><a name=\"{Html(row.ProxyName)}/{Html(label)}\"></a>{Html(label)}</td>");
        for (var i = 0; i < cells.Length; i++)
        {
            var cls = i == StatusCell ? " class=\"status\"" : "";
            sb.Append(CultureInfo.InvariantCulture, $"<td{cls}>{Html(cells[i])}</td>");
        }

        sb.Append("</tr>\n");
    }

    private static string N(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";

    private static string N(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";

    private static string Duration(long seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return t.TotalDays >= 1 ? $"{(int)t.TotalDays}d{t.Hours}h"
             : t.TotalHours >= 1 ? $"{t.Hours}h{t.Minutes}m"
             : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds}s"
             : $"{t.Seconds}s";
    }

    private static string Html(string text) => WebUtility.HtmlEncode(text);
}
