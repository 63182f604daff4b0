using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Propensity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Nightly;

/// <summary>A stage invocation failed: the run is stalled where it stopped and can be resumed.</summary>
public sealed class NightStalledException(string message, Exception inner) : Exception(message, inner);

/// <summary>One stage invocation to run, as queued on the score queue: stage, and the shard (0 for a once-stage).</summary>
public sealed record StageMessage(string RunId, NightStage Stage, int Shard);

/// <summary>What each stage of a night cost: invocations, seconds, storage requests, entities read and written.</summary>
public sealed record StageFigures(NightStage Stage, int Invocations, double Seconds, long Requests, long EntitiesRead, long EntitiesWritten);

public sealed record NightResult(RunRecord Run, IReadOnlyList<StageFigures> Stages);

/// <summary>A run as <c>crm runs list</c> shows it: its record and how far each stage got.</summary>
public sealed record RunListing(RunRecord Run, NightStatus Progress, bool Stalled);

/// <summary>
/// A night as five stages (<see cref="SummariseShard"/>, <see cref="FitModels"/>, <see cref="ScoreShard"/>,
/// <see cref="WriteRunArtefacts"/>, <see cref="CompleteRun"/>), each a bounded invocation whose completion is recorded per shard in the Runs table
/// (<see cref="NightProgress"/>). In process (<c>crm score</c>, the tests) the shards of a stage run in parallel here;
/// in the Functions app each invocation is a message on the score queue and the last shard of a stage queues the next
/// stage (<see cref="HandleAsync"/>). Either way a stalled night resumes by running only what is missing.
/// One run at a time: the lease serialises starts and in-process runs; between queued stages the unfinished run
/// record itself refuses a second start until it completes or stalls (<see cref="NightlyOptions.StalledAfterMinutes"/>).
/// </summary>
public sealed class NightlyJob(
    SummariseShard summarise,
    FitModels fit,
    ScoreShard score,
    WriteRunArtefacts runArtefacts,
    CompleteRun complete,
    NightProgress progress,
    NightlyArtefacts artefacts,
    HistoryReader histories,
    ShardInteractions interactions,
    ModelTrainingService training,
    RunStore runs,
    RunLease lease,
    CrmTables tables,
    StorageRequestCounter requests,
    IOptions<NightlyOptions> options,
    TimeProvider clock,
    ILogger<NightlyJob> logger)
{
    /// <summary>The whole night in this process; returns the completed run record.</summary>
    /// <param name="publish">Let a backfill (as of a day before the current run's) replace the Scores rows and become current.</param>
    /// <exception cref="RunInProgressException">Another run holds the lease or is still going.</exception>
    public async Task<RunRecord> RunAsync(DateOnly? asOf, bool train, int parallelism, CancellationToken cancellationToken, bool publish = false)
        => (await RunWithFiguresAsync(asOf, train, parallelism, publish, cancellationToken)).Run;

    /// <inheritdoc cref="RunAsync"/>
    public async Task<NightResult> RunWithFiguresAsync(DateOnly? asOf, bool train, int parallelism, bool publish, CancellationToken cancellationToken)
    {
        await using var held = await lease.AcquireAsync(cancellationToken);
        var plan = await CreateAsync(asOf, train, publish, cancellationToken);
        return await RunStagesAsync(plan, parallelism, cancellationToken);
    }

    /// <summary>Creates the run and queues its stage 1 messages, one per shard: the Functions app's nightly start.</summary>
    /// <exception cref="RunInProgressException">Another run holds the lease or is still going.</exception>
    public async Task<RunRecord> StartAsync(DateOnly? asOf, CancellationToken cancellationToken)
    {
        await using var held = await lease.AcquireAsync(cancellationToken);
        var plan = await CreateAsync(asOf, train: true, publish: false, cancellationToken);
        await QueueAsync(plan, NightStage.SummariseShard, cancellationToken);
        logger.LogInformation("Run {RunId} as of {AsOf}: {Shards} stage 1 messages queued", plan.RunId, plan.AsOf, plan.Shards);
        return (await runs.GetAsync(plan.RunId, cancellationToken))!;
    }

    /// <summary>Runs what a stalled night is missing, in this process, and returns it completed.</summary>
    /// <exception cref="RunInProgressException">Another run holds the lease.</exception>
    /// <exception cref="KeyNotFoundException">No such run.</exception>
    public async Task<NightResult> ResumeAsync(string runId, int parallelism, CancellationToken cancellationToken)
    {
        await using var held = await lease.AcquireAsync(cancellationToken);
        var plan = await artefacts.ReadIfExistsAsync<NightPlan>(NightlyArtefacts.Plan(runId), cancellationToken)
            ?? throw new KeyNotFoundException($"There is no staged run {runId}.");
        return await RunStagesAsync(plan, parallelism, cancellationToken);
    }

    /// <summary>Runs the missing invocations of every stage in order.</summary>
    public async Task<NightResult> RunStagesAsync(NightPlan plan, int parallelism, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var figures = new List<StageFigures>();
        foreach (var stage in Enum.GetValues<NightStage>())
        {
            figures.Add(await RunStageAsync(plan, stage, parallelism, cancellationToken));
        }

        var run = (await runs.GetAsync(plan.RunId, cancellationToken))!;
        logger.LogInformation("Run {RunId} as of {AsOf}: {Customers} customers, status {Status}", run.RunId, run.AsOf, run.Customers, run.Status);
        return new NightResult(run, figures);
    }

    /// <summary>Runs the invocations of one stage that have not completed yet, <paramref name="parallelism"/> at a time.</summary>
    public async Task<StageFigures> RunStageAsync(NightPlan plan, NightStage stage, int parallelism, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var status = await progress.GetAsync(plan.RunId, plan.Shards, cancellationToken);
        var missing = Enumerable.Range(0, NightStatus.ShardsOf(stage, plan.Shards)).Where(s => !status.Done[stage].Contains(s)).ToList();
        var before = requests.Count;
        var stopwatch = Stopwatch.StartNew();
        long read = 0, written = 0;
        var failed = new ConcurrentDictionary<int, Exception>();

        // A failing shard does not stop the others: they finish and are recorded, so a resume runs only what failed.
        await Parallel.ForEachAsync(
            missing,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken },
            async (shard, ct) =>
            {
                try
                {
                    var (r, w) = await InvokeAsync(plan, stage, shard, ct);
                    Interlocked.Add(ref read, r);
                    Interlocked.Add(ref written, w);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    failed[shard] = exception;
                }
            });
        if (failed.Values.OfType<InsufficientDataException>().FirstOrDefault() is { } insufficient)
        {
            // Too little data is an answer, not a stall: the run ends, and the caller says why (the demo: "Not scored").
            if (await runs.GetAsync(plan.RunId, cancellationToken) is { } record)
            {
                await runs.CreateAsync(record with { Status = RunStatus.NotScored }, cancellationToken);
            }

            throw insufficient;
        }

        if (!failed.IsEmpty)
        {
            logger.LogError(failed.Values.First(), "Run {RunId} stalled in stage {Stage}: {Failed} invocations failed", plan.RunId, stage, failed.Count);
            throw new NightStalledException(
                $"Run {plan.RunId} stalled in stage {(int)stage} ({stage}): shards {string.Join(", ", failed.Keys.Order())} failed ({failed.Values.First().Message}). Fix the cause, then `crm runs resume {plan.RunId}`.",
                failed.Values.First());
        }

        return new StageFigures(stage, missing.Count, stopwatch.Elapsed.TotalSeconds, requests.Count - before, read, written);
    }

    /// <summary>
    /// One queued invocation: runs it unless already done, then, if it was the last of its stage, queues the next
    /// stage. Only the invocation that inserts the stage's "advanced" row queues it, so a redelivered or concurrent
    /// last shard never queues a stage twice.
    /// </summary>
    public async Task HandleAsync(StageMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var plan = await artefacts.ReadIfExistsAsync<NightPlan>(NightlyArtefacts.Plan(message.RunId), cancellationToken);
        if (plan is null)
        {
            logger.LogWarning("Stage {Stage} shard {Shard}: run {RunId} has no plan; nothing to do", message.Stage, message.Shard, message.RunId);
            return;
        }

        var status = await progress.GetAsync(plan.RunId, plan.Shards, cancellationToken);
        if (!status.Done[message.Stage].Contains(message.Shard))
        {
            await InvokeAsync(plan, message.Stage, message.Shard, cancellationToken);
            status = await progress.GetAsync(plan.RunId, plan.Shards, cancellationToken);
        }

        if (status.IsDone(message.Stage) && message.Stage != NightStage.CompleteRun)
        {
            try
            {
                await tables.Runs.AddEntityAsync(new TableEntity(plan.RunId, $"advanced-{(int)message.Stage}"), cancellationToken);
            }
            catch (RequestFailedException exception) when (exception.Status == 409)
            {
                return;
            }

            await QueueAsync(plan, message.Stage + 1, cancellationToken);
        }
    }

    /// <summary>The newest runs with their progress; an unfinished run without progress for a while is stalled.</summary>
    public async Task<List<RunListing>> ListAsync(int max, CancellationToken cancellationToken)
    {
        var listings = new List<RunListing>();
        foreach (var run in await runs.ListAsync(max, cancellationToken))
        {
            var status = await progress.GetAsync(run.RunId, run.Shards, cancellationToken);
            listings.Add(new RunListing(run, status, run.Status == RunStatus.Scoring && IsStalled(run, status)));
        }

        return listings;
    }

    /// <summary>Trains, evaluates, registers and gates both models on every history; scores nothing (<c>crm train</c>).</summary>
    public async Task<IReadOnlyList<TrainingSummary>> TrainAsync(DateOnly? asOf, CancellationToken cancellationToken)
    {
        var all = await histories.ReadAllAsync(cancellationToken);
        if (all.Count == 0)
        {
            throw new InsufficientDataException("There are no purchases to learn from yet.");
        }

        var date = asOf ?? DateOnly.FromDateTime(all.Max(h => h.Purchases[^1].TimestampUtc));
        var table = PurchaseTable.From(all, await interactions.ReadAllAsync(cancellationToken), shopSendsInteractions: true);
        var trained = new List<TrainingSummary>();
        foreach (var target in Enum.GetValues<PropensityTarget>())
        {
            trained.Add(await training.TrainAsync(table, NightPlan.AsOfEnd(date), target, cancellationToken));
        }

        return trained;
    }

    private async Task<(long Read, long Written)> InvokeAsync(NightPlan plan, NightStage stage, int shard, CancellationToken cancellationToken)
    {
        (long Read, long Written, long Customers) result = stage switch
        {
            NightStage.SummariseShard => await SummariseAsync(plan, shard, cancellationToken),
            NightStage.FitModels => (0, 0, (await fit.RunAsync(plan, cancellationToken)).Clv.Customers),
            NightStage.ScoreShard => await ScoreAsync(plan, shard, cancellationToken),
            NightStage.RunArtefacts => await RunArtefactsAsync(plan, cancellationToken),
            _ => (0, 0, (await complete.RunAsync(plan, cancellationToken)).Customers),
        };
        await progress.MarkDoneAsync(plan.RunId, stage, shard, result.Customers, cancellationToken);
        return (result.Read, result.Written);
    }

    private async Task<(long, long, long)> SummariseAsync(NightPlan plan, int shard, CancellationToken cancellationToken)
    {
        var summary = await summarise.RunAsync(plan, shard, cancellationToken);
        return (summary.RowsRead, 0, summary.Customers);
    }

    private async Task<(long, long, long)> RunArtefactsAsync(NightPlan plan, CancellationToken cancellationToken)
    {
        await runArtefacts.RunAsync(plan, cancellationToken);
        return (0, 0, 0);
    }

    private async Task<(long, long, long)> ScoreAsync(NightPlan plan, int shard, CancellationToken cancellationToken)
    {
        var scored = await score.RunAsync(plan, shard, cancellationToken);
        return (scored.EntitiesRead, scored.EntitiesWritten, scored.Customers);
    }

    /// <summary>
    /// A run as of a day before the current run's is a backfill: unless published it leaves the Scores rows, the
    /// current run and the promoted models as they are, and keeps only its run record and report.
    /// </summary>
    private async Task<NightPlan> CreateAsync(DateOnly? asOf, bool train, bool publish, CancellationToken cancellationToken)
    {
        foreach (var listing in await ListAsync(5, cancellationToken))
        {
            if (listing.Run.Status == RunStatus.Scoring && !listing.Stalled)
            {
                throw new RunInProgressException(
                    $"Run {listing.Run.RunId} is still going (stage {(int?)listing.Progress.Current}); wait for it, or resume it if it stalls (crm runs resume {listing.Run.RunId}).");
            }
        }

        var date = asOf ?? await LatestPurchaseDayAsync(cancellationToken);
        var backfill = await runs.GetLatestCompleteAsync(cancellationToken) is { } current && date < current.AsOf;
        var plan = new NightPlan(runs.NewRunId(), date, train, backfill, !backfill || publish, CrmKeys.ShardCount, await interactions.StoreHasAnyAsync(cancellationToken));
        await artefacts.WriteAsync(NightlyArtefacts.Plan(plan.RunId), plan, cancellationToken);
        await runs.CreateAsync(
            new RunRecord(
                plan.RunId, plan.AsOf, RunStatus.Scoring, plan.Shards, 0, clock.GetUtcNow(), null, [],
                new ClvFitSummary(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, string.Empty, 0), [], new Dictionary<string, double>(),
                Backfill: plan.Backfill, Published: plan.Publish),
            cancellationToken);
        return plan;
    }

    /// <summary>
    /// Without a date a run is as of the latest purchase day, so a replayed export is scored as it stood. Finding it
    /// costs one extra pass over the purchase rows (shard by shard, nothing kept); the timer always passes a date.
    /// </summary>
    private async Task<DateOnly> LatestPurchaseDayAsync(CancellationToken cancellationToken)
    {
        long latest = long.MinValue;
        await Parallel.ForEachAsync(
            Enumerable.Range(0, CrmKeys.ShardCount),
            new ParallelOptions { MaxDegreeOfParallelism = options.Value.ReadParallelism, CancellationToken = cancellationToken },
            async (shard, ct) =>
            {
                foreach (var history in await histories.ReadShardAsync(shard, ct))
                {
                    var ticks = history.Purchases[^1].TimestampUtc.Ticks;
                    long seen;
                    while ((seen = Interlocked.Read(ref latest)) < ticks && Interlocked.CompareExchange(ref latest, ticks, seen) != seen)
                    {
                    }
                }
            });
        return latest == long.MinValue
            ? throw new InsufficientDataException("There are no purchases to learn from yet.")
            : DateOnly.FromDateTime(new DateTime(latest, DateTimeKind.Utc));
    }

    private bool IsStalled(RunRecord run, NightStatus status)
        => clock.GetUtcNow() - (status.LastProgressAt ?? run.CreatedAt) > TimeSpan.FromMinutes(options.Value.StalledAfterMinutes);

    private async Task QueueAsync(NightPlan plan, NightStage stage, CancellationToken cancellationToken)
    {
        for (var shard = 0; shard < NightStatus.ShardsOf(stage, plan.Shards); shard++)
        {
            await tables.ScoreQueue.SendMessageAsync(JsonSerializer.Serialize(new StageMessage(plan.RunId, stage, shard)), cancellationToken);
        }
    }
}
