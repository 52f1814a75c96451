using Ha.Net.Vrrp.Hosting;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.EmbeddedFailover;

/// <summary>The sample's singleton job (think: the nightly report, the queue consumer that must run once): it ticks while MASTER.</summary>
public sealed class ReportWorker(IVirtualRouterCollection routers, ILogger<ReportWorker> logger)
    : MasterOnlyService(routers, Program.InstanceName, logger)
{
    /// <inheritdoc />
    protected override async Task RunWhileMasterAsync(CancellationToken cancellationToken)
    {
        for (var batch = 1; ; batch++)
        {
            Logger.LogInformation("processing batch {Batch} (only the master does this)", batch);
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        }
    }
}
