using Crm.Serverless.Ml.Propensity;

namespace Crm.Serverless.Ml.Tests.Propensity;

public class PromotionGateTests
{
    private readonly PromotionGate _gate = new(aucTolerance: 0.01, eceTolerance: 0.01);

    [Fact]
    public void Decide_BeatsAllThreeBaselinesWithoutCurrentModel_Promotes()
    {
        var decision = _gate.Decide(Evaluation(model: 0.80, recency: 0.75, frequency: 0.70, betaGeo: 0.78), currentModelAuc: null);

        Assert.True(decision.Promote, decision.Reason);
        Assert.Contains("BG/NBD", decision.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.74, 0.75, 0.70, 0.70, "recency")]
    [InlineData(0.74, 0.70, 0.75, 0.70, "frequency")]
    [InlineData(0.75, 0.75, 0.70, 0.70, "recency")]
    [InlineData(0.78, 0.70, 0.70, 0.781, "BG/NBD")]
    [InlineData(0.78, 0.70, 0.70, 0.78, "BG/NBD")]
    public void Decide_DoesNotBeatABaseline_Refuses(double model, double recency, double frequency, double betaGeo, string loser)
    {
        var decision = _gate.Decide(Evaluation(model, recency, frequency, betaGeo), currentModelAuc: null);

        Assert.False(decision.Promote);
        Assert.Contains(loser, decision.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.029, 0.02, true)]
    [InlineData(0.0301, 0.02, false)]
    [InlineData(0.08, 0.02, false)]
    public void Decide_CalibrationAgainstBetaGeo_AllowsOnlyTheTolerance(double modelEce, double betaGeoEce, bool promote)
    {
        var evaluation = Evaluation(0.80, 0.70, 0.70, 0.75) with
        {
            Model = Metrics(0.80, modelEce),
            BetaGeoBaseline = Metrics(0.75, betaGeoEce),
        };

        var decision = _gate.Decide(evaluation, currentModelAuc: null);

        Assert.Equal(promote, decision.Promote);
        if (!decision.Promote)
        {
            Assert.Contains("ECE", decision.Reason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(0.80, 0.805, true)]
    [InlineData(0.80, 0.8101, false)]
    [InlineData(0.80, 0.70, true)]
    public void Decide_AgainstCurrentModel_AllowsOnlyTheTolerance(double candidate, double current, bool promote)
    {
        var decision = _gate.Decide(Evaluation(candidate, 0.6, 0.6, 0.6), currentModelAuc: current);

        Assert.Equal(promote, decision.Promote);
    }

    [Fact]
    public void Decide_WithinToleranceOfCurrentButWorseThanBestRecent_Refuses()
    {
        // Night after night a model 0.009 worse than the current one would pass; the best of the recent ones stops it.
        var decision = _gate.Decide(Evaluation(0.781, 0.6, 0.6, 0.6), currentModelAuc: 0.79, bestRecentAuc: 0.80);

        Assert.False(decision.Promote);
        Assert.Contains("best recently promoted", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_AucAtChanceEvenIfBaselinesRankBackwards_Refuses()
    {
        var decision = _gate.Decide(Evaluation(model: 0.51, recency: 0.30, frequency: 0.40, betaGeo: 0.3), currentModelAuc: null);

        Assert.False(decision.Promote);
        Assert.Contains("floor", decision.Reason, StringComparison.Ordinal);
    }

    private static HoldoutEvaluation Evaluation(double model, double recency, double frequency, double betaGeo)
        => new(DateTime.UnixEpoch, 1000, 0.3, Metrics(model), Metrics(recency), Metrics(frequency), Metrics(betaGeo));

    private static BinaryMetrics Metrics(double auc, double ece = 0.02) => new(auc, 0.5, 0.5, 0.2, ece, 2, 0.2);
}
