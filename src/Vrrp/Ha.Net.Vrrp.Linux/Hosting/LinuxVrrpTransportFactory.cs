using System.Runtime.Versioning;
using System.Diagnostics.Metrics;
using Ha.Net.Vrrp.Configuration;
using Ha.Net.Vrrp.Linux.Transport;
using Ha.Net.Vrrp.Transport;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Vrrp.Linux.Hosting;

/// <summary>Opens the raw-socket transport of each configured instance: interface, family (from its VIPs), source, group or unicast peers.</summary>
[SupportedOSPlatform("linux")]
internal sealed class LinuxVrrpTransportFactory : IVrrpTransportFactory
{
    private readonly LinuxVrrpOptions _options;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly IMeterFactory? _meterFactory;

    public LinuxVrrpTransportFactory(LinuxVrrpOptions options, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        _options = options;
        _loggerFactory = loggerFactory;
        _meterFactory = meterFactory;
    }

    public IVrrpTransport Create(VirtualRouterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var transport = RawVrrpTransportOptions.ForInstance(options, _options.UnicastTtl);
        if (_options.ConfigureTransport is { } configure)
        {
            transport = configure(options, transport) ?? throw new InvalidOperationException($"vrrp_instance {options.InstanceName}: ConfigureTransport returned no options.");
        }

        return LinuxVrrpBackend.OpenTransport(transport, _loggerFactory, _meterFactory);
    }
}
