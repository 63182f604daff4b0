using System.Diagnostics;
using System.Globalization;
using System.Text;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Ml.Propensity;

/// <summary>One line of the evaluation report: one model trained and scored as of one date.</summary>
public sealed record EvaluationReportRow(
    string Dataset,
    PropensityTarget Target,
    DateTime AsOfUtc,
    int TrainingRows,
    int HoldoutRows,
    double PositiveRate,
    BinaryMetrics Model,
    BinaryMetrics RecencyBaseline,
    BinaryMetrics FrequencyBaseline,
    ProbabilityCalibration Calibration,
    double TrainingSeconds,
    int ScoredCustomers,
    double ScoringSeconds);

/// <summary>
/// Reproduces the holdout table (both models at several as-of dates) for any set of histories: CDNOW from the CLI,
/// or a simulated shop. Deliberately not a test: it is slow on full data and its numbers are reported, not asserted.
/// </summary>
public static class PropensityEvaluationReport
{
    public static IReadOnlyList<EvaluationReportRow> Produce(
        string dataset, IEnumerable<CustomerHistory> histories, IEnumerable<DateTime> asOfDatesUtc, PropensityOptions options)
    {
        ArgumentNullException.ThrowIfNull(asOfDatesUtc);
        var table = PurchaseTable.From(histories);
        var trainer = new PropensityTrainer(options);
        var rows = new List<EvaluationReportRow>();
        foreach (var asOf in asOfDatesUtc)
        {
            foreach (var target in Enum.GetValues<PropensityTarget>())
            {
                var trainClock = Stopwatch.StartNew();
                var model = trainer.Train(table, asOf, target);
                trainClock.Stop();
                var scoreClock = Stopwatch.StartNew();
                var scores = PropensityScorer.Score(model, table, asOf);
                scoreClock.Stop();
                var holdout = model.Metadata.Holdout;
                rows.Add(new EvaluationReportRow(
                    dataset, target, asOf, model.Metadata.TrainingRows + model.Metadata.CalibrationRows, holdout.Rows,
                    holdout.PositiveRate, holdout.Model, holdout.RecencyBaseline, holdout.FrequencyBaseline,
                    model.Metadata.Calibration, trainClock.Elapsed.TotalSeconds, scores.Count, scoreClock.Elapsed.TotalSeconds));
            }
        }

        return rows;
    }

    public static string ToMarkdown(IEnumerable<EvaluationReportRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var text = new StringBuilder();
        text.AppendLine("| dataset | model | as-of | train rows | holdout rows | pos rate | AUC | PR-AUC | log-loss | Brier | ECE | top-10% lift | top-10% capture | recency AUC (ECE) | frequency AUC (ECE) | train s | train rows/s | scored | score s | scored rows/s |");
        text.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            var m = r.Model;
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Dataset} | {r.Target} | {r.AsOfUtc:yyyy-MM-dd} | {r.TrainingRows} | {r.HoldoutRows} | {r.PositiveRate:F3} | {m.Auc:F3} | {m.AveragePrecision:F3} | {m.LogLoss:F3} | {m.Brier:F3} | {m.ExpectedCalibrationError:F3} | {m.TopDecileLift:F2} | {m.TopDecileCapture:F3} | {r.RecencyBaseline.Auc:F3} ({r.RecencyBaseline.ExpectedCalibrationError:F3}) | {r.FrequencyBaseline.Auc:F3} ({r.FrequencyBaseline.ExpectedCalibrationError:F3}) | {r.TrainingSeconds:F1} | {r.TrainingRows / Math.Max(r.TrainingSeconds, 1e-9):F0} | {r.ScoredCustomers} | {r.ScoringSeconds:F2} | {r.ScoredCustomers / Math.Max(r.ScoringSeconds, 1e-9):F0} |"));
        }

        return text.ToString();
    }
}
