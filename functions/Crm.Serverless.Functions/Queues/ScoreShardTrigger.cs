using System.Text.Json;
using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Storage;
using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Functions.Queues;

public sealed class ScoreShardTrigger(NightlyJob night)
{
    /// <summary>
    /// One stage invocation of a nightly run (a shard of stage 1 or 3, or stage 2 or 4 once). Idempotent: a redelivered
    /// message whose invocation is recorded done only checks whether the next stage is due.
    /// </summary>
    [Function("ScoreShard")]
    public Task Run(
        [QueueTrigger("%Nightly:ShardQueueName%", Connection = StorageOptions.ConnectionName)] string message,
        CancellationToken cancellationToken)
    {
        var stage = JsonSerializer.Deserialize<StageMessage>(message)
            ?? throw new InvalidOperationException("An empty stage message cannot be processed.");
        return night.HandleAsync(stage, cancellationToken);
    }
}
