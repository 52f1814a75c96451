using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ha.Net.Testing.Environment;

namespace Ha.Net.Testing.HealthChecks;

/// <summary>
/// A private nginx (Debian's package) in the foreground with its own prefix, config, logs and temp
/// paths in a temp directory, on 127.0.0.1 spare ports: <see cref="Http"/> and <see cref="Https"/>
/// (a self-signed certificate for <c>hanet-test.local</c>, see <see cref="Certificate"/>).
/// Locations: <c>/health</c> 200 "OK healthy", <c>/down</c> 503, <c>/redirect</c> 302,
/// <c>/missing</c> 404, <c>/big</c> a 64 KiB file ending in "TAIL".
/// </summary>
public sealed class NginxInstance : IDisposable
{
    private readonly Process _process;

    private NginxInstance(string directory, Process process, int http, int https, X509Certificate2 certificate)
    {
        Directory = directory;
        _process = process;
        Http = new IPEndPoint(IPAddress.Loopback, http);
        Https = new IPEndPoint(IPAddress.Loopback, https);
        Certificate = certificate;
    }

    /// <summary>The TLS server name of the certificate.</summary>
    public const string TlsName = "hanet-test.local";

    /// <summary>The instance directory.</summary>
    public string Directory { get; }

    /// <summary>Plain HTTP.</summary>
    public IPEndPoint Http { get; }

    /// <summary>HTTPS with the self-signed certificate.</summary>
    public IPEndPoint Https { get; }

    /// <summary>The server's certificate (for pinning in tests).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>nginx's access log so far.</summary>
    public string AccessLog => File.Exists(Path.Combine(Directory, "access.log")) ? File.ReadAllText(Path.Combine(Directory, "access.log")) : "";

    /// <summary>Writes the configuration and starts nginx (<c>daemon off</c>), waiting until it listens.</summary>
    public static async Task<NginxInstance> StartAsync()
    {
        var nginx = Prerequisites.FindExecutable("nginx") ?? throw new InvalidOperationException("nginx is not installed");
        var dir = System.IO.Directory.CreateTempSubdirectory("hanet-health-nginx-").FullName;
        SparePort.Chmod(dir, (UnixFileMode)0b111_101_101);
        var http = SparePort.Next();
        var https = SparePort.Next();
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={TlsName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(TlsName);
        request.CertificateExtensions.Add(san.Build());
        var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        File.WriteAllText(Path.Combine(dir, "cert.pem"), cert.ExportCertificatePem());
        File.WriteAllText(Path.Combine(dir, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        var www = System.IO.Directory.CreateDirectory(Path.Combine(dir, "www")).FullName;
        SparePort.Chmod(www, (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(www, "big"), new string('x', 65536 - 5) + "TAIL\n");
        SparePort.Chmod(Path.Combine(www, "big"), (UnixFileMode)0b110_100_100);
        File.WriteAllText(Path.Combine(dir, "nginx.conf"), $$"""
            worker_processes 1;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/error.log;
            events { worker_connections 256; }
            http {
                access_log {{dir}}/access.log;
                client_body_temp_path {{dir}}/client_body;
                proxy_temp_path {{dir}}/proxy;
                fastcgi_temp_path {{dir}}/fastcgi;
                uwsgi_temp_path {{dir}}/uwsgi;
                scgi_temp_path {{dir}}/scgi;
                default_type text/plain;
                server {
                    listen 127.0.0.1:{{http}};
                    server_name {{TlsName}};
                    location = /health { return 200 "OK healthy\n"; }
                    location = /down { return 503 "down for maintenance\n"; }
                    location = /redirect { return 302 /health; }
                    location = /big { root {{www}}; }
                    location / { return 404 "not here\n"; }
                }
                server {
                    listen 127.0.0.1:{{https}} ssl;
                    server_name {{TlsName}};
                    ssl_certificate {{dir}}/cert.pem;
                    ssl_certificate_key {{dir}}/key.pem;
                    location = /health { return 200 "OK tls\n"; }
                }
            }
            """);
        var process = Process.Start(new ProcessStartInfo(nginx)
        {
            ArgumentList = { "-p", dir, "-c", Path.Combine(dir, "nginx.conf"), "-g", "daemon off;" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        var instance = new NginxInstance(dir, process, http, https, cert);
        try
        {
            await SparePort.WaitListeningAsync(http, TimeSpan.FromSeconds(30));
            await SparePort.WaitListeningAsync(https, TimeSpan.FromSeconds(30));
            return instance;
        }
        catch
        {
            instance.Dispose();
            throw;
        }
    }

    /// <summary>Stops nginx and deletes the directory.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(30_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        Certificate.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
