using Crm.Serverless.Core.Domain;
using System.Collections.Concurrent;
using System.Diagnostics;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Propensity;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Reporting;

/// <summary>
/// Builds a run's report from storage: the run record, every history, the promoted models re-scored on their holdout,
/// the registry's versions, the run's own CLV values (its shard hand-offs) and data-quality counts. Rendering is
/// <see cref="RunReportHtml"/>'s job; this class only gathers and computes.
/// </summary>
public sealed class RunReportBuilder(
    HistoryReader histories,
    CustomerReader customers,
    RejectedItemStore rejected,
    ModelRegistry registry,
    ClvService clv,
    SegmentReader scores,
    CrmTables tables,
    TimeProvider clock,
    ILogger<RunReportBuilder> logger)
{
    /// <summary>The tracking plot holds back this many weeks before the as-of (fewer when the data is short).</summary>
    public const int HoldoutWeeks = 26;

    public async Task<RunReport> BuildAsync(RunRecord run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var stopwatch = Stopwatch.StartNew();
        var all = await histories.ReadAllAsync(cancellationToken);
        var (tracking, trackingNote) = Track(all, run.AsOf);

        var table = PurchaseTable.From(all);
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

        var versions = await registry.ListAsync(null, cancellationToken);
        var distribution = Distribution(await ReadClvAsync(run, cancellationToken));
        var quality = await QualityAsync(all, run.AsOf, cancellationToken);
        logger.LogInformation("Report for run {RunId} built in {Seconds:0.0} s", run.RunId, stopwatch.Elapsed.TotalSeconds);
        return new RunReport(run, clock.GetUtcNow(), tracking, trackingNote, checks, missing, versions, distribution, quality);
    }

    /// <summary>Refits BG/NBD on a calibration period ending <see cref="HoldoutWeeks"/> before the as-of, so the weeks after it are a true holdout.</summary>
    private (TrackingSeries? Series, string? Note) Track(IReadOnlyList<CustomerHistory> all, DateOnly asOf)
    {
        var firstDay = DateOnly.FromDateTime(all.Min(h => h.Purchases[0].TimestampUtc));
        var spanWeeks = (asOf.DayNumber - firstDay.DayNumber) / 7;
        var holdoutWeeks = Math.Min(HoldoutWeeks, spanWeeks / 2);
        if (holdoutWeeks < 1)
        {
            return (null, $"The data spans {spanWeeks} weeks: too short to hold any back.");
        }

        var calibrationEnd = asOf.AddDays(-7 * holdoutWeeks);
        var summaries = clv.Summarise(all, calibrationEnd.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
        if (summaries.RepeatCustomers < ScoringRunService.MinimumRepeatCustomers)
        {
            return (null, $"Only {summaries.RepeatCustomers} customers bought again by {calibrationEnd:yyyy-MM-dd}; too few to fit a calibration model.");
        }

        var model = clv.Fit(summaries);
        return (TrackingCurve.Compute(all, model.Purchases.Model, model.TimeUnit, calibrationEnd, asOf), null);
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

    /// <summary>
    /// The run's own CLV values from the Scores table (rows carry their run id). The shard hand-offs are deleted once
    /// written, so that an erasure reaches every copy; a rebuilt report of an older run counts only the customers
    /// no later run has rescored.
    /// </summary>
    private async Task<double[]> ReadClvAsync(RunRecord run, CancellationToken cancellationToken)
    {
        var values = new List<double>(run.Customers);
        if (!run.Published)
        {
            // A backfill that does not publish has no Scores rows; its hand-offs are kept until this report is stored.
            for (var shard = 0; shard < run.Shards; shard++)
            {
                values.AddRange((await ScoringRunService.ReadShardAsync(tables, run.RunId, shard, cancellationToken)).Select(s => s.Clv));
            }

            return [.. values];
        }

        await foreach (var score in scores.StreamAsync(run, null, cancellationToken))
        {
            values.Add(score.Clv);
        }

        return [.. values];
    }

    private static ClvDistribution Distribution(double[] values)
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

    private async Task<DataQuality> QualityAsync(IReadOnlyList<CustomerHistory> all, DateOnly asOf, CancellationToken cancellationToken)
    {
        var rejections = new Dictionary<(string Kind, string Status, string Field, string Message), int>();
        await foreach (var row in rejected.ListAsync(cancellationToken))
        {
            foreach (var key in RejectionReasons.Of(row))
            {
                rejections[key] = rejections.GetValueOrDefault(key) + 1;
            }
        }

        var scan = new ConcurrentBag<CustomerCounts>();
        await Parallel.ForEachAsync(
            CrmKeys.AllPartitions(),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (partition, ct) =>
            {
                var counts = new CustomerCounts();
                await foreach (var customer in customers.ScanPartitionAsync(partition, ct))
                {
                    counts.Add(customer);
                }

                scan.Add(counts);
            });

        // Only the normalised form is compared and only group sizes leave this method: no address is ever reported.
        var emails = scan.SelectMany(c => c.Emails).GroupBy(e => e, StringComparer.Ordinal).Select(g => g.Count()).Where(n => n > 1).ToList();
        var futureAfter = ScoringRunService.AsOfEnd(asOf);
        return new DataQuality(
            scan.Sum(c => c.Customers),
            scan.Sum(c => c.Transactions),
            scan.Sum(c => c.Contacts),
            [.. rejections.Select(r => new RejectionCount(r.Key.Kind, r.Key.Status, r.Key.Field, r.Key.Message, r.Value)).OrderByDescending(r => r.Count).ThenBy(r => r.Field, StringComparer.Ordinal)],
            scan.Sum(c => c.WithoutContact),
            scan.Sum(c => c.TransactionsWithoutContact),
            scan.Sum(c => c.ContactsWithoutPurchases),
            emails.Count,
            emails.Sum(),
            all.Sum(h => h.Purchases.Count(p => p.Amount <= 0)),
            all.Sum(h => h.Purchases.Count(p => p.TimestampUtc > futureAfter)),
            futureAfter,
            Money.FromScaled(scan.Sum(c => c.GrossScaled)),
            Money.FromScaled(scan.Sum(c => c.RefundedScaled)));
    }

    /// <summary>One partition's tallies; kept per partition so the parallel scan shares nothing mutable.</summary>
    private sealed class CustomerCounts
    {
        public long Customers { get; private set; }

        public long Transactions { get; private set; }

        public long Contacts { get; private set; }

        public int WithoutContact { get; private set; }

        public long TransactionsWithoutContact { get; private set; }

        public int ContactsWithoutPurchases { get; private set; }

        public List<string> Emails { get; } = [];

        public long GrossScaled { get; private set; }

        public long RefundedScaled { get; private set; }

        public void Add(CustomerEntity customer)
        {
            Customers++;
            GrossScaled += customer.GrossAmountScaled;
            RefundedScaled += customer.RefundedAmountScaled;
            Transactions += customer.PurchaseCount;
            if (customer.HasContact)
            {
                Contacts++;
                ContactsWithoutPurchases += customer.PurchaseCount == 0 ? 1 : 0;
                if (customer.Email is { Length: > 0 } email)
                {
                    Emails.Add(email.Trim().ToLowerInvariant());
                }
            }
            else if (customer.PurchaseCount > 0)
            {
                WithoutContact++;
                TransactionsWithoutContact += customer.PurchaseCount;
            }
        }
    }
}
