using System.Collections;
using System.Diagnostics.Metrics;
using Ha.Net.Vrrp.Addresses;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Ha.Net.Vrrp.Hosting;

/// <summary>The virtual routers configured with <c>services.AddVrrp(...)</c>, by instance name.</summary>
public interface IVirtualRouterCollection : IReadOnlyList<IVirtualRouter>
{
    /// <summary>The router of instance <paramref name="instanceName"/>.</summary>
    /// <param name="instanceName">The instance name.</param>
    /// <exception cref="KeyNotFoundException">No such instance.</exception>
    IVirtualRouter this[string instanceName] { get; }
}

/// <summary>Builds every configured router once, from the options and the registered seams.</summary>
internal sealed class VirtualRouterCollection : IVirtualRouterCollection, IAsyncDisposable
{
    private readonly List<IVirtualRouter> _routers = [];
    private readonly VrrpMetrics _metrics;

    public VirtualRouterCollection(IOptions<VrrpOptions> options, IServiceProvider services)
    {
        var transports = services.GetRequiredService<IVrrpTransportFactory>();
        var binder = services.GetRequiredService<IVirtualAddressBinder>();
        var announcer = services.GetRequiredService<IAddressAnnouncer>();
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var loggers = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        _metrics = new VrrpMetrics(services.GetService<IMeterFactory>());
        var value = options.Value;
        var errors = value.Validate().Where(i => !i.IsWarning).ToList();
        if (errors.Count > 0)
        {
            throw new VrrpConfigurationException(errors);
        }

        foreach (var instance in value.Instances)
        {
            _routers.Add(VirtualRouter.CreateShared(instance, transports.Create(instance), binder, announcer, time, loggers, _metrics));
        }
    }

    public int Count => _routers.Count;

    public IVirtualRouter this[int index] => _routers[index];

    public IVirtualRouter this[string instanceName] =>
        _routers.Find(r => string.Equals(r.InstanceName, instanceName, StringComparison.Ordinal))
        ?? throw new KeyNotFoundException($"No vrrp_instance named '{instanceName}'.");

    public IEnumerator<IVirtualRouter> GetEnumerator() => _routers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public async ValueTask DisposeAsync()
    {
        foreach (var router in _routers)
        {
            await router.DisposeAsync().ConfigureAwait(false);
        }

        _metrics.Dispose();
    }
}

/// <summary>Starts every router with the host and stops them (priority-0 adverts, addresses removed) with it.</summary>
internal sealed class VrrpHostedService(IVirtualRouterCollection routers) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var router in routers)
        {
            await router.StartAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(routers.Select(r => r.StopAsync(cancellationToken)));
}

/// <summary>Validates <see cref="VrrpOptions"/> at start-up, reporting every error with its key.</summary>
internal sealed class VrrpOptionsValidator : IValidateOptions<VrrpOptions>
{
    public ValidateOptionsResult Validate(string? name, VrrpOptions options)
    {
        var errors = options.Validate().Where(i => !i.IsWarning).Select(i => i.ToString()).ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
