using Azure;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Scoring;

/// <summary>A unit of scoring fan-out: one run, one shard.</summary>
public sealed record ShardMessage(string RunId, int Shard);

/// <summary>
/// Writes one shard's scores into its run's own table (<see cref="RunScoreKeys"/>): every run, a backfill too, since no
/// run's rows can touch another's; readers see a run only once <see cref="RunPublisher"/> points at it. Idempotent: a
/// retried shard upserts the same rows again.
/// Erase wins: only customers whose row is still stored get a score, and those whose row is gone after the write are
/// deleted again. An erase removes the customer row before any run's scores (<see cref="CrmTables.CustomerKeyedTables"/>),
/// so whichever way an erase and this write interleave, the erased customer ends without a row in this run.
/// </summary>
public sealed class ShardScoreWriter(
    CrmTables tables,
    CustomerReader customers,
    RunStore runs,
    RunPublisher publisher,
    IRunReportPublisher reports,
    ILogger<ShardScoreWriter> logger,
    InteractionActivityStore interactionActivity)
{
    private const int MaxBatch = 100;

    /// <summary>
    /// Today's queue path: reads the shard's hand-off blob and writes it (<see cref="WriteAsync"/>). A shard already
    /// done is skipped, and a run already complete is published again (the first attempt may have died before). The
    /// shard that completes the run publishes it and its report.
    /// </summary>
    public async Task<int> ProcessAsync(ShardMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var run = await runs.GetAsync(message.RunId, cancellationToken);
        if (run is { Status: RunStatus.Complete or RunStatus.Superseded })
        {
            await publisher.PublishAsync(run, cancellationToken);
            await reports.EnsurePublishedAsync(run, cancellationToken);
            await DeleteHandOffAsync(message, cancellationToken);
            logger.LogInformation("Shard {Shard} of run {RunId} needs no work", message.Shard, message.RunId);
            return 0;
        }

        if (run is null || await runs.IsShardDoneAsync(message.RunId, message.Shard, cancellationToken))
        {
            logger.LogInformation("Shard {Shard} of run {RunId} needs no work", message.Shard, message.RunId);
            return 0;
        }

        var scores = await ScoringRunService.ReadShardAsync(tables, message.RunId, message.Shard, cancellationToken);
        var written = await WriteAsync(run, message.Shard, scores, cancellationToken);
        var completed = await runs.MarkShardDoneAsync(message.RunId, message.Shard, written, cancellationToken);

        // The scores live in the run's table now; the hand-off holds customer data that an erasure would not reach.
        await DeleteHandOffAsync(message, cancellationToken);
        if (completed)
        {
            var finished = (await runs.GetAsync(message.RunId, cancellationToken))!;
            await publisher.PublishAsync(finished, cancellationToken);
            await interactionActivity.PublishAsync(finished, cancellationToken); // nightly hook: interactions
            await reports.PublishAsync(finished, cancellationToken);
        }

        logger.LogInformation("Shard {Shard} of run {RunId}: {Customers} scores written; run complete: {Completed}", message.Shard, message.RunId, written, completed);
        return written;
    }

    /// <summary>
    /// Writes one shard's scores of <paramref name="run"/>: each customer's row and its segment row, in 100-entity
    /// batches of one partition. Reads the keys and one column of the shard's customer rows before and after (1,000
    /// rows a request): customers not stored before get nothing, those gone after have both rows deleted again (if the
    /// erase deleted the customer row before the second read, this deletes the scores; if after, the erase's own pass
    /// over the run tables comes after these writes).
    /// </summary>
    /// <returns>The customers whose rows were written and stayed.</returns>
    /// <exception cref="ArgumentException">A score of a customer of another shard.</exception>
    public async Task<int> WriteAsync(RunRecord run, int shard, IReadOnlyList<CustomerScore> scores, CancellationToken cancellationToken)
    {
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

        var still = await customers.ReadConsentAsync(partition, cancellationToken);
        foreach (var erased in kept.Where(s => !still.ContainsKey(s.CustomerId)))
        {
            await DeleteIfExistsAsync(table, ScoreEntity.ForSegment(erased), cancellationToken);
            await DeleteIfExistsAsync(table, ScoreEntity.From(erased), cancellationToken);
        }

        return kept.Count(s => still.ContainsKey(s.CustomerId));
    }

    private static async Task UpsertAsync(TableClient table, ScoreEntity[] chunk, CancellationToken cancellationToken)
        => await table.SubmitTransactionAsync(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), cancellationToken);

    private static async Task DeleteIfExistsAsync(TableClient table, ScoreEntity row, CancellationToken cancellationToken)
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

    private async Task DeleteHandOffAsync(ShardMessage message, CancellationToken cancellationToken)
        => await tables.RunResults.GetBlobClient(ScoringRunService.ShardBlobName(message.RunId, message.Shard)).DeleteIfExistsAsync(cancellationToken: cancellationToken);
}
