using Crm.Serverless.Ml.Propensity;

namespace Crm.Serverless.Ml.Tests.Propensity;

public class BinaryMetricsTests
{
    [Fact]
    public void Compute_PerfectRanking_HasAucAndAveragePrecisionOne()
    {
        var metrics = BinaryMetrics.Compute([0.9f, 0.8f, 0.3f, 0.1f], [true, true, false, false]);

        Assert.Equal(1.0, metrics.Auc, 10);
        Assert.Equal(1.0, metrics.AveragePrecision, 10);
    }

    [Fact]
    public void Compute_ReversedRankingAndTies_MatchHandCountedPairs()
    {
        // Pairs (positive, negative): (0.2,0.9) lose, (0.2,0.2) tie, (0.5,0.9) lose, (0.5,0.2) win -> 1.5 / 4.
        var metrics = BinaryMetrics.Compute([0.9f, 0.2f, 0.2f, 0.5f], [false, true, false, true]);

        Assert.Equal(0.375, metrics.Auc, 10);
    }

    [Fact]
    public void Compute_LogLossBrierAndEce_MatchHandComputedValues()
    {
        // Ten rows at p = 0.75 of which 7 positive (bin off by 0.05); ten rows at p = 0.15 of which 1 positive (off by 0.05).
        var probabilities = Enumerable.Repeat(0.75f, 10).Concat(Enumerable.Repeat(0.15f, 10)).ToArray();
        var labels = Enumerable.Range(0, 10).Select(i => i < 7).Concat(Enumerable.Range(0, 10).Select(i => i < 1)).ToArray();

        var metrics = BinaryMetrics.Compute(probabilities, labels);

        var expectedLogLoss = -((7 * Math.Log(0.75)) + (3 * Math.Log(0.25)) + Math.Log(0.15) + (9 * Math.Log(0.85))) / 20;
        var expectedBrier = ((7 * 0.0625) + (3 * 0.5625) + (0.7225) + (9 * 0.0225)) / 20;
        Assert.Equal(expectedLogLoss, metrics.LogLoss, 5);
        Assert.Equal(expectedBrier, metrics.Brier, 5);
        Assert.Equal(0.05, metrics.ExpectedCalibrationError, 5);
    }

    [Fact]
    public void Compute_TopDecile_CountsLiftAndCaptureWithTiesProRata()
    {
        // 20 rows, 4 positives (base rate 0.2); the top decile is 2 rows, both positive -> lift 5, capture 0.5.
        var probabilities = Enumerable.Range(0, 20).Select(i => 1f - (i / 20f)).ToArray();
        var labels = Enumerable.Range(0, 20).Select(i => i is 0 or 1 or 10 or 15).ToArray();
        var tied = Enumerable.Repeat(0.5f, 20).ToArray();

        var ranked = BinaryMetrics.Compute(probabilities, labels);
        var allTied = BinaryMetrics.Compute(tied, labels);

        Assert.Equal(5.0, ranked.TopDecileLift, 10);
        Assert.Equal(0.5, ranked.TopDecileCapture, 10);
        Assert.Equal(1.0, allTied.TopDecileLift, 10);
        Assert.Equal(0.5, allTied.Auc, 10);
    }
}
