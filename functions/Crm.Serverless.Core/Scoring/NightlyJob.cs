using System.Diagnostics;
using System.Text.Json;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Propensity;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Scoring;

/// <summary>
/// The nightly run: read every history once, train and gate both models, score and segment everyone, then fan
/// the writing out by shard — through the score queue (the Functions app) or in this process (the CLI, tests).
/// </summary>
public sealed class NightlyJob(
    HistoryReader histories,
    ModelTrainingService training,
    ScoringRunService scoring,
    ShardScoreWriter shards,
    CrmTables tables,
    RunStore runs,
    RunLease lease,
    Campaigns.CampaignRunFigures campaigns,
    Recommendations.RecommendationRunService recommendations,
    ILogger<NightlyJob> logger)
{
    /// <summary>Trains, scores and queues one message per shard for the fan-out, holding the run lease until queued.</summary>
    /// <exception cref="RunInProgressException">Another run holds the lease.</exception>
    public async Task<RunRecord> StartAsync(DateOnly? asOf, CancellationToken cancellationToken)
    {
        await using var held = await lease.AcquireAsync(cancellationToken);
        var run = await PrepareAsync(asOf, train: true, publish: false, cancellationToken);
        for (var shard = 0; shard < run.Shards; shard++)
        {
            await tables.ScoreQueue.SendMessageAsync(JsonSerializer.Serialize(new ShardMessage(run.RunId, shard)), cancellationToken);
        }

        logger.LogInformation("Run {RunId} as of {AsOf}: {Customers} customers scored, {Shards} shard messages queued", run.RunId, run.AsOf, run.Customers, run.Shards);
        return run;
    }

    /// <summary>The same run with the shards written here, in parallel; returns the completed run record.</summary>
    /// <param name="publish">Let a backfill (as of a day before the current run's) replace the Scores rows and become current.</param>
    /// <exception cref="RunInProgressException">Another run holds the lease.</exception>
    public async Task<RunRecord> RunAsync(DateOnly? asOf, bool train, int parallelism, CancellationToken cancellationToken, bool publish = false)
    {
        await using var held = await lease.AcquireAsync(cancellationToken);
        var run = await PrepareAsync(asOf, train, publish, cancellationToken);
        var stopwatch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, run.Shards),
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (shard, ct) => await shards.ProcessAsync(new ShardMessage(run.RunId, shard), ct));
        var completed = await runs.GetAsync(run.RunId, cancellationToken) ?? run;
        logger.LogInformation("Run {RunId} scores written in {Seconds:0.0} s", run.RunId, stopwatch.Elapsed.TotalSeconds);
        return completed;
    }

    /// <summary>Trains, evaluates, registers and gates both models; scores nothing.</summary>
    public async Task<IReadOnlyList<TrainingSummary>> TrainAsync(DateOnly? asOf, CancellationToken cancellationToken)
    {
        var (all, table, date) = await ReadAsync(asOf, [], cancellationToken);
        return await TrainAsync(table, date, [], promote: true, cancellationToken);
    }

    /// <summary>
    /// A run as of a day before the current run's is a backfill: unless published it leaves the Scores rows, the
    /// current run and the promoted models as they are, and keeps only its run record and report.
    /// </summary>
    private async Task<RunRecord> PrepareAsync(DateOnly? asOf, bool train, bool publish, CancellationToken cancellationToken)
    {
        var steps = new Dictionary<string, double>();
        var (all, table, date) = await ReadAsync(asOf, steps, cancellationToken);
        var backfill = await runs.GetLatestCompleteAsync(cancellationToken) is { } current && date < current.AsOf;
        var published = !backfill || publish;
        var trained = train ? await TrainAsync(table, date, steps, published, cancellationToken) : [];
        var run = await scoring.PrepareAsync(all, table, date, trained, steps, cancellationToken, backfill, published);

        // nightly hook: campaign figures as of the run, from the histories already read (the report reads the artefact)
        await campaigns.WriteAsync(run, all, cancellationToken);

        // nightly hook: recommendations (an unpublished backfill leaves the served recommendations as they are)
        if (published)
        {
            await recommendations.RunAsync(run.RunId, date, cancellationToken);
        }

        return run;
    }

    private async Task<(List<Ml.Data.CustomerHistory> All, PurchaseTable Table, DateOnly AsOf)> ReadAsync(DateOnly? asOf, Dictionary<string, double> steps, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var all = await histories.ReadAllAsync(cancellationToken);
        if (all.Count == 0)
        {
            throw new InsufficientDataException("There are no purchases to learn from yet.");
        }

        // Without a date the run is as of the latest purchase day, so a replayed export is scored as it stood.
        var date = asOf ?? DateOnly.FromDateTime(all.Max(h => h.Purchases[^1].TimestampUtc));
        // nightly hook: interaction features. Each customer's interactions (the interactions' InteractionReader), or
        // null while the shop sends none: the models then train and score without the interaction features.
        IReadOnlyDictionary<string, IReadOnlyList<InteractionEvent>>? interactions = null;
        var table = PurchaseTable.From(all, interactions);
        steps["readHistories"] = stopwatch.Elapsed.TotalSeconds;
        return (all, table, date);
    }

    private async Task<List<TrainingSummary>> TrainAsync(PurchaseTable table, DateOnly asOf, Dictionary<string, double> steps, bool promote, CancellationToken cancellationToken)
    {
        var trained = new List<TrainingSummary>();
        foreach (var target in Enum.GetValues<PropensityTarget>())
        {
            var stopwatch = Stopwatch.StartNew();
            trained.Add(await training.TrainAsync(table, ScoringRunService.AsOfEnd(asOf), target, cancellationToken, promote));
            steps["train" + target] = stopwatch.Elapsed.TotalSeconds;
        }

        return trained;
    }
}
