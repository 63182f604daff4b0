using System.Text.Json;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Microsoft.Azure.Functions.Worker;

namespace Crm.Serverless.Functions.Queues;

public sealed class ScoreShardTrigger(ShardScoreWriter writer)
{
    /// <summary>One shard of a nightly run. Idempotent, so a redelivered or retried message rewrites the same rows.</summary>
    [Function("ScoreShard")]
    public Task Run(
        [QueueTrigger("%Nightly:ShardQueueName%", Connection = StorageOptions.ConnectionName)] string message,
        CancellationToken cancellationToken)
    {
        var shard = JsonSerializer.Deserialize<ShardMessage>(message)
            ?? throw new InvalidOperationException("An empty shard message cannot be processed.");
        return writer.ProcessAsync(shard, cancellationToken);
    }
}
