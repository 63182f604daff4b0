using System.Diagnostics;
using System.Globalization;
using System.Text;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Segmentation;

namespace Crm.Serverless.Ml.Propensity;

/// <summary>One line of the evaluation report: one model trained and scored as of one date, and the gate's verdict.</summary>
public sealed record EvaluationReportRow(
    string Dataset,
    PropensityTarget Target,
    DateTime AsOfUtc,
    int TrainingRows,
    int HoldoutRows,
    HoldoutEvaluation Holdout,
    PromotionDecision Decision,
    ProbabilityCalibration Calibration,
    double TrainingSeconds,
    int ScoredCustomers,
    double ScoringSeconds);

/// <summary>The segments of one data set as of one date, churn scored as the gate decided.</summary>
public sealed record EvaluationSegments(string Dataset, DateTime AsOfUtc, string ChurnScoredBy, SegmentProfile Profile);

public sealed record EvaluationReport(IReadOnlyList<EvaluationReportRow> Rows, IReadOnlyList<EvaluationSegments> Segments);

/// <summary>
/// Reproduces the holdout tables (both models at several as-of dates, the three baselines, the active customers,
/// the gate's verdict) and the segment check for any set of histories: CDNOW from the CLI, or a simulated shop.
/// Deliberately not a test: it is slow on full data and its numbers are reported, not asserted.
/// </summary>
public static class PropensityEvaluationReport
{
    /// <param name="interactions">
    /// The customers' interactions, or null when the shop has none. When given, every model is trained and reported
    /// twice, with and without the interaction features, on the same purchases and cut-offs.
    /// </param>
    public static EvaluationReport Produce(
        string dataset,
        IEnumerable<CustomerHistory> histories,
        IEnumerable<DateTime> asOfDatesUtc,
        PropensityOptions options,
        IReadOnlyDictionary<string, IReadOnlyList<InteractionEvent>>? interactions = null)
    {
        ArgumentNullException.ThrowIfNull(asOfDatesUtc);
        ArgumentNullException.ThrowIfNull(options);
        var all = histories as IReadOnlyList<CustomerHistory> ?? [.. histories];
        var dates = asOfDatesUtc.ToList();
        List<(string Name, PurchaseTable Table)> variants = interactions is null
            ? [(dataset, PurchaseTable.From(all))]
            : [(dataset + ", with interactions", PurchaseTable.From(all, interactions)), (dataset + ", without interactions", PurchaseTable.From(all))];
        var trainer = new PropensityTrainer(options);
        var gate = new PromotionGate(options.PromotionAucTolerance, options.MinimumPromotableAuc, options.PromotionEceTolerance);
        var rows = new List<EvaluationReportRow>();
        var segments = new List<EvaluationSegments>();
        foreach (var (name, table) in variants)
        {
            foreach (var asOf in dates)
            {
                IReadOnlyList<CustomerPropensity>? churnScores = null;
                foreach (var target in Enum.GetValues<PropensityTarget>())
                {
                    var trainClock = Stopwatch.StartNew();
                    var model = trainer.Train(table, asOf, target);
                    trainClock.Stop();
                    var scoreClock = Stopwatch.StartNew();
                    var scores = PropensityScorer.Score(model, table, asOf);
                    scoreClock.Stop();
                    var holdout = model.Metadata.Holdout;

                    // As on the first night: there is no current model, so the verdict is the baselines' alone.
                    var decision = gate.Decide(holdout, currentModelAuc: null);
                    rows.Add(new EvaluationReportRow(
                        name, target, asOf, model.Metadata.TrainingRows + model.Metadata.CalibrationRows, holdout.Rows, holdout, decision,
                        model.Metadata.Calibration, trainClock.Elapsed.TotalSeconds, scores.Count, scoreClock.Elapsed.TotalSeconds));
                    if (target == PropensityTarget.Churn)
                    {
                        churnScores = decision.Promote ? scores : PropensityScorer.ScoreBetaGeo(table, asOf, target, options.ChurnWindowDays);
                    }
                }

                segments.Add(Segment(name, all, asOf, churnScores!, rows[^2].Decision.Promote));
            }
        }

        return new EvaluationReport(rows, segments);
    }

    /// <summary>CLV fitted as of the date (weeks, 12 months), RFM segments, and each segment's mean churn and CLV.</summary>
    private static EvaluationSegments Segment(string dataset, IReadOnlyList<CustomerHistory> all, DateTime asOfUtc, IReadOnlyList<CustomerPropensity> churn, bool model)
    {
        var summaries = CustomerSummaryBuilder.Build(all, asOfUtc.Date, ClvTimeUnit.Weeks);
        var clv = ClvModel.Fit(summaries);
        var scores = clv.Score(summaries);
        var byId = churn.ToDictionary(c => c.CustomerId, c => (double)c.Probability, StringComparer.Ordinal);
        var churnOf = new double[summaries.Count];
        for (var i = 0; i < churnOf.Length; i++)
        {
            churnOf[i] = byId[summaries.CustomerIds[i]];
        }

        var segments = CustomerSegmenter.Segment(summaries, scores, churnOf);
        return new EvaluationSegments(dataset, asOfUtc, model ? "churn model" : "BG/NBD", SegmentProfile.Of(segments, churnOf, scores.Clv));
    }

    public static string ToMarkdown(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.AppendLine("| dataset | model | as-of | train rows | holdout rows | pos rate | AUC | PR-AUC | log-loss | Brier | ECE | top-10% lift | recency AUC (ECE) | frequency AUC (ECE) | BG/NBD AUC (ECE) | gate | train s | score s |");
        text.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|");
        foreach (var r in report.Rows)
        {
            var h = r.Holdout;
            var m = h.Model;
            text.AppendLine(Inv(
                $"| {r.Dataset} | {r.Target} | {r.AsOfUtc:yyyy-MM-dd} | {r.TrainingRows} | {r.HoldoutRows} | {h.PositiveRate:F3} | {m.Auc:F3} | {m.AveragePrecision:F3} | {m.LogLoss:F3} | {m.Brier:F3} | {m.ExpectedCalibrationError:F3} | {m.TopDecileLift:F2} | {Pair(h.RecencyBaseline)} | {Pair(h.FrequencyBaseline)} | {Pair(h.BetaGeoBaseline)} | {(r.Decision.Promote ? "model" : "BG/NBD")} | {r.TrainingSeconds:F1} | {r.ScoringSeconds:F2} |"));
        }

        text.AppendLine();
        text.AppendLine("Customers active in the 365 days before the holdout cut-off:");
        text.AppendLine();
        text.AppendLine("| dataset | model | as-of | active rows | pos rate | AUC | ECE | recency AUC (ECE) | frequency AUC (ECE) | BG/NBD AUC (ECE) |");
        text.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in report.Rows)
        {
            if (r.Holdout.Active is { } a)
            {
                text.AppendLine(Inv(
                    $"| {r.Dataset} | {r.Target} | {r.AsOfUtc:yyyy-MM-dd} | {a.Rows} | {a.PositiveRate:F3} | {a.Model.Auc:F3} | {a.Model.ExpectedCalibrationError:F3} | {Pair(a.RecencyBaseline)} | {Pair(a.FrequencyBaseline)} | {Pair(a.BetaGeoBaseline)} |"));
            }
        }

        text.AppendLine();
        text.AppendLine("Gate verdicts (no current model):");
        text.AppendLine();
        foreach (var r in report.Rows)
        {
            text.AppendLine(Inv($"- {r.Dataset}, {r.Target}, {r.AsOfUtc:yyyy-MM-dd}: {(r.Decision.Promote ? "promoted" : "refused, the BG/NBD probabilities are the scores")}. {r.Decision.Reason}"));
        }

        foreach (var s in report.Segments)
        {
            text.AppendLine();
            text.AppendLine(Inv($"Segments of {s.Dataset} as of {s.AsOfUtc:yyyy-MM-dd} (churn probability from the {s.ChurnScoredBy}, CLV 12 months):"));
            text.AppendLine();
            text.Append(s.Profile.ToMarkdown("segment"));
        }

        return text.ToString();
    }

    private static string Pair(BinaryMetrics? m) => m is null ? "-" : Inv($"{m.Auc:F3} ({m.ExpectedCalibrationError:F3})");

    private static string Inv(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
