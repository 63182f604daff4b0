using System.Diagnostics;
using Crm.Serverless.Core.Reporting;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Segmentation;

namespace Crm.Serverless.Core.Nightly;

/// <summary>
/// Stage 4, once: adds up the shards' totals into the run record, builds the report from the run's artefacts (the
/// tracking model is fitted on the shards' calibration columns; no history is read), stores it, then completes the
/// run and deletes the artefacts that hold customer ids. Safe to run again: every write overwrites the same content.
/// </summary>
public sealed class CompleteRun(
    RunStore runs,
    RunReportBuilder builder,
    RunReportStore reports,
    ClvService clv,
    NightlyArtefacts artefacts,
    TimeProvider clock)
{
    public async Task<RunRecord> RunAsync(NightPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var stopwatch = Stopwatch.StartNew();
        var fit = await artefacts.ReadAsync<NightFit>(NightlyArtefacts.Fit(plan.RunId), cancellationToken);
        var scored = new ScoredShard[plan.Shards];
        var quality = new QualityTallies[plan.Shards];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, plan.Shards),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (shard, ct) =>
            {
                scored[shard] = await artefacts.ReadAsync<ScoredShard>(NightlyArtefacts.Scored(plan.RunId, shard), ct);
                quality[shard] = (await artefacts.ReadAsync<ShardSummary>(NightlyArtefacts.Summary(plan.RunId, shard), ct)).Quality;
            });

        var (tracking, trackingNote) = Track(scored, fit, plan.AsOf);
        var inputs = new ReportInputs(
            tracking,
            trackingNote,
            fit.Checks,
            fit.MissingModels,
            RunReportBuilder.Distribution([.. scored.SelectMany(s => s.ClvValues)]),
            await builder.QualityAsync(quality, plan.AsOfEndUtc, cancellationToken));
        await artefacts.WriteAsync(NightlyArtefacts.ReportInputs(plan.RunId), inputs, cancellationToken);

        var run = await runs.GetAsync(plan.RunId, cancellationToken)
            ?? throw new InvalidOperationException($"Run {plan.RunId} has no run record.");
        var steps = new Dictionary<string, double>(run.StepSeconds) { ["complete"] = stopwatch.Elapsed.TotalSeconds };
        var summarised = run with { Customers = scored.Sum(s => s.Customers), Segments = Summarise(scored), StepSeconds = steps };
        await reports.PublishAsync(summarised, cancellationToken);

        // Complete only once the report is stored: readers switch to a run when it is complete, report and all.
        var completed = summarised with { Status = RunStatus.Complete, CompletedAt = run.CompletedAt ?? clock.GetUtcNow() };
        await runs.CreateAsync(completed, cancellationToken);
        if (completed is { Backfill: true, Published: true })
        {
            await runs.SupersedeLaterAsync(completed, cancellationToken);
        }

        // The histories and samples hold customer ids and purchases that an erasure would not reach.
        for (var shard = 0; shard < plan.Shards; shard++)
        {
            await artefacts.DeleteAsync(NightlyArtefacts.Histories(plan.RunId, shard), cancellationToken);
            await artefacts.DeleteAsync(NightlyArtefacts.Summary(plan.RunId, shard), cancellationToken);
        }

        return completed;
    }

    /// <summary>Refits BG/NBD on a calibration period ending weeks before the as-of, so the weeks after it are a true holdout.</summary>
    private (TrackingSeries? Series, string? Note) Track(IReadOnlyList<ScoredShard> scored, NightFit fit, DateOnly asOf)
    {
        if (fit.TrackingCalibrationEnd is not { } calibrationEnd)
        {
            return (null, fit.TrackingNote);
        }

        var partials = scored.Select(s => s.Tracking!).ToList();
        var summaries = SummaryColumns.Concat([.. partials.Select(p => p.Calibration!)], calibrationEnd.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), clv.TimeUnit);
        if (summaries.RepeatCustomers < FitModels.MinimumRepeatCustomers)
        {
            return (null, $"Only {summaries.RepeatCustomers} customers bought again by {calibrationEnd:yyyy-MM-dd}; too few to fit a calibration model.");
        }

        var model = clv.Fit(summaries);
        return (TrackingCurve.Compute(partials, model.Purchases.Model, model.TimeUnit, calibrationEnd, asOf), null);
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
