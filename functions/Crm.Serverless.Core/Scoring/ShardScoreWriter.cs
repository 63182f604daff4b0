using Azure;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Scoring;

/// <summary>
/// Writes one shard's scores of a run to the Scores table in 100-entity batches (the nightly stage 3,
/// <see cref="Nightly.ScoreShard"/>). Idempotent: a retried shard upserts the same rows again. A backfill that does
/// not publish writes no Scores rows. Erase wins: only customers whose row is still stored get a score, and those
/// whose row is gone after the write are deleted again. An erase removes the customer row before the Scores row
/// (<see cref="CrmTables.CustomerKeyedTables"/>), so whichever way an erase and this write interleave, the erased
/// customer ends without a Scores row.
/// </summary>
public sealed class ShardScoreWriter(CrmTables tables, CustomerReader customers, ILogger<ShardScoreWriter> logger)
{
    /// <returns>How many rows were written (and left standing).</returns>
    public async Task<int> WriteAsync(RunRecord run, int shard, IReadOnlyList<CustomerScore> scores, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(scores);
        if (!run.Published)
        {
            return 0;
        }

        var written = await WriteStoredAsync([.. scores], CrmKeys.Partition(shard), cancellationToken);
        logger.LogInformation("Shard {Shard} of run {RunId}: {Customers} scores written", shard, run.RunId, written.Length);
        return written.Length;
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
}
