using System.Net.Http.Headers;
using System.Text;

namespace Ha.Net.Samples.Demo.Mail;

/// <summary>
/// Child mode <c>hanet-demo stats URL USER:PASSWORD</c> (run in the client namespace): reads the stats page's CSV
/// (HAProxy's <c>&lt;uri&gt;;csv</c>) over TLS with basic auth, as the seed's operators use it from a browser, and
/// prints <c>STATS proxy/server=status ...</c>. The certificate is the demo's self-signed one: not verified.
/// </summary>
internal static class StatsPage
{
    public static async Task<int> RunChildAsync(string[] args)
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Get, args[1]);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(args[2])));
        try
        {
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                Console.WriteLine($"STATS error=HTTP_{(int)response.StatusCode}");
                return 1;
            }

            var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var header = lines.FirstOrDefault(l => l.StartsWith('#'))?.TrimStart('#', ' ').Split(',') ?? [];
            var status = Array.IndexOf(header, "status");
            if (status < 2)
            {
                Console.WriteLine("STATS error=no_status_column");
                return 1;
            }

            var rows = lines.Where(l => !l.StartsWith('#')).Select(l => l.Split(','))
                .Where(f => f.Length > status && f[1] != "FRONTEND")
                .Select(f => $"{f[0]}/{f[1]}={f[status]}");
            Console.WriteLine("STATS " + string.Join(' ', rows));
            return 0;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Console.WriteLine($"STATS error={ex.GetType().Name}:{ex.Message.Replace(' ', '_')}");
            return 1;
        }
    }
}
