using System.Collections.Concurrent;
using System.Diagnostics;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Propensity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Nightly;

/// <summary>A stage invocation failed: the run is stalled where it stopped and can be resumed.</summary>
public sealed class NightStalledException(string message, Exception inner) : Exception(message, inner);

/// <summary>What one stage invocation did: customers it covered, entities read and written (small: an activity's result).</summary>
public sealed record StageInvocation(long Customers, long EntitiesRead, long EntitiesWritten);

/// <summary>What each stage of a night cost: invocations, seconds, storage requests, entities read and written.</summary>
public sealed record StageFigures(NightStage Stage, int Invocations, double Seconds, long Requests, long EntitiesRead, long EntitiesWritten);

public sealed record NightResult(RunRecord Run, IReadOnlyList<StageFigures> Stages);

/// <summary>A run as <c>crm runs list</c> shows it: its record and how far each stage got.</summary>
public sealed record RunListing(RunRecord Run, NightStatus Progress, bool Stalled);

/// <summary>
/// A night as five stages (<see cref="SummariseShard"/>, <see cref="FitModels"/>, <see cref="ScoreShard"/>,
/// <see cref="WriteRunArtefacts"/>, <see cref="CompleteRun"/>), each a bounded invocation whose completion is recorded per shard in the Runs table
/// (<see cref="NightProgress"/>). In process (<c>crm score</c>, <c>crm runs resume</c>, the tests) the shards of a stage
/// run in parallel here; in the Functions app a Durable Functions orchestration (Functions/Orchestration/NightOrchestration.cs)
/// creates the run with <see cref="StartAsync"/> and runs each invocation as an activity through
/// <see cref="RunInvocationAsync"/>. Either way a stalled night resumes by running only what is missing.
/// One run at a time: the lease serialises starts and in-process runs; while the orchestration runs its stages the
/// unfinished run record itself refuses a second start until it completes or stalls.
/// </summary>
public sealed class NightlyJob(
    SummariseShard summarise,
    FitModels fit,
    ScoreShard score,
    WriteRunArtefacts runArtefacts,
    CompleteRun complete,
    NightProgress progress,
    NightlyArtefacts artefacts,
    ShardSummaryReader summaries,
    ShardInteractions interactions,
    ModelTrainingService training,
    RunStore runs,
    RunLease lease,
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

    /// <summary>
    /// Creates the run (record and plan) and runs nothing: the first step of the Functions app's nightly orchestration,
    /// whose activities then run the invocations (<see cref="RunInvocationAsync"/>).
    /// </summary>
    /// <exception cref="RunInProgressException">Another run holds the lease or is still going.</exception>
    public async Task<RunRecord> StartAsync(DateOnly? asOf, CancellationToken cancellationToken)
    {
        await using var held = await lease.AcquireAsync(cancellationToken);
        var plan = await CreateAsync(asOf, train: true, publish: false, cancellationToken);
        logger.LogInformation("Run {RunId} as of {AsOf}: planned over {Shards} shards", plan.RunId, plan.AsOf, plan.Shards);
        return (await runs.GetAsync(plan.RunId, cancellationToken))!;
    }

    /// <summary>
    /// Runs what a stalled night is missing, in this process, and returns it completed. A run still going (its
    /// orchestration working or retrying, with progress recently) is refused: the two would run the same shards.
    /// </summary>
    /// <exception cref="RunInProgressException">Another run holds the lease, or this run is still going.</exception>
    /// <exception cref="KeyNotFoundException">No such run.</exception>
    public async Task<NightResult> ResumeAsync(string runId, int parallelism, CancellationToken cancellationToken)
    {
        await using var held = await lease.AcquireAsync(cancellationToken);
        var plan = await artefacts.ReadIfExistsAsync<NightPlan>(NightlyArtefacts.Plan(runId), cancellationToken)
            ?? throw new KeyNotFoundException($"There is no staged run {runId}.");
        if (await runs.GetAsync(runId, cancellationToken) is { Status: RunStatus.Scoring } run
            && await progress.GetAsync(runId, plan.Shards, cancellationToken) is var status
            && !IsStalled(run, status))
        {
            throw new RunInProgressException(
                $"Run {runId} is still going (stage {(int?)status.Current}); resume it once `crm runs list` shows it stalled.");
        }

        return await RunStagesAsync(plan, parallelism, cancellationToken);
    }

    /// <summary>
    /// One invocation of a stage (a shard of stage 1 or 3, shard 0 of a once-stage), as an orchestration activity runs
    /// it: skipped if already recorded done, so a retried or redelivered activity does no work twice.
    /// </summary>
    /// <exception cref="InsufficientDataException">Too little data to model: the run is recorded NotScored.</exception>
    public async Task<StageInvocation> RunInvocationAsync(string runId, NightStage stage, int shard, CancellationToken cancellationToken)
    {
        if (await progress.IsDoneAsync(runId, stage, shard, cancellationToken))
        {
            return new StageInvocation(0, 0, 0);
        }

        var plan = await artefacts.ReadAsync<NightPlan>(NightlyArtefacts.Plan(runId), cancellationToken);
        try
        {
            return await InvokeAsync(plan, stage, shard, cancellationToken);
        }
        catch (InsufficientDataException)
        {
            await MarkNotScoredAsync(runId, cancellationToken);
            throw;
        }
    }

    /// <summary>The orchestration gave up on <paramref name="stage"/>: the run shows stalled now and resumes in the CLI.</summary>
    public async Task MarkStalledAsync(string runId, NightStage stage, CancellationToken cancellationToken)
    {
        await progress.MarkStalledAsync(runId, stage, cancellationToken);
        logger.LogError("Run {RunId} stalled in stage {Stage}: an invocation failed after its retries; resume it with crm runs resume", runId, stage);
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
                    var done = await InvokeAsync(plan, stage, shard, ct);
                    Interlocked.Add(ref read, done.EntitiesRead);
                    Interlocked.Add(ref written, done.EntitiesWritten);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    failed[shard] = exception;
                }
            });
        if (failed.Values.OfType<InsufficientDataException>().FirstOrDefault() is { } insufficient)
        {
            await MarkNotScoredAsync(plan.RunId, cancellationToken);
            throw insufficient;
        }

        if (!failed.IsEmpty)
        {
            logger.LogError(failed.Values.First(), "Run {RunId} stalled in stage {Stage}: {Failed} invocations failed", plan.RunId, stage, failed.Count);

            // Marked at once, as the orchestration marks it: nothing is working on the run any more, so a resume may start now.
            await progress.MarkStalledAsync(plan.RunId, stage, cancellationToken);
            throw new NightStalledException(
                $"Run {plan.RunId} stalled in stage {(int)stage} ({stage}): shards {string.Join(", ", failed.Keys.Order())} failed ({failed.Values.First().Message}). Fix the cause, then `crm runs resume {plan.RunId}`.",
                failed.Values.First());
        }

        return new StageFigures(stage, missing.Count, stopwatch.Elapsed.TotalSeconds, requests.Count - before, read, written);
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
        var shards = new List<CustomerHistory>[CrmKeys.ShardCount];
        await ForEachShardAsync(async (shard, ct) => shards[shard] = (await summaries.ReadAsync(shard, ct)).Histories, cancellationToken);
        List<CustomerHistory> all = [.. shards.SelectMany(s => s)];
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

    /// <summary>Too little data is an answer, not a stall: the run ends, and the caller says why (the demo: "Not scored").</summary>
    private async Task MarkNotScoredAsync(string runId, CancellationToken cancellationToken)
    {
        if (await runs.GetAsync(runId, cancellationToken) is { } record)
        {
            await runs.CreateAsync(record with { Status = RunStatus.NotScored }, cancellationToken);
        }
    }

    private async Task<StageInvocation> InvokeAsync(NightPlan plan, NightStage stage, int shard, CancellationToken cancellationToken)
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
        return new StageInvocation(result.Customers, result.Read, result.Written);
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
    /// costs one extra pass over the summary rows (shard by shard, nothing kept); the timer always passes a date.
    /// </summary>
    private async Task<DateOnly> LatestPurchaseDayAsync(CancellationToken cancellationToken)
    {
        var latest = new DateTime?[CrmKeys.ShardCount];
        await ForEachShardAsync(
            async (shard, ct) => latest[shard] = (await summaries.ReadAsync(shard, ct)).Histories.Select(h => (DateTime?)h.Purchases[^1].TimestampUtc).Max(),
            cancellationToken);
        return latest.Max() is { } last
            ? DateOnly.FromDateTime(last)
            : throw new InsufficientDataException("There are no purchases to learn from yet.");
    }

    /// <summary>Every shard, <c>Nightly:ReadParallelism</c> at a time, each read through its summary rows (about one entity per customer).</summary>
    private Task ForEachShardAsync(Func<int, CancellationToken, ValueTask> body, CancellationToken cancellationToken)
        => Parallel.ForEachAsync(
            Enumerable.Range(0, CrmKeys.ShardCount),
            new ParallelOptions { MaxDegreeOfParallelism = options.Value.ReadParallelism, CancellationToken = cancellationToken },
            body);

    private bool IsStalled(RunRecord run, NightStatus status)
        => status.StalledIn is not null
        || clock.GetUtcNow() - (status.LastProgressAt ?? run.CreatedAt) > TimeSpan.FromMinutes(options.Value.StalledAfterMinutes);
}
