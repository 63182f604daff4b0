using System.Globalization;
using Azure.Data.Tables;
using Crm.Serverless.Core.Storage;

namespace Crm.Serverless.Core.Nightly;

/// <summary>The five stages of a night, in running order.</summary>
public enum NightStage
{
    SummariseShard = 1,
    FitModels = 2,
    ScoreShard = 3,
    RunArtefacts = 4,
    CompleteRun = 5,
}

/// <summary>How far a night got: shards done per stage (a once-stage counts as one shard, number 0).</summary>
/// <remarks><see cref="StalledIn"/>: the stage the orchestration gave up in (its retries spent), so the run is stalled now.</remarks>
public sealed record NightStatus(IReadOnlyDictionary<NightStage, IReadOnlySet<int>> Done, int Shards, DateTimeOffset? LastProgressAt, NightStage? StalledIn = null)
{
    public static int ShardsOf(NightStage stage, int shards) => stage is NightStage.FitModels or NightStage.RunArtefacts or NightStage.CompleteRun ? 1 : shards;

    public bool IsDone(NightStage stage) => DoneCount(stage) == ShardsOf(stage, Shards);

    public int DoneCount(NightStage stage) => Done.TryGetValue(stage, out var done) ? done.Count : 0;

    /// <summary>The first stage not finished, or null when the night is complete.</summary>
    public NightStage? Current => Enum.GetValues<NightStage>().Cast<NightStage?>().FirstOrDefault(s => !IsDone(s!.Value));
}

/// <summary>
/// Per-stage, per-shard progress of a night in the Runs table: partition = run id, row = "stage{n}-{shard:D2}", written
/// when that invocation has stored its output. A stalled night is resumed by running exactly the rows that are missing.
/// </summary>
public sealed class NightProgress(CrmTables tables, TimeProvider clock)
{
    // Inside the "stage" key range that GetAsync reads, so the marker costs no extra request; Parse skips it.
    private const string StalledRow = "stage-stalled";

    public async Task MarkDoneAsync(string runId, NightStage stage, int shard, long customers, CancellationToken cancellationToken)
        => await tables.Runs.UpsertEntityAsync(
            new TableEntity(runId, Row(stage, shard)) { ["Customers"] = customers, ["DoneAt"] = clock.GetUtcNow() },
            TableUpdateMode.Replace,
            cancellationToken);

    /// <summary>Whether this one invocation is recorded done (a point read): a retried or redelivered activity skips it.</summary>
    public async Task<bool> IsDoneAsync(string runId, NightStage stage, int shard, CancellationToken cancellationToken)
        => (await tables.Runs.GetEntityIfExistsAsync<TableEntity>(runId, Row(stage, shard), ["RowKey"], cancellationToken)).HasValue;

    /// <summary>
    /// The orchestration spent its retries in <paramref name="stage"/>: the run shows as stalled at once (not only after
    /// <c>Nightly:StalledAfterMinutes</c>), no longer blocks a start, and <c>crm runs resume</c> finishes it.
    /// </summary>
    public async Task MarkStalledAsync(string runId, NightStage stage, CancellationToken cancellationToken)
        => await tables.Runs.UpsertEntityAsync(
            new TableEntity(runId, StalledRow) { ["Stage"] = (int)stage, ["DoneAt"] = clock.GetUtcNow() },
            TableUpdateMode.Replace,
            cancellationToken);

    public async Task<NightStatus> GetAsync(string runId, int shards, CancellationToken cancellationToken)
    {
        var done = Enum.GetValues<NightStage>().ToDictionary(s => s, _ => new SortedSet<int>());
        DateTimeOffset? last = null;
        NightStage? stalledIn = null;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {runId} and RowKey ge {"stage"} and RowKey lt {"stagf"}");
        await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.Runs, filter, ["RowKey", "DoneAt", "Stage"], cancellationToken))
        {
            if (row.RowKey == StalledRow)
            {
                stalledIn = (NightStage?)row.GetInt32("Stage");
            }
            else if (Parse(row.RowKey) is { } parsed)
            {
                done[parsed.Stage].Add(parsed.Shard);
                var at = row.GetDateTimeOffset("DoneAt");
                last = last is null || at > last ? at : last;
            }
        }

        return new NightStatus(done.ToDictionary(d => d.Key, d => (IReadOnlySet<int>)d.Value), shards, last, stalledIn);
    }

    private static string Row(NightStage stage, int shard) => string.Create(CultureInfo.InvariantCulture, $"stage{(int)stage}-{shard:D2}");

    private static (NightStage Stage, int Shard)? Parse(string rowKey)
    {
        var dash = rowKey.IndexOf('-', StringComparison.Ordinal);
        return dash > 5
            && int.TryParse(rowKey.AsSpan(5, dash - 5), NumberStyles.None, CultureInfo.InvariantCulture, out var stage)
            && Enum.IsDefined((NightStage)stage)
            && int.TryParse(rowKey.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var shard)
                ? ((NightStage)stage, shard)
                : null;
    }
}
