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
/// The current run is one pointer row (partition "pointer", row "current") that readers resolve with one point read;
/// it moves only when a run is published (<see cref="TrySwapCurrentAsync"/>), so during a run, and after a run that
/// never completes, readers see the previous complete run whole.
/// </summary>
public sealed class RunStore(CrmTables tables, TimeProvider clock)
{
    private const string RunsPartition = "runs";
    private const string PointerPartition = "pointer";
    private const string PointerRow = "current";

    /// <summary>Set on a run record once its scores table is deleted by retention.</summary>
    private const string PrunedColumn = "ScoresPruned";
    // A metric on a one-class holdout slice is NaN; it must be stored as such, not fail the run.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string NewRunId() => "r" + (DateTime.MaxValue.Ticks - clock.GetUtcNow().UtcTicks).ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>Records the run and creates its scores table, so its shards can write from the first message on.</summary>
    public async Task CreateAsync(RunRecord run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        await tables.RunScores(run.RunId).CreateIfNotExistsAsync(cancellationToken);
        await tables.Runs.UpsertEntityAsync(ToEntity(run), TableUpdateMode.Replace, cancellationToken);
    }

    public async Task<RunRecord?> GetAsync(string runId, CancellationToken cancellationToken)
    {
        var row = await tables.Runs.GetEntityIfExistsAsync<TableEntity>(RunsPartition, runId, cancellationToken: cancellationToken);
        return row.HasValue ? FromEntity(row.Value!) : null;
    }

    /// <summary>The run readers see: the one the current-run pointer names (one point read, then the record).</summary>
    public async Task<RunRecord?> GetLatestCompleteAsync(CancellationToken cancellationToken)
        => await GetCurrentRunIdAsync(cancellationToken) is { } runId ? await GetAsync(runId, cancellationToken) : null;

    /// <summary>The current run's id from the pointer alone (one point read): enough for a reader that needs only its table.</summary>
    public async Task<string?> GetCurrentRunIdAsync(CancellationToken cancellationToken)
    {
        var pointer = await tables.Runs.GetEntityIfExistsAsync<TableEntity>(PointerPartition, PointerRow, ["RunId"], cancellationToken);
        return pointer.HasValue ? pointer.Value!.GetString("RunId") : null;
    }

    /// <summary>
    /// Points readers at <paramref name="run"/> if it should be current, swapping the one pointer row under its ETag
    /// (a concurrent swap makes this re-read and decide again). A later as-of wins, then a later start; a run not
    /// published (a backfill without <c>--publish</c>) never moves the pointer; a published backfill replaces the run
    /// that was current when it started, but not one created after it. Idempotent: publishing the current run again,
    /// or an older run again (a redelivered message), changes nothing.
    /// </summary>
    /// <returns>True when the pointer now names this run and did not before.</returns>
    public async Task<bool> TrySwapCurrentAsync(RunRecord run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (!run.Published || run.Status != RunStatus.Complete)
        {
            return false;
        }

        var asOf = run.AsOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var completedAt = run.CompletedAt ?? clock.GetUtcNow();
        while (true)
        {
            var row = await tables.Runs.GetEntityIfExistsAsync<TableEntity>(PointerPartition, PointerRow, cancellationToken: cancellationToken);
            var pointer = new TableEntity(PointerPartition, PointerRow)
            {
                ["RunId"] = run.RunId,
                ["AsOf"] = asOf,
                ["CreatedAt"] = run.CreatedAt,
                ["CompletedAt"] = completedAt,
            };
            try
            {
                if (!row.HasValue)
                {
                    await tables.Runs.AddEntityAsync(pointer, cancellationToken);
                    return true;
                }

                var current = row.Value!;
                if (current.GetString("RunId") == run.RunId || !Wins(run, asOf, current))
                {
                    return false;
                }

                await tables.Runs.UpdateEntityAsync(pointer, current.ETag, TableUpdateMode.Replace, cancellationToken);
                return true;
            }
            catch (RequestFailedException exception) when (exception.Status is 409 or 412)
            {
                // Another run was published meanwhile: decide again against it.
            }
        }
    }

    private static bool Wins(RunRecord run, string asOf, TableEntity current)
    {
        if (run.Backfill)
        {
            return (current.GetDateTimeOffset("CreatedAt") ?? default) <= run.CreatedAt;
        }

        // yyyy-MM-dd orders as text. Of two runs as of the same day the one started later saw more of that day's
        // late data; the one completed later may just be an old run's redelivered last shard.
        var order = string.CompareOrdinal(asOf, current.GetString("AsOf"));
        return order > 0 || (order == 0 && run.CreatedAt >= (current.GetDateTimeOffset("CreatedAt") ?? default));
    }

    /// <summary>A run whose scores table still exists (or may), as retention sees it.</summary>
    public sealed record RetainedRun(string RunId, string Status, DateTimeOffset? CompletedAt, DateTimeOffset? CreatedAt = null);

    /// <summary>Every run whose scores table retention has not deleted, newest first (one query of the runs partition).</summary>
    public async Task<IReadOnlyList<RetainedRun>> ListUnprunedAsync(CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {RunsPartition}");
        var found = new List<RetainedRun>();
        await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.Runs, filter, ["RowKey", "Status", "CompletedAt", "CreatedAt", PrunedColumn], cancellationToken))
        {
            if (row.GetBoolean(PrunedColumn) != true)
            {
                found.Add(new RetainedRun(row.RowKey, row.GetString("Status"), row.GetDateTimeOffset("CompletedAt"), row.GetDateTimeOffset("CreatedAt")));
            }
        }

        return found;
    }

    /// <summary>The newest runs first (row keys are inverted creation ticks), at most <paramref name="max"/>.</summary>
    public async Task<List<RunRecord>> ListAsync(int max, CancellationToken cancellationToken)
    {
        var list = new List<RunRecord>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {RunsPartition}");
        await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.Runs, filter, null, cancellationToken))
        {
            list.Add(FromEntity(row));
            if (list.Count == max)
            {
                break;
            }
        }

        return list;
    }

    /// <summary>Records that the run's scores table is gone; its record and report stay.</summary>
    public async Task MarkPrunedAsync(string runId, CancellationToken cancellationToken)
        => await tables.Runs.UpdateEntityAsync(new TableEntity(RunsPartition, runId) { [PrunedColumn] = true }, ETag.All, TableUpdateMode.Merge, cancellationToken);

    /// <summary>
    /// Marks every complete run as of a later day than <paramref name="run"/> superseded: a published backfill replaced
    /// them as what readers see, and a redelivered message of theirs must not publish them again.
    /// </summary>
    public async Task SupersedeLaterAsync(RunRecord run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var asOf = run.AsOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {RunsPartition} and Status eq {RunStatus.Complete} and AsOf gt {asOf}");
        await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.Runs, filter, ["RowKey"], cancellationToken))
        {
            var update = new TableEntity(RunsPartition, row.RowKey) { ["Status"] = RunStatus.Superseded };
            await tables.Runs.UpdateEntityAsync(update, ETag.All, TableUpdateMode.Merge, cancellationToken);
        }
    }

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
