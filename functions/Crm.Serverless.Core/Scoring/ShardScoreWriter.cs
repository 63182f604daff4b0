using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Privacy;
using Crm.Serverless.Core.Recommendations;
using Crm.Serverless.Core.Storage;

namespace Crm.Serverless.Core.Scoring;

/// <summary>What one shard's write kept and what it read to let erasures win.</summary>
/// <param name="Written">Customers whose rows were written and stayed.</param>
/// <param name="EntitiesRead">Erase-log rows read (both reads): O(erasures in the shard lately), not the shard.</param>
/// <param name="EntitiesWritten">Rows upserted: one per kept customer (their scores and next best products).</param>
public sealed record ShardWrite(int Written, int EntitiesRead, int EntitiesWritten);

/// <summary>
/// Writes one shard's scores into its run's own table (<see cref="RunScoreKeys"/>): every run, a backfill too, since no
/// run's rows can touch another's; readers see a run only once <see cref="RunPublisher"/> points at it. Idempotent: a
/// retried shard upserts the same rows again. Called by the nightly stage 3 (<see cref="Nightly.ScoreShard"/>).
/// Erase wins: customers in the shard's erase log since the run's window start (<see cref="EraseLog"/>) get no score,
/// and those logged by the time the rows are written are deleted again; an erase logged later deletes the rows itself
/// (it walks the run tables after logging), so whichever way an erase and this write interleave, the erased customer
/// ends without a row in this run.
/// </summary>
public sealed class ShardScoreWriter(CrmTables tables, EraseLog eraseLog)
{
    private const int MaxBatch = 100;

    /// <summary>
    /// Writes one shard's scores of <paramref name="run"/>: each customer's one row in its segment's partition, in
    /// 100-entity batches of one partition. Reads the shard's erase log before (those customers get nothing) and after
    /// (those written have their rows deleted again).
    /// </summary>
    /// <exception cref="ArgumentException">A score of a customer of another shard.</exception>
    /// <param name="recommendations">
    /// The run's next best products by customer, stored in the same row as the customer's scores (one entity per
    /// customer a night); a customer without an entry gets none, and one without a score is not stored.
    /// </param>
    public async Task<ShardWrite> WriteAsync(
        RunRecord run, int shard, IReadOnlyList<CustomerScore> scores, IReadOnlyDictionary<string, IReadOnlyList<RecommendedSku>> recommendations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(recommendations);
        if (scores.FirstOrDefault(s => CrmKeys.ShardOf(s.CustomerId) != shard) is not null)
        {
            throw new ArgumentException($"Every score must belong to shard {shard}.", nameof(scores));
        }

        var table = tables.RunScores(run.RunId);
        var since = EraseLog.WindowStart(run.CreatedAt);
        var (before, readBefore) = await eraseLog.ReadSinceAsync(shard, since, cancellationToken);
        var kept = before.Count == 0 ? [.. scores] : scores.Where(s => !before.Contains(EraseLog.Hash(s.CustomerId))).ToArray();
        foreach (var segment in kept.GroupBy(s => s.Segment, StringComparer.Ordinal))
        {
            foreach (var chunk in segment.Select(s => ScoreEntity.From(s, recommendations.GetValueOrDefault(s.CustomerId))).Chunk(MaxBatch))
            {
                await table.SubmitTransactionAsync(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), cancellationToken);
            }
        }

        var (after, readAfter) = await eraseLog.ReadSinceAsync(shard, since, cancellationToken);
        after.ExceptWith(before);
        var erased = after.Count == 0 ? [] : kept.Where(s => after.Contains(EraseLog.Hash(s.CustomerId))).ToArray();
        foreach (var score in erased)
        {
            var row = ScoreEntity.From(score);
            await KeyedRows.DeleteIfExistsAsync(table, row.PartitionKey, row.RowKey, cancellationToken);
        }

        return new ShardWrite(kept.Length - erased.Length, readBefore + readAfter, kept.Length);
    }
}
