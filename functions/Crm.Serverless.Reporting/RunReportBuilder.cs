using System.Diagnostics;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Nightly;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Propensity;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Reporting;

/// <summary>What a run's report is rendered from, kept as <c>{runId}/nightly/report-inputs.json</c> so it can be rebuilt.</summary>
public sealed record ReportInputs(
    TrackingSeries? Tracking,
    string? TrackingNote,
    IReadOnlyList<ModelCheck> Checks,
    IReadOnlyList<string> MissingModels,
    ClvDistribution Clv,
    DataQuality Quality);

/// <summary>
/// Builds a run's report from the run's artefacts, never from raw history: the fit (tracking calibration end), every
/// shard's stage 3 output (CLV values, tracking parts) and stage 1 summary (training sample, data-quality tallies). The
/// tracking model is fitted on the shards' calibration columns, the promoted models re-scored on the training sample.
/// What it computes is stored as <see cref="ReportInputs"/> before the night deletes the summaries, so a later rebuild
/// reads that. Rendering is <see cref="RunReportHtml"/>'s job; this class only gathers and computes.
/// </summary>
public sealed class RunReportBuilder(
    RejectedItemStore rejected,
    ModelRegistry registry,
    ClvService clv,
    Core.Products.ProductFactsService products,
    NightlyArtefacts artefacts,
    TimeProvider clock,
    Core.Campaigns.CampaignRunFigures campaigns,
    ILogger<RunReportBuilder> logger,
    InteractionActivityStore interactionActivity)
{
    public async Task<RunReport> BuildAsync(RunRecord run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var stopwatch = Stopwatch.StartNew();
        var name = NightlyArtefacts.ReportInputs(run.RunId);
        var inputs = await artefacts.ReadIfExistsAsync<ReportInputs>(name, cancellationToken);
        if (inputs is null)
        {
            inputs = await ComputeAsync(run, cancellationToken);
            await artefacts.WriteAsync(name, inputs, cancellationToken);
        }

        var versions = await registry.ListAsync(null, cancellationToken);
        logger.LogInformation("Report for run {RunId} built in {Seconds:0.0} s", run.RunId, stopwatch.Elapsed.TotalSeconds);
        return new RunReport(
            run, clock.GetUtcNow(), inputs.Tracking, inputs.TrackingNote, inputs.Checks, inputs.MissingModels, versions, inputs.Clv, inputs.Quality,
            await ProductsSection.ReadAsync(products, run.RunId, cancellationToken),
            await interactionActivity.GetAsync(run.RunId, cancellationToken),
            await campaigns.ReadAsync(run.RunId, cancellationToken),
            await artefacts.ReadIfExistsAsync<Core.Recommendations.RecommendationRunSummary>(Core.Recommendations.RecommendationStages.SummaryBlobName(run.RunId), cancellationToken));
    }

    private async Task<ReportInputs> ComputeAsync(RunRecord run, CancellationToken cancellationToken)
    {
        var fit = await artefacts.ReadIfExistsAsync<NightFit>(NightlyArtefacts.Fit(run.RunId), cancellationToken)
            ?? throw new InvalidOperationException($"Run {run.RunId} has no fitted models: it has not reached its last stage (crm runs resume {run.RunId}).");
        var scored = new ScoredShard[run.Shards];
        var summaries = new ShardSummary[run.Shards];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, run.Shards),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (shard, ct) =>
            {
                scored[shard] = await artefacts.ReadAsync<ScoredShard>(NightlyArtefacts.Scored(run.RunId, shard), ct);
                summaries[shard] = await artefacts.ReadAsync<ShardSummary>(NightlyArtefacts.Summary(run.RunId, shard), ct);
            });

        var (tracking, trackingNote) = Track(scored, fit, run.AsOf);
        var sample = PurchaseTable.From(summaries.SelectMany(s => s.Sample.ToHistories()).ToList());
        var (checks, missing) = await CheckPromotedAsync(sample, cancellationToken);
        return new ReportInputs(
            tracking,
            trackingNote,
            checks,
            missing,
            Distribution([.. scored.SelectMany(s => s.ClvValues)]),
            await QualityAsync([.. summaries.Select(s => s.Quality)], NightPlan.AsOfEnd(run.AsOf), cancellationToken));
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

    /// <summary>The promoted models re-scored on their holdout cut-offs in <paramref name="table"/> (the night's training sample).</summary>
    public async Task<(List<ModelCheck> Checks, List<string> Missing)> CheckPromotedAsync(PurchaseTable table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var checks = new List<ModelCheck>();
        var missing = new List<string>();
        foreach (var target in Enum.GetValues<PropensityTarget>())
        {
            try
            {
                if (await registry.LoadPromotedAsync(target, cancellationToken) is { } promoted)
                {
                    checks.Add(Check(promoted.Version, promoted.Model, table));
                }
                else
                {
                    missing.Add($"No {ModelRegistry.TargetName(target)} model is promoted yet, so it has no holdout check here.");
                }
            }
            catch (InvalidDataException)
            {
                missing.Add($"The promoted {ModelRegistry.TargetName(target)} model was trained on another feature layout and cannot be re-scored; the next training replaces it.");
            }
        }

        return (checks, missing);
    }

    /// <summary>
    /// Re-scores the model on its holdout cut-off (all customers known then, labelled by the following window): the
    /// same rows its registered metrics came from, so the recomputed AUC should equal the registered one.
    /// </summary>
    private static ModelCheck Check(string version, PropensityModel model, PurchaseTable table)
    {
        var metadata = model.Metadata;
        var rows = LabelledRows.Build(table, [metadata.HoldoutCutoffUtc], model.Target, metadata.LabelWindowDays);
        var scored = PropensityScorer.Score(model, table, metadata.HoldoutCutoffUtc);
        if (scored.Count != rows.Count)
        {
            throw new InvalidOperationException($"Scored {scored.Count} customers at the holdout cut-off but labelled {rows.Count}.");
        }

        var probabilities = new float[rows.Count];
        for (var row = 0; row < rows.Count; row++)
        {
            probabilities[row] = scored[row].Probability;
        }

        // One scoring of the holdout rows for the table and the diagrams alike (baselines read the column they were fitted on).
        var scores = HoldoutScores.Of(rows, model.Target, probabilities, metadata.RecencyBaseline, metadata.FrequencyBaseline);
        var evaluation = HoldoutEvaluation.Compute(scores, metadata.HoldoutCutoffUtc);
        var labels = scores.Labels;
        return new ModelCheck(
            model.Target,
            version,
            metadata.HoldoutCutoffUtc,
            metadata.LabelWindowDays,
            rows.Count,
            labels.Count(true),
            evaluation.Model,
            evaluation.RecencyBaseline,
            evaluation.FrequencyBaseline,
            evaluation.BetaGeoBaseline!,
            evaluation.Active,
            metadata.Holdout.Model.Auc,
            HoldoutCurves.Reliability(scores.Model, labels),
            [
                HoldoutCurves.Roc("model", evaluation.Model.Auc, scores.Model, labels),
                HoldoutCurves.Roc("recency baseline", evaluation.RecencyBaseline.Auc, scores.Recency, labels),
                HoldoutCurves.Roc("frequency baseline", evaluation.FrequencyBaseline.Auc, scores.Frequency, labels),
                HoldoutCurves.Roc("BG/NBD baseline", evaluation.BetaGeoBaseline!.Auc, scores.BetaGeo, labels),
            ]);
    }

    /// <summary>Quantiles and a histogram of every customer's CLV (sorted in place).</summary>
    public static ClvDistribution Distribution(double[] values)
    {
        const int Bins = 40;
        Array.Sort(values);
        if (values.Length == 0)
        {
            return new ClvDistribution(0, 0, 0, 0, 0, 0, 0, 1, new int[Bins], 0);
        }

        var p99 = Quantile(values, 0.99);
        var width = p99 > 0 ? p99 / Bins : 1;
        var counts = new int[Bins];
        var above = 0;
        foreach (var value in values)
        {
            var bin = (int)(value / width);
            if (bin >= Bins && value > p99)
            {
                above++;
            }
            else
            {
                counts[Math.Clamp(bin, 0, Bins - 1)]++;
            }
        }

        return new ClvDistribution(values.Length, values.Sum(), values.Average(), Quantile(values, 0.5), Quantile(values, 0.9), p99, values[^1], width, counts, above);
    }

    private static double Quantile(double[] sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>The data-quality counts from every shard's tallies, with the rejected items counted by reason.</summary>
    public async Task<DataQuality> QualityAsync(IReadOnlyList<QualityTallies> shards, DateTime futureAfterUtc, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shards);
        var rejections = new Dictionary<(string Kind, string Status, string Field, string Message), int>();
        await foreach (var row in rejected.ListAsync(cancellationToken))
        {
            foreach (var key in RejectionReasons.Of(row))
            {
                rejections[key] = rejections.GetValueOrDefault(key) + 1;
            }
        }

        var emails = shards.SelectMany(c => c.EmailHashes).GroupBy(e => e).Select(g => g.Count()).Where(n => n > 1).ToList();
        return new DataQuality(
            shards.Sum(c => c.Customers),
            shards.Sum(c => c.Transactions),
            shards.Sum(c => c.Contacts),
            [.. rejections.Select(r => new RejectionCount(r.Key.Kind, r.Key.Status, r.Key.Field, r.Key.Message, r.Value)).OrderByDescending(r => r.Count).ThenBy(r => r.Field, StringComparer.Ordinal)],
            shards.Sum(c => c.WithoutContact),
            shards.Sum(c => c.TransactionsWithoutContact),
            shards.Sum(c => c.ContactsWithoutPurchases),
            emails.Count,
            emails.Sum(),
            shards.Sum(c => c.NonPositivePurchases),
            shards.Sum(c => c.FuturePurchases),
            futureAfterUtc,
            Money.FromScaled(shards.Sum(c => c.GrossScaled)),
            Money.FromScaled(shards.Sum(c => c.RefundedScaled)));
    }
}
