using System.Text.Json;
using Azure;
using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Scoring;

/// <summary>
/// Writes and reads a run's <see cref="InteractionActivity"/> artefact, <c>{runId}/interactions.json</c> in the
/// runs container. Written by stage 4 from stage 3's per-shard figures (<see cref="ShardInteractions"/>), before the
/// report, which reads it and nothing raw; a run on a store that had no interaction gets no artefact and its report
/// no interaction section.
/// </summary>
public sealed class InteractionActivityStore(CrmTables tables, NightlyArtefacts artefacts, ShardInteractions shards, ILogger<InteractionActivityStore> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string BlobName(string runId) => $"{runId}/interactions.json";

    /// <summary>Merges the shards' figures of a staged run and stores them; nothing for a run without interactions.</summary>
    public async Task PublishAsync(RunRecord run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (await artefacts.ReadIfExistsAsync<NightPlan>(NightlyArtefacts.Plan(run.RunId), cancellationToken) is not { } plan
            || await shards.ActivityAsync(plan, cancellationToken) is not { } activity)
        {
            return;
        }

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
}
