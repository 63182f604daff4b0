namespace Crm.Serverless.Reporting;

/// <summary>Reliability bins and ROC points from holdout probabilities and labels.</summary>
public static class HoldoutCurves
{
    /// <summary>Ten equal-width bins, the same binning <see cref="Ml.Propensity.BinaryMetrics"/> uses for its ECE.</summary>
    public const int Bins = 10;

    private const int MaxRocPoints = 200;

    public static IReadOnlyList<ReliabilityBin> Reliability(ReadOnlySpan<float> probabilities, ReadOnlySpan<bool> labels)
    {
        var count = new int[Bins];
        var predicted = new double[Bins];
        var positives = new double[Bins];
        for (var i = 0; i < probabilities.Length; i++)
        {
            var bin = Math.Clamp((int)(probabilities[i] * Bins), 0, Bins - 1);
            count[bin]++;
            predicted[bin] += probabilities[i];
            positives[bin] += labels[i] ? 1 : 0;
        }

        return [.. Enumerable.Range(0, Bins).Select(bin => new ReliabilityBin(
            (double)bin / Bins,
            (double)(bin + 1) / Bins,
            count[bin],
            count[bin] == 0 ? double.NaN : predicted[bin] / count[bin],
            count[bin] == 0 ? double.NaN : positives[bin] / count[bin]))];
    }

    /// <summary>ROC points by descending score; tied scores move the curve in one diagonal step.</summary>
    public static RocCurve Roc(string name, double auc, ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        var order = new int[scores.Length];
        var keys = new float[scores.Length];
        int positives = 0, negatives = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            order[i] = i;
            keys[i] = -scores[i];
            positives += labels[i] ? 1 : 0;
        }

        negatives = scores.Length - positives;
        Array.Sort(keys, order);
        var fpr = new List<double> { 0 };
        var tpr = new List<double> { 0 };
        var step = Math.Max(1, scores.Length / MaxRocPoints);
        int tp = 0, fp = 0, sinceLast = 0;
        for (var start = 0; start < keys.Length;)
        {
            var end = start;
            while (end < keys.Length && keys[end] == keys[start])
            {
                if (labels[order[end]])
                {
                    tp++;
                }
                else
                {
                    fp++;
                }

                end++;
            }

            sinceLast += end - start;
            start = end;
            if (sinceLast >= step || start == keys.Length)
            {
                fpr.Add(negatives == 0 ? 0 : (double)fp / negatives);
                tpr.Add(positives == 0 ? 0 : (double)tp / positives);
                sinceLast = 0;
            }
        }

        return new RocCurve(name, auc, fpr, tpr);
    }
}
