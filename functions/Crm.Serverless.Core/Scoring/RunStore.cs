using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using Crm.Serverless.Core.Storage;

namespace Crm.Serverless.Core.Scoring;

/// <summary>
/// Run records in the Runs table: partition "runs", row key = inverted creation ticks so the newest comes first.
/// Each finished shard writes a row in the run's own partition; the run is complete when all of them exist.
/// </summary>
public sealed class RunStore(CrmTables tables, TimeProvider clock)
{
    private const string RunsPartition = "runs";
    private static readonly string[] OrderColumns = ["RowKey", "AsOf", "CompletedAt", "Published"];
    // A metric on a one-class holdout slice is NaN; it must be stored as such, not fail the run.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string NewRunId() => "r" + (DateTime.MaxValue.Ticks - clock.GetUtcNow().UtcTicks).ToString("D19", CultureInfo.InvariantCulture);

    public async Task CreateAsync(RunRecord run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        await tables.Runs.UpsertEntityAsync(ToEntity(run), TableUpdateMode.Replace, cancellationToken);
    }

    public async Task<RunRecord?> GetAsync(string runId, CancellationToken cancellationToken)
    {
        var row = await tables.Runs.GetEntityIfExistsAsync<TableEntity>(RunsPartition, runId, cancellationToken: cancellationToken);
        return row.HasValue ? FromEntity(row.Value!) : null;
    }

    /// <summary>
    /// The run readers see: the latest complete, published run by as-of date, then by completion time. Not by
    /// creation: a backfill started later but as of an earlier day must not become current (unless published, when
    /// it supersedes the later runs whose Scores rows it replaced).
    /// </summary>
    public async Task<RunRecord?> GetLatestCompleteAsync(CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {RunsPartition} and Status eq {RunStatus.Complete}");
        (string AsOf, DateTimeOffset CompletedAt, string RunId)? best = null;
        await foreach (var row in tables.Runs.QueryAsync<TableEntity>(filter, select: OrderColumns, cancellationToken: cancellationToken))
        {
            if (row.GetBoolean("Published") == false)
            {
                continue;
            }

            // yyyy-MM-dd orders as text.
            var candidate = (AsOf: row.GetString("AsOf"), CompletedAt: row.GetDateTimeOffset("CompletedAt") ?? default, RunId: row.RowKey);
            if (best is not { } b || string.CompareOrdinal(candidate.AsOf, b.AsOf) > 0
                || (candidate.AsOf == b.AsOf && candidate.CompletedAt > b.CompletedAt))
            {
                best = candidate;
            }
        }

        return best is { } found ? await GetAsync(found.RunId, cancellationToken) : null;
    }

    /// <summary>The newest runs first (row keys are inverted creation ticks), at most <paramref name="max"/>.</summary>
    public async Task<List<RunRecord>> ListAsync(int max, CancellationToken cancellationToken)
    {
        var list = new List<RunRecord>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {RunsPartition}");
        await foreach (var row in tables.Runs.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            list.Add(FromEntity(row));
            if (list.Count == max)
            {
                break;
            }
        }

        return list;
    }

    /// <summary>Marks every complete run as of a later day than <paramref name="run"/> superseded: its Scores rows are gone.</summary>
    public async Task SupersedeLaterAsync(RunRecord run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var asOf = run.AsOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {RunsPartition} and Status eq {RunStatus.Complete} and AsOf gt {asOf}");
        await foreach (var row in tables.Runs.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            var update = new TableEntity(RunsPartition, row.RowKey) { ["Status"] = RunStatus.Superseded };
            await tables.Runs.UpdateEntityAsync(update, ETag.All, TableUpdateMode.Merge, cancellationToken);
        }
    }

    public async Task<bool> IsShardDoneAsync(string runId, int shard, CancellationToken cancellationToken)
        => (await tables.Runs.GetEntityIfExistsAsync<TableEntity>(runId, ShardRow(shard), select: ["RowKey"], cancellationToken: cancellationToken)).HasValue;

    /// <summary>Marks the shard done; when it was the last one, marks the run complete (once, guarded by ETag).</summary>
    public async Task<bool> MarkShardDoneAsync(string runId, int shard, int customers, CancellationToken cancellationToken)
    {
        await tables.Runs.UpsertEntityAsync(new TableEntity(runId, ShardRow(shard)) { ["Customers"] = customers, ["DoneAt"] = clock.GetUtcNow() }, TableUpdateMode.Replace, cancellationToken);
        var done = 0;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {runId}");
        await foreach (var _ in tables.Runs.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            done++;
        }

        var run = await tables.Runs.GetEntityAsync<TableEntity>(RunsPartition, runId, cancellationToken: cancellationToken);
        if (done < run.Value.GetInt32("Shards") || run.Value.GetString("Status") == RunStatus.Complete)
        {
            return false;
        }

        run.Value["Status"] = RunStatus.Complete;
        run.Value["CompletedAt"] = clock.GetUtcNow();
        try
        {
            await tables.Runs.UpdateEntityAsync(run.Value, run.Value.ETag, TableUpdateMode.Replace, cancellationToken);
            return true;
        }
        catch (RequestFailedException exception) when (exception.Status == 412)
        {
            // Another shard finishing at the same moment completed the run.
            return false;
        }
    }

    private static string ShardRow(int shard) => "shard-" + shard.ToString("D2", CultureInfo.InvariantCulture);

    private static TableEntity ToEntity(RunRecord run) => new(RunsPartition, run.RunId)
    {
        ["AsOf"] = run.AsOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["Status"] = run.Status,
        ["Shards"] = run.Shards,
        ["Customers"] = run.Customers,
        ["CreatedAt"] = run.CreatedAt,
        ["CompletedAt"] = run.CompletedAt,
        ["TrainingJson"] = JsonSerializer.Serialize(run.Training, Json),
        ["ClvJson"] = JsonSerializer.Serialize(run.Clv, Json),
        ["SegmentsJson"] = JsonSerializer.Serialize(run.Segments, Json),
        ["StepSecondsJson"] = JsonSerializer.Serialize(run.StepSeconds, Json),
        ["ScorersJson"] = JsonSerializer.Serialize(run.Scorers ?? [], Json),
        ["WarningsJson"] = JsonSerializer.Serialize(run.Warnings ?? [], Json),
        ["Backfill"] = run.Backfill,
        ["Published"] = run.Published,
    };

    private static RunRecord FromEntity(TableEntity row) => new(
        row.RowKey,
        DateOnly.ParseExact(row.GetString("AsOf"), "yyyy-MM-dd", CultureInfo.InvariantCulture),
        row.GetString("Status"),
        row.GetInt32("Shards") ?? 0,
        row.GetInt32("Customers") ?? 0,
        row.GetDateTimeOffset("CreatedAt") ?? default,
        row.GetDateTimeOffset("CompletedAt"),
        JsonSerializer.Deserialize<List<TrainingSummary>>(row.GetString("TrainingJson"), Json)!,
        JsonSerializer.Deserialize<ClvFitSummary>(row.GetString("ClvJson"), Json)!,
        JsonSerializer.Deserialize<List<SegmentSummary>>(row.GetString("SegmentsJson"), Json)!,
        JsonSerializer.Deserialize<Dictionary<string, double>>(row.GetString("StepSecondsJson"), Json)!,
        row.GetString("ScorersJson") is { } scorers ? JsonSerializer.Deserialize<List<ScoringSource>>(scorers, Json) : null,
        row.GetString("WarningsJson") is { } warnings ? JsonSerializer.Deserialize<List<string>>(warnings, Json) : null,
        row.GetBoolean("Backfill") ?? false,
        // Runs recorded before backfills existed were all published.
        row.GetBoolean("Published") ?? true);
}
