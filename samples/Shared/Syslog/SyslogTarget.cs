using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Ha.Net.Samples.Shared.Syslog;

/// <summary>How a <see cref="SyslogTarget"/> is reached.</summary>
internal enum SyslogTransport
{
    /// <summary>UDP datagrams (HAProxy's default for an IP address; port 514).</summary>
    Udp,

    /// <summary>TCP with RFC 6587 octet counting (<c>tcp@addr:port</c>), reconnected when it drops.</summary>
    Tcp,

    /// <summary>A local AF_UNIX datagram socket (<c>/dev/log</c>, <c>unix@/path</c>).</summary>
    Unix,

    /// <summary>The process's stdout or stderr (<c>log stdout format raw local0</c>).</summary>
    Stream,
}

/// <summary>The header a message carries (HAProxy's <c>format</c> argument of <c>log</c>).</summary>
internal enum SyslogFormat
{
    /// <summary><c>&lt;PRI&gt;Mmm dd hh:mm:ss [host ]tag[pid]: msg</c> (RFC 3164; HAProxy's default).</summary>
    Rfc3164,

    /// <summary>RFC 3164 without the host name (HAProxy's <c>local</c>).</summary>
    Local,

    /// <summary><c>&lt;PRI&gt;1 timestamp host tag pid - - msg</c> (RFC 5424).</summary>
    Rfc5424,

    /// <summary><c>&lt;PRI&gt;msg</c>.</summary>
    Priority,

    /// <summary><c>&lt;severity&gt;msg</c> (systemd's stderr convention).</summary>
    Short,

    /// <summary>The message alone.</summary>
    Raw,
}

/// <summary>
/// One syslog destination: where, how, which facility and which severities — HAProxy's
/// <c>log &lt;address&gt; [len N] [format F] &lt;facility&gt; [max level [min level]]</c>, or keepalived's
/// <c>/dev/log</c> with its <c>-S</c> facility.
/// </summary>
internal sealed record SyslogTarget
{
    /// <summary>The default port of a UDP or TCP target.</summary>
    public const int DefaultPort = 514;

    public required SyslogTransport Transport { get; init; }

    /// <summary>The address of a UDP or TCP target.</summary>
    public EndPoint? EndPoint { get; init; }

    /// <summary>The socket path of a unix target, or <c>stdout</c>/<c>stderr</c>.</summary>
    public string? Path { get; init; }

    /// <summary>The facility code (0–23).</summary>
    public required int Facility { get; init; }

    /// <summary>Messages less important than this severity are not sent (7 = all).</summary>
    public int MaxLevel { get; init; } = 7;

    /// <summary>Messages more important than this severity are sent at this one (0 = unchanged).</summary>
    public int MinLevel { get; init; }

    public SyslogFormat Format { get; init; } = SyslogFormat.Rfc3164;

    /// <summary>The longest message sent, header included (HAProxy's <c>len</c>, default 1024); longer ones are truncated.</summary>
    public int MaxLength { get; init; } = 1024;

    /// <summary>What the target was written as, for logs and errors.</summary>
    public required string Description { get; init; }

    /// <summary>The key under which identical destinations share one queue and one socket.</summary>
    public string DestinationKey => Transport switch
    {
        SyslogTransport.Udp or SyslogTransport.Tcp => $"{Transport}:{EndPoint}",
        _ => $"{Transport}:{Path}",
    };

    /// <summary>
    /// Reads HAProxy's <c>log</c> arguments after the keyword (<c>127.0.0.1:514 local2</c>, <c>/dev/log len 4096 format
    /// rfc5424 local0 info notice</c>, <c>tcp@10.0.0.1:601 local2</c>, <c>stdout format raw daemon</c>). Returns the
    /// target or null with <paramref name="error"/> naming the argument at fault.
    /// </summary>
    public static SyslogTarget? Parse(IReadOnlyList<string> args, out string? error)
    {
        error = null;
        if (args.Count < 2)
        {
            error = "'log' expects an address and a facility ('log <address> [len <n>] [format <fmt>] <facility> [<max level> [<min level>]]')";
            return null;
        }

        var address = args[0];
        var format = (SyslogFormat?)null;
        var length = 1024;
        var i = 1;
        while (i < args.Count && args[i] is "len" or "format" or "sample")
        {
            if (i + 1 >= args.Count)
            {
                error = $"'log {address}': '{args[i]}' expects a value";
                return null;
            }

            var value = args[i + 1];
            switch (args[i])
            {
                case "len":
                    // HAProxy (src/log.c parse_logger): "log: len must be between 80 and 65535".
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out length) || length is < 80 or > 65535)
                    {
                        error = $"'log {address}': len must be between 80 and 65535 (got '{value}')";
                        return null;
                    }

                    break;
                case "format":
                    format = value switch
                    {
                        "rfc3164" => SyslogFormat.Rfc3164,
                        "local" => SyslogFormat.Local,
                        "rfc5424" => SyslogFormat.Rfc5424,
                        "priority" => SyslogFormat.Priority,
                        "short" => SyslogFormat.Short,
                        "raw" => SyslogFormat.Raw,
                        _ => null,
                    };
                    if (format is null)
                    {
                        error = value is "timed" or "iso"
                            ? $"'log {address}': format '{value}' is not implemented by Ha.Net (rfc3164, local, rfc5424, priority, short and raw are)"
                            : $"'log {address}': unknown log format '{value}' (expected rfc3164, local, rfc5424, priority, short or raw)";
                        return null;
                    }

                    break;
                default:
                    error = $"'log {address}': 'sample' (log sampling) is not implemented by Ha.Net";
                    return null;
            }

            i += 2;
        }

        if (i >= args.Count)
        {
            error = $"'log {address}': a facility is expected (e.g. local2)";
            return null;
        }

        var facility = SyslogNames.Facility(args[i]);
        if (facility < 0)
        {
            error = $"'log {address}': unknown log facility '{args[i]}' (expected one of {SyslogNames.FacilityList})";
            return null;
        }

        var max = 7;
        var min = 0;
        if (i + 1 < args.Count && (max = SyslogNames.Severity(args[i + 1])) < 0)
        {
            error = $"'log {address}': unknown optional log level '{args[i + 1]}' (expected one of {SyslogNames.SeverityList})";
            return null;
        }

        if (i + 2 < args.Count && (min = SyslogNames.Severity(args[i + 2])) < 0)
        {
            error = $"'log {address}': unknown optional minimum log level '{args[i + 2]}' (expected one of {SyslogNames.SeverityList})";
            return null;
        }

        if (i + 3 < args.Count)
        {
            error = $"'log {address}': unexpected argument '{args[i + 3]}' after the levels";
            return null;
        }

        if (i + 1 >= args.Count)
        {
            max = 7;
        }

        if (ParseAddress(address, out error) is not { } where)
        {
            return null;
        }

        return where with
        {
            Facility = facility,
            MaxLevel = max,
            MinLevel = min,
            Format = format ?? (where.Transport == SyslogTransport.Stream ? SyslogFormat.Raw : SyslogFormat.Rfc3164),
            MaxLength = length,
        };
    }

    /// <summary>The local syslog socket (<c>/dev/log</c>) with a facility, as keepalived's openlog() uses it.</summary>
    public static SyslogTarget LocalSocket(int facility, string path = "/dev/log") => new()
    {
        Transport = SyslogTransport.Unix,
        Path = path,
        Facility = facility,
        Format = SyslogFormat.Local,
        MaxLength = 8192,
        Description = path,
    };

    private static SyslogTarget? ParseAddress(string address, out string? error)
    {
        error = null;
        SyslogTarget Unix(string path) => new() { Transport = SyslogTransport.Unix, Path = path, Facility = 0, Description = address };
        if (address is "stdout" or "stderr" or "fd@1" or "fd@2")
        {
            return new SyslogTarget { Transport = SyslogTransport.Stream, Path = address is "stdout" or "fd@1" ? "stdout" : "stderr", Facility = 0, Description = address };
        }

        if (address.StartsWith('/'))
        {
            return Unix(address);
        }

        var at = address.IndexOf('@', StringComparison.Ordinal);
        var prefix = at > 0 ? address[..at] : "";
        var rest = at > 0 ? address[(at + 1)..] : address;
        switch (prefix)
        {
            case "unix":
                if (!rest.StartsWith('/'))
                {
                    error = $"'log {address}': a unix socket needs an absolute path";
                    return null;
                }

                return Unix(rest);
            case "" or "udp" or "udp4" or "udp6" or "ipv4" or "ipv6" or "tcp" or "tcp4" or "tcp6":
                break;
            default:
                error = $"'log {address}': address family '{prefix}@' is not supported for logs (use an IP address, udp@, tcp@, unix@ or a socket path)";
                return null;
        }

        var transport = prefix.StartsWith("tcp", StringComparison.Ordinal) ? SyslogTransport.Tcp : SyslogTransport.Udp;
        string host;
        var port = DefaultPort;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"'log {address}': missing ']' after the IPv6 address";
                return null;
            }

            host = rest[1..close];
            if (close + 1 < rest.Length && (rest[close + 1] != ':' || !TryPort(rest[(close + 2)..], out port)))
            {
                error = $"'log {address}': invalid port";
                return null;
            }
        }
        else if (rest.Count(c => c == ':') == 1)
        {
            host = rest[..rest.IndexOf(':', StringComparison.Ordinal)];
            if (!TryPort(rest[(rest.IndexOf(':', StringComparison.Ordinal) + 1)..], out port))
            {
                error = $"'log {address}': invalid port '{rest[(rest.IndexOf(':', StringComparison.Ordinal) + 1)..]}' (1-65535)";
                return null;
            }
        }
        else
        {
            host = rest; // a bare IPv6 address (ipv6@::1) or a name without port
        }

        if (!IPAddress.TryParse(host, out var ip))
        {
            try
            {
                // HAProxy resolves a log host name once, when it reads the configuration.
                ip = Dns.GetHostAddresses(host).OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).FirstOrDefault();
            }
            catch (Exception ex) when (ex is SocketException or ArgumentException) // ArgumentException: not a host name (over 255 characters, ...)
            {
                ip = null;
            }

            if (ip is null)
            {
                error = $"'log {address}': cannot resolve host name '{host}'";
                return null;
            }
        }

        return new SyslogTarget { Transport = transport, EndPoint = new IPEndPoint(ip, port), Facility = 0, Description = address };
    }

    private static bool TryPort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and < 65536;
}
