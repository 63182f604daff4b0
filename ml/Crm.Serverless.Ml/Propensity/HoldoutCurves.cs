namespace Crm.Serverless.Ml.Propensity;

/// <summary>One bin of a reliability diagram: the mean predicted probability beside the observed rate.</summary>
public sealed record ReliabilityBin(double Lower, double Upper, int Count, double MeanPredicted, double ObservedRate);

/// <summary>A ROC curve, thinned to a few hundred points; <see cref="Auc"/> comes from the full ranking.</summary>
public sealed record RocCurve(string Name, double Auc, IReadOnlyList<double> FalsePositiveRate, IReadOnlyList<double> TruePositiveRate);

/// <summary>
/// Reliability bins and ROC points from holdout probabilities and labels, drawn from the same binning and ranking
/// <see cref="BinaryMetrics"/> computes its ECE and AUC from.
/// </summary>
public static class HoldoutCurves
{
    /// <summary>Ten equal-width bins, the same binning <see cref="BinaryMetrics"/> uses for its ECE.</summary>
    public const int Bins = CalibrationBins.Count;

    private const int MaxRocPoints = 200;

    public static IReadOnlyList<ReliabilityBin> Reliability(ReadOnlySpan<float> probabilities, ReadOnlySpan<bool> labels)
    {
        var bins = new CalibrationBins(probabilities, labels);
        return [.. Enumerable.Range(0, Bins).Select(bin => new ReliabilityBin(
            (double)bin / Bins,
            (double)(bin + 1) / Bins,
            bins.Rows[bin],
            bins.Rows[bin] == 0 ? double.NaN : bins.Predicted[bin] / bins.Rows[bin],
            bins.Rows[bin] == 0 ? double.NaN : bins.Positives[bin] / bins.Rows[bin]))];
    }

    /// <summary>ROC points by descending score; tied scores move the curve in one diagonal step.</summary>
    public static RocCurve Roc(string name, double auc, ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        var ranked = new RankedScores(scores, labels);
        var fpr = new List<double> { 0 };
        var tpr = new List<double> { 0 };
        var step = Math.Max(1, ranked.Count / MaxRocPoints);
        int tp = 0, fp = 0, sinceLast = 0;
        foreach (var tie in ranked.Ties())
        {
            tp += tie.Positives;
            fp += tie.Negatives;
            sinceLast += tie.End - tie.Start;
            if (sinceLast >= step || tie.End == ranked.Count)
            {
                fpr.Add(ranked.Negatives == 0 ? 0 : (double)fp / ranked.Negatives);
                tpr.Add(ranked.Positives == 0 ? 0 : (double)tp / ranked.Positives);
                sinceLast = 0;
            }
        }

        return new RocCurve(name, auc, fpr, tpr);
    }
}
