using Azure;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Privacy;
using Crm.Serverless.Core.Storage;

namespace Crm.Serverless.Core.Scoring;

/// <summary>What one shard's write kept and what it read to let erasures win.</summary>
/// <param name="Written">Customers whose rows were written and stayed.</param>
/// <param name="EntitiesRead">Erase-log rows read (both reads): O(erasures in the shard lately), not the shard.</param>
/// <param name="EntitiesWritten">Rows upserted: each kept customer's row and its segment row, and the other rows kept (recommendations).</param>
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
    /// Writes one shard's scores of <paramref name="run"/>: each customer's row and its segment row, in 100-entity
    /// batches of one partition. Reads the shard's erase log before (those customers get nothing) and after (those
    /// written have both rows deleted again).
    /// </summary>
    /// <exception cref="ArgumentException">A score or row of a customer of another shard.</exception>
    public Task<ShardWrite> WriteAsync(RunRecord run, int shard, IReadOnlyList<CustomerScore> scores, CancellationToken cancellationToken)
        => WriteAsync(run, shard, scores, [], cancellationToken);

    /// <inheritdoc cref="WriteAsync(RunRecord, int, IReadOnlyList{CustomerScore}, CancellationToken)"/>
    /// <param name="others">
    /// The run's other rows of the shard's customers (RowKey <c>{customerId}|</c>, any partition: the recommendations),
    /// kept, written and deleted again exactly as the scores, under the same two reads of the erase log.
    /// </param>
    public async Task<ShardWrite> WriteAsync(
        RunRecord run, int shard, IReadOnlyList<CustomerScore> scores, IReadOnlyList<ITableEntity> others, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(others);
        if (scores.FirstOrDefault(s => CrmKeys.ShardOf(s.CustomerId) != shard) is not null)
        {
            throw new ArgumentException($"Every score must belong to shard {shard}.", nameof(scores));
        }

        if (others.FirstOrDefault(e => CrmKeys.ShardOf(CrmKeys.CustomerIdOf(e.RowKey)) != shard) is not null)
        {
            throw new ArgumentException($"Every row must belong to a customer of shard {shard}.", nameof(others));
        }

        var table = tables.RunScores(run.RunId);
        var since = EraseLog.WindowStart(run.CreatedAt);
        var (before, readBefore) = await eraseLog.ReadSinceAsync(shard, since, cancellationToken);
        var kept = before.Count == 0 ? [.. scores] : scores.Where(s => !before.Contains(EraseLog.Hash(s.CustomerId))).ToArray();
        foreach (var chunk in kept.Select(ScoreEntity.From).Chunk(MaxBatch))
        {
            await UpsertAsync(table, chunk, cancellationToken);
        }

        foreach (var segment in kept.GroupBy(s => s.Segment, StringComparer.Ordinal))
        {
            foreach (var chunk in segment.Select(ScoreEntity.ForSegment).Chunk(MaxBatch))
            {
                await UpsertAsync(table, chunk, cancellationToken);
            }
        }

        // erase wins: the other rows are kept and deleted again by the same test as the scores.
        var keptOthers = before.Count == 0 ? [.. others] : others.Where(e => !before.Contains(EraseLog.Hash(CrmKeys.CustomerIdOf(e.RowKey)))).ToArray();
        foreach (var group in keptOthers.GroupBy(e => e.PartitionKey, StringComparer.Ordinal))
        {
            foreach (var chunk in group.Chunk(MaxBatch))
            {
                await UpsertAsync(table, chunk, cancellationToken);
            }
        }

        var (after, readAfter) = await eraseLog.ReadSinceAsync(shard, since, cancellationToken);
        after.ExceptWith(before);
        var erased = after.Count == 0 ? [] : kept.Where(s => after.Contains(EraseLog.Hash(s.CustomerId))).ToArray();
        foreach (var score in erased)
        {
            await DeleteIfExistsAsync(table, ScoreEntity.ForSegment(score), cancellationToken);
            await DeleteIfExistsAsync(table, ScoreEntity.From(score), cancellationToken);
        }

        foreach (var row in after.Count == 0 ? [] : keptOthers.Where(e => after.Contains(EraseLog.Hash(CrmKeys.CustomerIdOf(e.RowKey)))).ToArray())
        {
            await DeleteIfExistsAsync(table, row, cancellationToken);
        }

        return new ShardWrite(kept.Length - erased.Length, readBefore + readAfter, 2 * kept.Length + keptOthers.Length);
    }

    private static async Task UpsertAsync(TableClient table, ITableEntity[] chunk, CancellationToken cancellationToken)
        => await table.SubmitTransactionAsync(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), cancellationToken);

    private static Task<bool> DeleteIfExistsAsync(TableClient table, ITableEntity row, CancellationToken cancellationToken)
        => KeyedRows.DeleteIfExistsAsync(table, row.PartitionKey, row.RowKey, cancellationToken);
}
