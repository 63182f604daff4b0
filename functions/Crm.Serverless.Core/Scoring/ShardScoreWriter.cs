using Azure;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Storage;

namespace Crm.Serverless.Core.Scoring;

/// <summary>
/// Writes one shard's scores into its run's own table (<see cref="RunScoreKeys"/>): every run, a backfill too, since no
/// run's rows can touch another's; readers see a run only once <see cref="RunPublisher"/> points at it. Idempotent: a
/// retried shard upserts the same rows again. Called by the nightly stage 3 (<see cref="Nightly.ScoreShard"/>).
/// Erase wins: only customers whose row is still stored get a score, and those whose row is gone after the write are
/// deleted again. An erase removes the customer row before any run's scores (<see cref="CrmTables.CustomerKeyedTables"/>),
/// so whichever way an erase and this write interleave, the erased customer ends without a row in this run.
/// </summary>
public sealed class ShardScoreWriter(CrmTables tables, CustomerReader customers)
{
    private const int MaxBatch = 100;

    /// <summary>
    /// Writes one shard's scores of <paramref name="run"/>: each customer's row and its segment row, in 100-entity
    /// batches of one partition. Reads the keys and one column of the shard's customer rows before and after (1,000
    /// rows a request): customers not stored before get nothing, those gone after have both rows deleted again (if the
    /// erase deleted the customer row before the second read, this deletes the scores; if after, the erase's own pass
    /// over the run tables comes after these writes).
    /// </summary>
    /// <returns>The customers whose rows were written and stayed.</returns>
    /// <exception cref="ArgumentException">A score of a customer of another shard.</exception>
    public Task<int> WriteAsync(RunRecord run, int shard, IReadOnlyList<CustomerScore> scores, CancellationToken cancellationToken)
        => WriteAsync(run, shard, scores, [], cancellationToken);

    /// <inheritdoc cref="WriteAsync(RunRecord, int, IReadOnlyList{CustomerScore}, CancellationToken)"/>
    /// <param name="others">
    /// The run's other rows of the shard's customers (RowKey <c>{customerId}|</c>, any partition: the recommendations),
    /// kept, written and deleted again exactly as the scores, under the same two reads.
    /// </param>
    public async Task<int> WriteAsync(
        RunRecord run, int shard, IReadOnlyList<CustomerScore> scores, IReadOnlyList<ITableEntity> others, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(others);
        if (others.FirstOrDefault(e => CrmKeys.ShardOf(CrmKeys.CustomerIdOf(e.RowKey)) != shard) is not null)
        {
            throw new ArgumentException($"Every row must belong to a customer of shard {shard}.", nameof(others));
        }

        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.FirstOrDefault(s => CrmKeys.ShardOf(s.CustomerId) != shard) is not null)
        {
            throw new ArgumentException($"Every score must belong to shard {shard}.", nameof(scores));
        }

        var table = tables.RunScores(run.RunId);
        var partition = CrmKeys.Partition(shard);
        var stored = await customers.ReadConsentAsync(partition, cancellationToken);
        var kept = scores.Where(s => stored.ContainsKey(s.CustomerId)).ToArray();
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
        var keptOthers = others.Where(e => stored.ContainsKey(CrmKeys.CustomerIdOf(e.RowKey))).ToArray();
        foreach (var group in keptOthers.GroupBy(e => e.PartitionKey, StringComparer.Ordinal))
        {
            foreach (var chunk in group.Chunk(MaxBatch))
            {
                await UpsertAsync(table, chunk, cancellationToken);
            }
        }

        var still = await customers.ReadConsentAsync(partition, cancellationToken);
        foreach (var erased in kept.Where(s => !still.ContainsKey(s.CustomerId)))
        {
            await DeleteIfExistsAsync(table, ScoreEntity.ForSegment(erased), cancellationToken);
            await DeleteIfExistsAsync(table, ScoreEntity.From(erased), cancellationToken);
        }

        foreach (var erased in keptOthers.Where(e => !still.ContainsKey(CrmKeys.CustomerIdOf(e.RowKey))))
        {
            await DeleteIfExistsAsync(table, erased, cancellationToken);
        }

        return kept.Count(s => still.ContainsKey(s.CustomerId));
    }

    private static async Task UpsertAsync(TableClient table, ITableEntity[] chunk, CancellationToken cancellationToken)
        => await table.SubmitTransactionAsync(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), cancellationToken);

    private static async Task DeleteIfExistsAsync(TableClient table, ITableEntity row, CancellationToken cancellationToken)
    {
        try
        {
            await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            // The erase got there first.
        }
    }
}
