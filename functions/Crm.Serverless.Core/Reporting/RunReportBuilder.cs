using Crm.Serverless.Core.Domain;
using System.Diagnostics;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Propensity;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Reporting;

/// <summary>What a run's report is rendered from, stored by the night's last stage (<c>{runId}/nightly/report-inputs.json</c>).</summary>
public sealed record ReportInputs(
    TrackingSeries? Tracking,
    string? TrackingNote,
    IReadOnlyList<ModelCheck> Checks,
    IReadOnlyList<string> MissingModels,
    ClvDistribution Clv,
    DataQuality Quality);

/// <summary>
/// Builds a run's report from the run's artefacts, never from raw history: the night's stages leave the tracking
/// series, the holdout checks of the promoted models (on the training sample), the CLV values and the data-quality
/// tallies as <see cref="ReportInputs"/>; this adds the registry's versions. Rendering is <see cref="RunReportHtml"/>'s
/// job; this class gathers, and computes the parts (<see cref="Distribution"/>, <see cref="Quality"/>) from per-shard pieces.
/// </summary>
public sealed class RunReportBuilder(
    RejectedItemStore rejected,
    ModelRegistry registry,
    Nightly.NightlyArtefacts artefacts,
    TimeProvider clock,
    ILogger<RunReportBuilder> logger)
{
    public async Task<RunReport> BuildAsync(RunRecord run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var stopwatch = Stopwatch.StartNew();
        var inputs = await artefacts.ReadIfExistsAsync<ReportInputs>(Nightly.NightlyArtefacts.ReportInputs(run.RunId), cancellationToken)
            ?? throw new InvalidOperationException($"Run {run.RunId} has no report inputs: it has not reached its last stage (crm runs resume {run.RunId}).");
        var versions = await registry.ListAsync(null, cancellationToken);
        logger.LogInformation("Report for run {RunId} built in {Seconds:0.0} s", run.RunId, stopwatch.Elapsed.TotalSeconds);
        return new RunReport(run, clock.GetUtcNow(), inputs.Tracking, inputs.TrackingNote, inputs.Checks, inputs.MissingModels, versions, inputs.Clv, inputs.Quality);
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

        // Each baseline scores its own feature; look the column up by the name it was fitted on.
        var recencyColumn = Column(metadata.RecencyBaseline.FeatureName);
        var frequencyColumn = Column(metadata.FrequencyBaseline.FeatureName);
        var probabilities = new float[rows.Count];
        var recency = new float[rows.Count];
        var frequency = new float[rows.Count];
        var labels = new bool[rows.Count];
        for (var row = 0; row < rows.Count; row++)
        {
            probabilities[row] = scored[row].Probability;
            recency[row] = metadata.RecencyBaseline.Predict(rows.Value(row, recencyColumn));
            frequency[row] = metadata.FrequencyBaseline.Predict(rows.Value(row, frequencyColumn));
            labels[row] = rows.Label(row);
        }

        var betaGeo = HoldoutEvaluation.BetaGeoProbabilities(rows, model.Target);
        var evaluation = HoldoutEvaluation.Compute(
            rows, model.Target, metadata.HoldoutCutoffUtc, probabilities, metadata.RecencyBaseline, metadata.FrequencyBaseline);
        return new ModelCheck(
            model.Target,
            version,
            metadata.HoldoutCutoffUtc,
            metadata.LabelWindowDays,
            rows.Count,
            labels.Count(l => l),
            evaluation.Model,
            evaluation.RecencyBaseline,
            evaluation.FrequencyBaseline,
            evaluation.BetaGeoBaseline!,
            evaluation.Active,
            metadata.Holdout.Model.Auc,
            HoldoutCurves.Reliability(probabilities, labels),
            [
                HoldoutCurves.Roc("model", evaluation.Model.Auc, probabilities, labels),
                HoldoutCurves.Roc("recency baseline", evaluation.RecencyBaseline.Auc, recency, labels),
                HoldoutCurves.Roc("frequency baseline", evaluation.FrequencyBaseline.Auc, frequency, labels),
                HoldoutCurves.Roc("BG/NBD baseline", evaluation.BetaGeoBaseline!.Auc, betaGeo, labels),
            ]);
    }

    private static int Column(string featureName)
    {
        for (var i = 0; i < CustomerFeatures.Names.Count; i++)
        {
            if (CustomerFeatures.Names[i] == featureName)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"The model's baseline uses '{featureName}', which is not a feature of this build.");
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
    public async Task<DataQuality> QualityAsync(IReadOnlyList<Nightly.QualityTallies> shards, DateTime futureAfterUtc, CancellationToken cancellationToken)
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
