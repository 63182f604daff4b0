namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// Holdout quality of one probabilistic classifier. Lift and capture are for the top decile by probability; ECE uses
/// 10 equal-width probability bins.
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
    private const int CalibrationBins = 10;
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

        var order = new int[n];
        var keys = new float[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
            keys[i] = -probabilities[i];
        }

        // Descending probability; ties are handled as groups below so the ordering inside a tie cannot matter.
        Array.Sort(keys, order);

        var positives = 0;
        foreach (var label in labels)
        {
            positives += label ? 1 : 0;
        }

        var negatives = n - positives;
        var top = (int)Math.Ceiling(n / 10.0);
        double aucPairs = 0, averagePrecision = 0, topPositives = 0;
        var truePositives = 0;
        var falsePositives = 0;
        for (var start = 0; start < n;)
        {
            var end = start;
            int tiedPositives = 0, tiedNegatives = 0;
            while (end < n && keys[end] == keys[start])
            {
                if (labels[order[end]])
                {
                    tiedPositives++;
                }
                else
                {
                    tiedNegatives++;
                }

                end++;
            }

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
            start = end;
        }

        double logLoss = 0, brier = 0;
        var binCount = new int[CalibrationBins];
        var binProbability = new double[CalibrationBins];
        var binPositives = new double[CalibrationBins];
        for (var i = 0; i < n; i++)
        {
            var p = Math.Clamp(probabilities[i], ProbabilityFloor, 1 - ProbabilityFloor);
            var y = labels[i] ? 1.0 : 0.0;
            logLoss -= (y * Math.Log(p)) + ((1 - y) * Math.Log(1 - p));
            brier += (p - y) * (p - y);
            var bin = Math.Min((int)(probabilities[i] * CalibrationBins), CalibrationBins - 1);
            bin = Math.Max(bin, 0);
            binCount[bin]++;
            binProbability[bin] += probabilities[i];
            binPositives[bin] += y;
        }

        double ece = 0;
        for (var bin = 0; bin < CalibrationBins; bin++)
        {
            if (binCount[bin] > 0)
            {
                ece += Math.Abs(binProbability[bin] - binPositives[bin]) / n;
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
