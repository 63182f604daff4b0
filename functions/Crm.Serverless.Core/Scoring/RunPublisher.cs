using Azure;
using Azure.Storage.Blobs.Models;
using Crm.Serverless.Core.Export;
using Crm.Serverless.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Scoring;

/// <summary>
/// Makes a complete run what readers see, then prunes: the one step after a run's last shard is written (today's
/// queue path calls it from <see cref="ShardScoreWriter"/>, the staged night from its completing stage). Idempotent,
/// so a redelivered completion, or one that died half-way, can simply call it again.
/// </summary>
public sealed class RunPublisher(RunStore runs, CrmTables tables, IOptions<NightlyOptions> options, TimeProvider clock, ILogger<RunPublisher> logger)
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
    /// staged segment CSVs left behind by a process that died while sending one.
    /// </summary>
    /// <returns>The runs pruned.</returns>
    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        var current = await runs.GetCurrentRunIdAsync(cancellationToken);
        var finished = (await runs.ListUnprunedAsync(cancellationToken))
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
}
