namespace Ha.Net.Proxy.Configuration;

/// <summary>Validates <see cref="ProxyOptions"/>, collecting every error, each naming its key.</summary>
public static class ProxyOptionsValidator
{
    /// <summary>Returns every problem found (empty when the options are valid).</summary>
    public static IReadOnlyList<string> Validate(ProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.MaxConnections < 0)
        {
            errors.Add($"MaxConnections: must be 0 (unlimited) or positive, was {options.MaxConnections}.");
        }

        if (options.BufferSize is < 16 * 1024 or > 1024 * 1024)
        {
            errors.Add($"BufferSize: must be between 16384 and 1048576 bytes, was {options.BufferSize}.");
        }

        if (options.IoEngine == ProxyIoEngine.Epoll && !OperatingSystem.IsLinux())
        {
            errors.Add("IoEngine: Epoll needs Linux; use Auto or Sockets.");
        }
        else if (!Enum.IsDefined(options.IoEngine))
        {
            errors.Add($"IoEngine: unknown value {(int)options.IoEngine}.");
        }

        if (options.MaxPipes < 0)
        {
            errors.Add($"MaxPipes: must be 0 (automatic) or positive, was {options.MaxPipes}.");
        }

        if (options.PipeSize != 0 && options.PipeSize is < 4096 or > 64 * 1024 * 1024)
        {
            errors.Add($"PipeSize: must be 0 (the kernel's default) or between 4096 and 67108864 bytes, was {options.PipeSize}.");
        }

        if (options.HardStopAfter is { } hard && hard < TimeSpan.Zero)
        {
            errors.Add($"HardStopAfter: must not be negative, was {hard}.");
        }

        var backendNames = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < options.Backends.Count; i++)
        {
            var backend = options.Backends[i];
            string key = $"Backends[{i}]";
            if (string.IsNullOrWhiteSpace(backend.Name))
            {
                errors.Add($"{key}.Name: must not be empty.");
            }
            else
            {
                key = $"Backends[{backend.Name}]";
                if (!backendNames.Add(backend.Name))
                {
                    errors.Add($"{key}.Name: duplicate backend name '{backend.Name}'.");
                }
            }

            ValidateBackend(backend, key, errors);
        }

        var frontendNames = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < options.Frontends.Count; i++)
        {
            var frontend = options.Frontends[i];
            string key = $"Frontends[{i}]";
            if (string.IsNullOrWhiteSpace(frontend.Name))
            {
                errors.Add($"{key}.Name: must not be empty.");
            }
            else
            {
                key = $"Frontends[{frontend.Name}]";
                if (!frontendNames.Add(frontend.Name))
                {
                    errors.Add($"{key}.Name: duplicate frontend name '{frontend.Name}'.");
                }
            }

            if (frontend.Bind is null)
            {
                errors.Add($"{key}.Bind: required.");
            }

            if (frontend.Backlog <= 0)
            {
                errors.Add($"{key}.Backlog: must be positive, was {frontend.Backlog}.");
            }

            if (frontend.RateLimitSessions < 0)
            {
                errors.Add($"{key}.RateLimitSessions: must be 0 (no limit) or positive, was {frontend.RateLimitSessions}.");
            }

            if (frontend.MaxConnections < 0)
            {
                errors.Add($"{key}.MaxConnections: must be 0 (global limit only) or positive, was {frontend.MaxConnections}.");
            }

            if (!backendNames.Contains(frontend.Backend ?? ""))
            {
                errors.Add($"{key}.Backend: no backend named '{frontend.Backend}'.");
            }

            SpliceFlags(frontend.Splice, $"{key}.Splice", errors);
            Positive(frontend.ClientTimeout, $"{key}.ClientTimeout", errors);
            Positive(frontend.ClientFinTimeout, $"{key}.ClientFinTimeout", errors);
        }

        return errors;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem, if any.</summary>
    public static void ThrowIfInvalid(ProxyOptions options)
    {
        var errors = Validate(options);
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid proxy configuration:" + Environment.NewLine + "  " +
                string.Join(Environment.NewLine + "  ", errors), nameof(options));
        }
    }

    internal static void ValidateServer(ServerOptions server, string key, BackendOptions backend, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(server.Name))
        {
            errors.Add($"{key}.Name: must not be empty.");
        }

        if (server.Address is null)
        {
            errors.Add($"{key}.Address: required.");
        }
        else if (server.Address.Port == 0)
        {
            errors.Add($"{key}.Address: port must not be 0 ({server.Address}).");
        }

        if (server.Weight is < 0 or > 256)
        {
            errors.Add($"{key}.Weight: must be between 0 and 256, was {server.Weight}.");
        }

        if (server.MaxConnections < 0)
        {
            errors.Add($"{key}.MaxConnections: must be 0 (unlimited) or positive, was {server.MaxConnections}.");
        }

        if (server.MaxQueue < 0)
        {
            errors.Add($"{key}.MaxQueue: must be 0 (unlimited) or positive, was {server.MaxQueue}.");
        }

        if (server.SlowStart < TimeSpan.Zero)
        {
            errors.Add($"{key}.SlowStart: must be zero (off) or positive, was {server.SlowStart}.");
        }

        if (backend.Balance == BalanceAlgorithm.First && server.MaxConnections == 0)
        {
            errors.Add($"{key}.MaxConnections: balance 'first' needs a maxconn on every server.");
        }

        if (server.Check is { } check)
        {
            if (check.Interval <= TimeSpan.Zero)
            {
                errors.Add($"{key}.Check.Interval: must be positive, was {check.Interval}.");
            }

            Positive(check.Timeout, $"{key}.Check.Timeout", errors);
            if (check.Rise <= 0)
            {
                errors.Add($"{key}.Check.Rise: must be positive, was {check.Rise}.");
            }

            if (check.Fall <= 0)
            {
                errors.Add($"{key}.Check.Fall: must be positive, was {check.Fall}.");
            }

            if (check.ErrorLimit <= 0)
            {
                errors.Add($"{key}.Check.ErrorLimit: must be positive, was {check.ErrorLimit}.");
            }

            if (!Enum.IsDefined(check.OnError))
            {
                errors.Add($"{key}.Check.OnError: unknown action {(int)check.OnError}.");
            }

            if (check.Port is { } port && port is <= 0 or > 65535)
            {
                errors.Add($"{key}.Check.Port: must be 1–65535, was {port}.");
            }
        }
    }

    private static void ValidateBackend(BackendOptions backend, string key, List<string> errors)
    {
        if (backend.Retries < 0)
        {
            errors.Add($"{key}.Retries: must not be negative, was {backend.Retries}.");
        }

        if (backend.RandomDraws <= 0)
        {
            errors.Add($"{key}.RandomDraws: must be positive, was {backend.RandomDraws}.");
        }

        if (!Enum.IsDefined(backend.HashType))
        {
            errors.Add($"{key}.HashType: unknown hash type {(int)backend.HashType}.");
        }

        if (backend.ConnectTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{key}.ConnectTimeout: must be positive, was {backend.ConnectTimeout}.");
        }

        SpliceFlags(backend.Splice, $"{key}.Splice", errors);
        Positive(backend.QueueTimeout, $"{key}.QueueTimeout", errors);
        Positive(backend.ServerTimeout, $"{key}.ServerTimeout", errors);
        Positive(backend.ServerFinTimeout, $"{key}.ServerFinTimeout", errors);
        Positive(backend.TunnelTimeout, $"{key}.TunnelTimeout", errors);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int j = 0; j < backend.Servers.Count; j++)
        {
            var server = backend.Servers[j];
            string serverKey = string.IsNullOrWhiteSpace(server.Name) ? $"{key}.Servers[{j}]" : $"{key}.Servers[{server.Name}]";
            if (!string.IsNullOrWhiteSpace(server.Name) && !names.Add(server.Name))
            {
                errors.Add($"{serverKey}.Name: duplicate server name '{server.Name}'.");
            }

            ValidateServer(server, serverKey, backend, errors);
        }
    }

    private static void SpliceFlags(SpliceModes modes, string key, List<string> errors)
    {
        if ((modes & ~(SpliceModes.Auto | SpliceModes.Request | SpliceModes.Response)) != 0)
        {
            errors.Add($"{key}: unknown splice mode {(int)modes}.");
        }
    }

    private static void Positive(TimeSpan? value, string key, List<string> errors)
    {
        if (value is { } v && v <= TimeSpan.Zero)
        {
            errors.Add($"{key}: must be positive, was {v}.");
        }
    }
}
