using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Scoring;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Functions.Timers;

public sealed class NightlyTimer(NightlyJob job, TimeProvider clock, ILogger<NightlyTimer> logger)
{
    /// <summary>
    /// Retrains, gates and scores every night (Nightly:Schedule, UTC), as of yesterday: the last complete day.
    /// The stages run as messages on the score queue (Core/Nightly/NightlyJob.cs HandleAsync).
    /// </summary>
    [Function("NightlyRetrain")]
    public async Task Run([TimerTrigger("%Nightly:Schedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var yesterday = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).AddDays(-1);
        try
        {
            await job.StartAsync(yesterday, cancellationToken);
        }
        catch (InsufficientDataException exception)
        {
            logger.LogWarning("Nightly run as of {AsOf} skipped: {Reason}", yesterday, exception.Message);
        }
        catch (RunInProgressException)
        {
            logger.LogWarning("Nightly run as of {AsOf} skipped: another scoring run holds the run lease", yesterday);
        }
    }
}
