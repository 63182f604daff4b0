using System.Diagnostics;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Ml.Segmentation;

namespace Crm.Serverless.Core.Nightly;

/// <summary>
/// Stage 5, once: adds up the shards' totals into the run record, has the report published from the run's artefacts
/// (<see cref="IRunReportPublisher"/>: no history is read), then completes the run and deletes the shards' hand-offs
/// (<see cref="NightlyArtefacts.DeleteScratchAsync"/>). Safe to run again: every write overwrites the same content, and
/// a run found complete is only published and cleaned up.
/// </summary>
public sealed class CompleteRun(RunStore runs, RunPublisher publisher, IRunReportPublisher reports, NightlyArtefacts artefacts, TimeProvider clock)
{
    public async Task<RunRecord> RunAsync(NightPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var stopwatch = Stopwatch.StartNew();
        if (await runs.GetAsync(plan.RunId, cancellationToken) is { Status: RunStatus.Complete } done)
        {
            // A retry after the run was completed: the shards' hand-offs may be deleted already; finish what is left.
            await publisher.PublishAsync(done, cancellationToken);
            await artefacts.DeleteScratchAsync(plan.RunId, cancellationToken);
            return done;
        }

        var scored = new ScoredShard[plan.Shards];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, plan.Shards),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (shard, ct) => scored[shard] = await artefacts.ReadAsync<ScoredShard>(NightlyArtefacts.Scored(plan.RunId, shard), ct));

        var run = await runs.GetAsync(plan.RunId, cancellationToken)
            ?? throw new InvalidOperationException($"Run {plan.RunId} has no run record.");
        var steps = new Dictionary<string, double>(run.StepSeconds) { ["complete"] = stopwatch.Elapsed.TotalSeconds };
        var summarised = run with { Customers = scored.Sum(s => s.Customers), Segments = Summarise(scored), StepSeconds = steps };
        await runs.CreateAsync(summarised, cancellationToken);
        await reports.PublishAsync(summarised, cancellationToken);

        // Complete only once the report is stored: readers switch to a run when it is complete, report and all.
        var completed = summarised with { Status = RunStatus.Complete, CompletedAt = run.CompletedAt ?? clock.GetUtcNow() };
        await runs.CreateAsync(completed, cancellationToken);
        // The current-run pointer moves only now, after the report: readers switch to a run that is whole.
        await publisher.PublishAsync(completed, cancellationToken);

        // The shards' hand-offs (some hold customer ids and purchases that an erasure would not reach) are needed no more:
        // the report's inputs are stored by then (NightlyArtefacts.ReportInputs), so the report can be rebuilt without them.
        await artefacts.DeleteScratchAsync(plan.RunId, cancellationToken);

        return completed;
    }

    private static List<SegmentSummary> Summarise(IReadOnlyList<ScoredShard> scored)
    {
        var totals = scored.SelectMany(s => s.Segments).GroupBy(t => t.Segment, StringComparer.Ordinal).ToDictionary(
            g => g.Key,
            g => (Count: g.Sum(t => t.Count), Clv: g.Sum(t => t.Clv), WithChurn: g.Sum(t => t.WithChurn), Churn: g.Sum(t => t.Churn)),
            StringComparer.Ordinal);
        return [.. Enum.GetValues<RfmSegment>().Select(segment =>
        {
            var total = totals.GetValueOrDefault(segment.Slug());
            return new SegmentSummary(
                segment.Slug(),
                segment.DisplayName(),
                total.Count,
                total.Count == 0 ? 0 : total.Clv / total.Count,
                total.Clv,
                total.WithChurn == 0 ? null : total.Churn / total.WithChurn);
        })];
    }
}
