using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Core.Campaigns;

/// <summary>
/// The run artefact of campaign figures, <c>{runId}/campaigns.json</c> in the runs container: written by the nightly
/// run from its shards' tallies (stage 1 tallies each shard's members against the rows it read; stage 4 merges
/// them), read by the run report, which never re-reads the history itself. It holds group counts and sums only, no
/// customer ids, so an erasure has nothing to reach here.
/// </summary>
public sealed class CampaignRunFigures(CampaignService campaigns, CrmTables tables)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string BlobName(string runId) => $"{runId}/campaigns.json";

    /// <summary>Computes the figures of every campaign the shards tallied and stores them (an empty list when there are none).</summary>
    public async Task WriteAsync(RunRecord run, KeyedTotals<CampaignTally> tallies, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var reports = await campaigns.ReportForRunAsync(run, tallies, cancellationToken);
        await tables.RunResults.GetBlobClient(BlobName(run.RunId)).UploadAsync(BinaryData.FromObjectAsJson(reports, Json), overwrite: true, cancellationToken);
    }

    /// <summary>The run's campaign figures; null for a run written before campaigns existed.</summary>
    public async Task<IReadOnlyList<CampaignReport>?> ReadAsync(string runId, CancellationToken cancellationToken)
    {
        try
        {
            var content = await tables.RunResults.GetBlobClient(BlobName(runId)).DownloadContentAsync(cancellationToken);
            return content.Value.Content.ToObjectFromJson<List<CampaignReport>>(Json);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null;
        }
    }
}
