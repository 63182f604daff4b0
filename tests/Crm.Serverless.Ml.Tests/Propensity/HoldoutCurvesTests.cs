using Crm.Serverless.Ml.Propensity;

namespace Crm.Serverless.Ml.Tests.Propensity;

/// <summary>The report's diagrams and the holdout metrics come from one ranking and one binning, so they agree.</summary>
public class HoldoutCurvesTests
{
    private static (float[] Scores, bool[] Labels) Holdout(int rows, int seed)
    {
        var random = new Random(seed);
        var labels = Enumerable.Range(0, rows).Select(_ => random.NextDouble() < 0.3).ToArray();

        // Scores rounded to two decimals so that many rows tie, the case where a second ranking would drift.
        var scores = labels.Select(l => (float)Math.Round(Math.Clamp((l ? 0.6 : 0.4) + ((random.NextDouble() - 0.5) * 0.8), 0, 1), 2)).ToArray();
        return (scores, labels);
    }

    [Fact]
    public void RocCurve_AreaUnderItsPoints_IsTheAucOfBinaryMetrics()
    {
        var (scores, labels) = Holdout(150, seed: 7);
        var metrics = BinaryMetrics.Compute(scores, labels);

        var roc = HoldoutCurves.Roc("model", metrics.Auc, scores, labels);
        var area = 0.0;
        for (var i = 1; i < roc.FalsePositiveRate.Count; i++)
        {
            area += (roc.FalsePositiveRate[i] - roc.FalsePositiveRate[i - 1]) * (roc.TruePositiveRate[i] + roc.TruePositiveRate[i - 1]) / 2;
        }

        Assert.Equal((1.0, 1.0), (roc.FalsePositiveRate[^1], roc.TruePositiveRate[^1]));
        Assert.Equal(metrics.Auc, area, 12);
        Assert.InRange(metrics.Auc, 0.6, 0.95);
    }

    [Fact]
    public void ReliabilityBins_WeightedGaps_AreTheEceOfBinaryMetrics()
    {
        var (scores, labels) = Holdout(500, seed: 11);
        var metrics = BinaryMetrics.Compute(scores, labels);

        var bins = HoldoutCurves.Reliability(scores, labels);
        var ece = bins.Where(b => b.Count > 0).Sum(b => b.Count * Math.Abs(b.MeanPredicted - b.ObservedRate)) / scores.Length;

        Assert.Equal(HoldoutCurves.Bins, bins.Count);
        Assert.Equal(scores.Length, bins.Sum(b => b.Count));
        Assert.Equal(metrics.ExpectedCalibrationError, ece, 12);
        Assert.True(metrics.ExpectedCalibrationError > 0);
    }
}
