using Azure;
using Azure.Storage.Blobs.Models;
using Crm.Serverless.Core.Export;
using Crm.Serverless.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Scoring;

/// <summary>
/// Makes a complete run what readers see, then prunes: the one step after a run's last shard is written (called by
/// <see cref="Nightly.CompleteRun"/>). Idempotent,
/// so a redelivered completion, or one that died half-way, can simply call it again.
/// </summary>
public sealed class RunPublisher(RunStore runs, CrmTables tables, Privacy.EraseLog eraseLog, IOptions<NightlyOptions> options, TimeProvider clock, ILogger<RunPublisher> logger)
{
    /// <summary>A staged segment CSV is sent within seconds; one this old was left by a process that died sending it.</summary>
    private static readonly TimeSpan StagedCsvLifetime = TimeSpan.FromHours(1);

    /// <summary>Swaps the current-run pointer to <paramref name="run"/> if it wins, and then prunes old runs' scores.</summary>
    /// <returns>True when the run became current.</returns>
    public async Task<bool> PublishAsync(RunRecord run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var swapped = await runs.TrySwapCurrentAsync(run, cancellationToken);
        if (swapped && run.Backfill)
        {
            await runs.SupersedeLaterAsync(run, cancellationToken);
        }

        if (swapped)
        {
            logger.LogInformation("Run {RunId} as of {AsOf} is now the current run", run.RunId, run.AsOf);
            await PruneAsync(cancellationToken);
        }

        return swapped;
    }

    /// <summary>
    /// Deletes the scores tables of finished runs beyond <see cref="NightlyOptions.RunRetention"/>: the current run and
    /// the most recently completed others are kept; a run still scoring is never touched, however old. Also sweeps
    /// staged segment CSVs left behind by a process that died while sending one, and the erase log's old rows.
    /// </summary>
    /// <returns>The runs pruned.</returns>
    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        var current = await runs.GetCurrentRunIdAsync(cancellationToken);
        var unpruned = await runs.ListUnprunedAsync(cancellationToken);
        await PruneEraseLogAsync(unpruned, cancellationToken);
        var finished = unpruned
            .Where(r => r.Status is RunStatus.Complete or RunStatus.Superseded)
            .OrderByDescending(r => r.RunId == current)
            .ThenByDescending(r => r.CompletedAt)
            .ToList();
        var pruned = 0;
        foreach (var run in finished.Skip(options.Value.RunRetention))
        {
            try
            {
                await tables.RunScores(run.RunId).DeleteAsync(cancellationToken);
            }
            catch (RequestFailedException exception) when (exception.Status == 404)
            {
                // Deleted already by an earlier attempt that died before recording it.
            }

            await runs.MarkPrunedAsync(run.RunId, cancellationToken);
            pruned++;
        }

        await foreach (var blob in tables.RunResults.GetBlobsAsync(BlobTraits.None, BlobStates.None, CustomerCsvExporter.StagingPrefix, cancellationToken))
        {
            if (blob.Properties.LastModified < clock.GetUtcNow() - StagedCsvLifetime)
            {
                await tables.RunResults.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken);
            }
        }

        if (pruned > 0)
        {
            logger.LogInformation("Pruned the scores of {Runs} runs, keeping {Retention}", pruned, options.Value.RunRetention);
        }

        return pruned;
    }

    /// <summary>
    /// An erase row matters only to a run that may still write scores (status scoring, a stalled one too, since it can be
    /// resumed) and that was created less than <see cref="Privacy.EraseLog.Lookback"/> after it. So rows older than the
    /// window start of the oldest such run go, or with none, older than now's window start (a run created from now on
    /// reads no further back). Finished runs' tables were already cleaned by the erase itself.
    /// </summary>
    private async Task PruneEraseLogAsync(IReadOnlyList<RunStore.RetainedRun> unpruned, CancellationToken cancellationToken)
    {
        var oldest = unpruned.Where(r => r.Status == RunStatus.Scoring && r.CreatedAt is not null).Select(r => r.CreatedAt!.Value).Append(clock.GetUtcNow()).Min();
        var removed = await eraseLog.PruneAsync(Privacy.EraseLog.WindowStart(oldest), cancellationToken);
        if (removed > 0)
        {
            logger.LogInformation("Pruned {Rows} erase-log rows older than the oldest run in progress", removed);
        }
    }
}
