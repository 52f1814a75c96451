using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Ha.Net.Testing.Environment;

namespace Ha.Net.ProxyDaemon.Tests;

/// <summary>
/// Debian's headless chromium driven over the DevTools protocol (CDP JSON over a WebSocket): started with
/// --remote-debugging-port=0 and a temporary profile, killed and cleaned up on dispose.
/// </summary>
internal sealed class Chromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly Channel<JsonObject> _events = Channel.CreateUnbounded<JsonObject>();
    private readonly Dictionary<int, TaskCompletionSource<JsonObject>> _pending = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly StringBuilder _stderr = new();
    private Task _receiveLoop = Task.CompletedTask;
    private int _nextId;

    private Chromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    public static async Task<Chromium> StartAsync()
    {
        var exe = Prerequisites.FindExecutable("chromium") ?? throw new InvalidOperationException("chromium not found");
        var profile = Directory.CreateTempSubdirectory("hanet-proxyd-chromium-").FullName;
        var info = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                     "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", $"--user-data-dir={profile}", "about:blank",
                 })
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info)!;
        var chromium = new Chromium(process, profile);
        try
        {
            var browserUrl = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }

                lock (chromium._gate)
                {
                    chromium._stderr.AppendLine(e.Data);
                }

                const string marker = "DevTools listening on ";
                var at = e.Data.IndexOf(marker, StringComparison.Ordinal);
                if (at >= 0)
                {
                    browserUrl.TrySetResult(e.Data[(at + marker.Length)..].Trim());
                }
            };
            process.OutputDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            var url = await browserUrl.Task.WaitAsync(TimeSpan.FromSeconds(60));

            // The page target of about:blank: GET http://host:port/json/list.
            var port = new Uri(url).Port;
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
            string? pageSocket = null;
            for (var i = 0; i < 100 && pageSocket is null; i++)
            {
                var list = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/json/list")))!.AsArray();
                pageSocket = list.FirstOrDefault(t => (string?)t!["type"] == "page")?["webSocketDebuggerUrl"]?.GetValue<string>();
                if (pageSocket is null)
                {
                    await Task.Delay(100);
                }
            }

            using var connect = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await chromium._socket.ConnectAsync(new Uri(pageSocket ?? throw new InvalidOperationException("no page target")), connect.Token);
            chromium._receiveLoop = chromium.ReceiveLoopAsync();
            return chromium;
        }
        catch
        {
            await chromium.DisposeAsync();
            throw;
        }
    }

    public string StdErr
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Sends a CDP command and returns its result (throws on a CDP error); bounded at 30 s.</summary>
    public async Task<JsonObject> SendAsync(string method, JsonObject? parameters = null)
    {
        var tcs = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        int id;
        lock (_gate)
        {
            id = ++_nextId;
            _pending[id] = tcs;
        }

        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, cts.Token);
        var response = await tcs.Task.WaitAsync(TimeSpan.FromSeconds(30));
        if (response["error"] is { } error)
        {
            throw new InvalidOperationException($"CDP {method} failed: {error.ToJsonString()}");
        }

        return response["result"]?.AsObject() ?? new JsonObject();
    }

    /// <summary>Waits (bounded) for the next event with that name, dropping others.</summary>
    public async Task<JsonObject> WaitEventAsync(string method, TimeSpan bound)
    {
        using var cts = new CancellationTokenSource(bound);
        while (true)
        {
            var e = await _events.Reader.ReadAsync(cts.Token);
            if ((string?)e["method"] == method)
            {
                return e;
            }
        }
    }

    /// <summary>Drops events received so far.</summary>
    public void ClearEvents()
    {
        while (_events.Reader.TryRead(out _))
        {
        }
    }

    /// <summary>Evaluates a JavaScript expression in the page and returns its value as JSON.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true });
        if (result["exceptionDetails"] is { } ex)
        {
            throw new InvalidOperationException($"evaluate '{expression}' threw: {ex.ToJsonString()}");
        }

        return result["result"]?["value"]?.DeepClone();
    }

    /// <summary>Navigates and waits (bounded) for the load event.</summary>
    public async Task NavigateAsync(string url)
    {
        ClearEvents();
        var result = await SendAsync("Page.navigate", new JsonObject { ["url"] = url });
        if (result["errorText"] is { } error)
        {
            throw new InvalidOperationException($"navigate {url}: {error}");
        }

        await WaitEventAsync("Page.loadEventFired", TimeSpan.FromSeconds(30));
    }

    /// <summary>Polls a JavaScript condition until it is true (bounded).</summary>
    public async Task WaitUntilAsync(string condition, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (true)
        {
            JsonNode? value = null;
            try
            {
                value = await EvaluateAsync($"!!({condition})");
            }
            catch (InvalidOperationException)
            {
                // The page is being replaced; try again.
            }

            if (value?.GetValue<bool>() == true)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"'{condition}' not true within {bound}; page: {await EvaluateAsync("location.href + ' ' + document.title")}");
            }

            await Task.Delay(100);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var r = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, r.Count);
                if (!r.EndOfMessage)
                {
                    continue;
                }

                var json = JsonNode.Parse(message.ToArray())!.AsObject();
                message.SetLength(0);
                if (json["id"] is { } idNode)
                {
                    TaskCompletionSource<JsonObject>? tcs;
                    lock (_gate)
                    {
                        _pending.Remove(idNode.GetValue<int>(), out tcs);
                    }

                    tcs?.TrySetResult(json);
                }
                else
                {
                    _events.Writer.TryWrite(json);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or JsonException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Abort();
        _socket.Dispose();
        await _receiveLoop;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await _process.WaitForExitAsync(cts.Token);
            }
        }
        finally
        {
            _process.Dispose();
            try
            {
                Directory.Delete(_profile, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }

            _stop.Dispose();
        }
    }
}
