using Ha.Net.Vrrp.Hosting;
using Microsoft.Extensions.Logging;

namespace Ha.Net.Samples.EmbeddedFailover;

/// <summary>
/// The sample's singleton job (think: the nightly report, the queue consumer that must run once): it ticks while
/// MASTER. Registered with <c>services.AddMasterOnly&lt;ReportWorker&gt;(...)</c>, which starts it on each term of
/// mastership and cancels <c>leadership</c> when the term ends (before the VIP, if any, is released).
/// </summary>
public sealed class ReportWorker(ILogger<ReportWorker> logger) : IMasterOnlyWorker
{
    /// <inheritdoc />
    public async Task ExecuteAsync(CancellationToken leadership)
    {
        logger.LogInformation("{Instance} is MASTER: starting the work", Program.InstanceName);
        try
        {
            for (var batch = 1; ; batch++)
            {
                logger.LogInformation("processing batch {Batch} (only the master does this)", batch);
                await Task.Delay(TimeSpan.FromSeconds(2), leadership);
            }
        }
        finally
        {
            logger.LogInformation("{Instance} left MASTER: the work stopped", Program.InstanceName);
        }
    }
}
