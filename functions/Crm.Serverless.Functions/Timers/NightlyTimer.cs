using Crm.Serverless.Functions.Orchestration;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Crm.Serverless.Functions.Timers;

public sealed class NightlyTimer(NightStarter starter, TimeProvider clock)
{
    /// <summary>
    /// Retrains, gates and scores every night (Nightly:Schedule, UTC), as of yesterday: the last complete day.
    /// The stages run as the Durable Functions orchestration Orchestration/NightOrchestration.cs.
    /// </summary>
    [Function("NightlyRetrain")]
    public Task Run(
        [TimerTrigger("%Nightly:Schedule%")] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var yesterday = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).AddDays(-1);
        return starter.StartAsync(client, yesterday, cancellationToken);
    }
}
