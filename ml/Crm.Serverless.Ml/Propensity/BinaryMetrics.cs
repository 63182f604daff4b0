namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// Holdout quality of one probabilistic classifier. Lift and capture are for the top decile by probability; ECE uses
/// 10 equal-width probability bins (<see cref="CalibrationBins"/>).
/// </summary>
public sealed record BinaryMetrics(
    double Auc,
    double AveragePrecision,
    double LogLoss,
    double Brier,
    double ExpectedCalibrationError,
    double TopDecileLift,
    double TopDecileCapture)
{
    private const double ProbabilityFloor = 1e-15;

    public static BinaryMetrics Compute(ReadOnlySpan<float> probabilities, ReadOnlySpan<bool> labels)
    {
        if (probabilities.Length != labels.Length)
        {
            throw new ArgumentException("Need one probability per label.", nameof(probabilities));
        }

        var n = labels.Length;
        if (n == 0)
        {
            throw new ArgumentException("Cannot evaluate an empty holdout.", nameof(labels));
        }

        var ranked = new RankedScores(probabilities, labels);
        var positives = ranked.Positives;
        var negatives = ranked.Negatives;
        var top = (int)Math.Ceiling(n / 10.0);
        double aucPairs = 0, averagePrecision = 0, topPositives = 0;
        var truePositives = 0;
        var falsePositives = 0;
        foreach (var (start, end, tiedPositives, tiedNegatives) in ranked.Ties())
        {
            // Each negative in the group loses to every positive ranked above it and ties with the group's positives.
            aucPairs += tiedNegatives * (truePositives + (0.5 * tiedPositives));
            truePositives += tiedPositives;
            falsePositives += tiedNegatives;
            if (tiedPositives > 0)
            {
                averagePrecision += tiedPositives * ((double)truePositives / (truePositives + falsePositives));
            }

            // A tie straddling the decile boundary contributes pro rata, so tied baselines get no arbitrary credit.
            var inTop = Math.Clamp(top - start, 0, end - start);
            topPositives += tiedPositives * ((double)inTop / (end - start));
        }

        double logLoss = 0, brier = 0;
        for (var i = 0; i < n; i++)
        {
            var p = Math.Clamp(probabilities[i], ProbabilityFloor, 1 - ProbabilityFloor);
            var y = labels[i] ? 1.0 : 0.0;
            logLoss -= (y * Math.Log(p)) + ((1 - y) * Math.Log(1 - p));
            brier += (p - y) * (p - y);
        }

        var bins = new CalibrationBins(probabilities, labels);
        double ece = 0;
        for (var bin = 0; bin < CalibrationBins.Count; bin++)
        {
            if (bins.Rows[bin] > 0)
            {
                ece += Math.Abs(bins.Predicted[bin] - bins.Positives[bin]) / n;
            }
        }

        var baseRate = (double)positives / n;
        return new BinaryMetrics(
            Auc: positives == 0 || negatives == 0 ? double.NaN : aucPairs / ((double)positives * negatives),
            AveragePrecision: positives == 0 ? double.NaN : averagePrecision / positives,
            LogLoss: logLoss / n,
            Brier: brier / n,
            ExpectedCalibrationError: ece,
            TopDecileLift: positives == 0 ? double.NaN : topPositives / top / baseRate,
            TopDecileCapture: positives == 0 ? double.NaN : topPositives / positives);
    }
}
