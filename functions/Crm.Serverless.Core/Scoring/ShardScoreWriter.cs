using Azure;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Scoring;

/// <summary>A unit of scoring fan-out: one run, one shard.</summary>
public sealed record ShardMessage(string RunId, int Shard);

/// <summary>
/// Writes one shard's scores to the Scores table in 100-entity batches. Idempotent: a retried shard upserts the
/// same rows again, a shard already marked done is skipped, and a run already complete is left alone. The shard that
/// completes the run publishes its report; a redelivered message finishes that job if the first attempt died in it.
/// A backfill that does not publish writes no Scores rows: its hand-offs stay until its report is built from them.
/// Erase wins: only customers whose row is still stored get a score, and those whose row is gone after the write are
/// deleted again. An erase removes the customer row before the Scores row (<see cref="CrmTables.CustomerKeyedTables"/>),
/// so whichever way an erase and this write interleave, the erased customer ends without a Scores row.
/// </summary>
public sealed class ShardScoreWriter(CrmTables tables, CustomerReader customers, RunStore runs, IRunReportPublisher reports, ILogger<ShardScoreWriter> logger)
{
    public async Task<int> ProcessAsync(ShardMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var run = await runs.GetAsync(message.RunId, cancellationToken);
        if (run is { Status: RunStatus.Complete or RunStatus.Superseded })
        {
            await reports.EnsurePublishedAsync(run, cancellationToken);
            await DeleteHandOffsAsync(run, cancellationToken);
            logger.LogInformation("Shard {Shard} of run {RunId} needs no work", message.Shard, message.RunId);
            return 0;
        }

        if (run is null || await runs.IsShardDoneAsync(message.RunId, message.Shard, cancellationToken))
        {
            logger.LogInformation("Shard {Shard} of run {RunId} needs no work", message.Shard, message.RunId);
            return 0;
        }

        var scores = await ScoringRunService.ReadShardAsync(tables, message.RunId, message.Shard, cancellationToken);
        if (run.Published)
        {
            scores = await WriteStoredAsync(scores, CrmKeys.Partition(message.Shard), cancellationToken);
        }

        var completed = await runs.MarkShardDoneAsync(message.RunId, message.Shard, scores.Length, cancellationToken);
        if (run.Published)
        {
            // The scores live in the table now; the hand-off holds customer data that an erasure would not reach.
            await tables.RunResults.GetBlobClient(ScoringRunService.ShardBlobName(message.RunId, message.Shard)).DeleteIfExistsAsync(cancellationToken: cancellationToken);
        }

        if (completed)
        {
            var finished = (await runs.GetAsync(message.RunId, cancellationToken))!;
            if (finished is { Backfill: true, Published: true })
            {
                await runs.SupersedeLaterAsync(finished, cancellationToken);
            }

            await reports.PublishAsync(finished, cancellationToken);
            await DeleteHandOffsAsync(finished, cancellationToken);
        }

        logger.LogInformation("Shard {Shard} of run {RunId}: {Customers} scores written; run complete: {Completed}", message.Shard, message.RunId, scores.Length, completed);
        return scores.Length;
    }

    /// <summary>
    /// Upserts the scores of customers still stored, then deletes the rows of any whose customer row went meanwhile:
    /// if the erase deleted the customer row before the second read, this deletes the score; if after, the erase's own
    /// Scores delete comes after this upsert. Reads keys and one column of the shard twice (1,000 rows a request).
    /// </summary>
    /// <returns>The scores written.</returns>
    private async Task<CustomerScore[]> WriteStoredAsync(CustomerScore[] scores, string partition, CancellationToken cancellationToken)
    {
        var stored = await customers.ReadConsentAsync(partition, cancellationToken);
        var kept = scores.Where(s => stored.ContainsKey(s.CustomerId)).ToArray();
        foreach (var chunk in kept.Select(ScoreEntity.From).Chunk(100))
        {
            await tables.Scores.SubmitTransactionAsync(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), cancellationToken);
        }

        var still = await customers.ReadConsentAsync(partition, cancellationToken);
        foreach (var erased in kept.Where(s => !still.ContainsKey(s.CustomerId)))
        {
            try
            {
                await tables.Scores.DeleteEntityAsync(partition, CrmKeys.CustomerRow(erased.CustomerId), ETag.All, cancellationToken);
            }
            catch (RequestFailedException exception) when (exception.Status == 404)
            {
                // The erase got there first.
            }
        }

        return [.. kept.Where(s => still.ContainsKey(s.CustomerId))];
    }

    /// <summary>An unpublished backfill's report is built from its hand-offs; once it is stored they go.</summary>
    private async Task DeleteHandOffsAsync(RunRecord run, CancellationToken cancellationToken)
    {
        if (!run.Published)
        {
            for (var shard = 0; shard < run.Shards; shard++)
            {
                await tables.RunResults.GetBlobClient(ScoringRunService.ShardBlobName(run.RunId, shard)).DeleteIfExistsAsync(cancellationToken: cancellationToken);
            }
        }
    }
}
