using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Crm.Serverless.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Scoring;

/// <summary>
/// Writes and reads a run's <see cref="InteractionActivity"/> artefact, <c>{runId}/interactions.json</c> in the
/// runs container. Written once when the run completes (before its report, which reads it and nothing raw); a
/// store that never received an interaction gets no artefact and its report no interaction section.
/// </summary>
public sealed class InteractionActivityStore(CrmTables tables, InteractionReader interactions, ILogger<InteractionActivityStore> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string BlobName(string runId) => $"{runId}/interactions.json";

    /// <summary>Summarises every shard (its interactions and the run's segment of each customer), merges, stores.</summary>
    public async Task PublishAsync(RunRecord run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (!await interactions.AnyAsync(cancellationToken))
        {
            return;
        }

        var parts = new InteractionActivity[run.Shards];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, run.Shards),
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (shard, ct) => parts[shard] = InteractionActivity.Summarise(
                await interactions.ReadShardAsync(shard, ct),
                await SegmentsAsync(run, shard, ct),
                run.AsOf));
        var activity = InteractionActivity.Merge(parts);
        await tables.RunResults.GetBlobClient(BlobName(run.RunId)).UploadAsync(BinaryData.FromObjectAsJson(activity, Json), overwrite: true, cancellationToken);
        logger.LogInformation("Run {RunId}: interaction figures stored ({Interactions} interactions)", run.RunId, activity.Interactions);
    }

    public async Task<InteractionActivity?> GetAsync(string runId, CancellationToken cancellationToken)
    {
        try
        {
            var content = await tables.RunResults.GetBlobClient(BlobName(runId)).DownloadContentAsync(cancellationToken);
            return content.Value.Content.ToObjectFromJson<InteractionActivity>(Json);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The run's segment of each customer of the shard: its Scores rows once published, else its hand-off.</summary>
    private async Task<Dictionary<string, string>> SegmentsAsync(RunRecord run, int shard, CancellationToken cancellationToken)
    {
        var segments = new Dictionary<string, string>(StringComparer.Ordinal);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {CrmKeys.Partition(shard)}");
        await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.RunScores(run.RunId), filter, ["RowKey", nameof(ScoreEntity.Segment)], cancellationToken))
        {
            segments[CrmKeys.CustomerIdOf(row.RowKey)] = row.GetString(nameof(ScoreEntity.Segment)) ?? "";
        }

        return segments;
    }
}
