using Crm.Serverless.Ml.Propensity;

namespace Crm.Serverless.Ml.Tests.Propensity;

public class PromotionGateTests
{
    private readonly PromotionGate _gate = new(aucTolerance: 0.01);

    [Fact]
    public void Decide_BeatsBothBaselinesWithoutCurrentModel_Promotes()
    {
        var decision = _gate.Decide(Evaluation(model: 0.80, recency: 0.75, frequency: 0.70), currentModelAuc: null);

        Assert.True(decision.Promote, decision.Reason);
    }

    [Theory]
    [InlineData(0.74, 0.75, 0.70, "recency")]
    [InlineData(0.74, 0.70, 0.75, "frequency")]
    [InlineData(0.75, 0.75, 0.70, "recency")]
    public void Decide_DoesNotBeatABaseline_Refuses(double model, double recency, double frequency, string loser)
    {
        var decision = _gate.Decide(Evaluation(model, recency, frequency), currentModelAuc: null);

        Assert.False(decision.Promote);
        Assert.Contains(loser, decision.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.80, 0.805, true)]
    [InlineData(0.80, 0.8101, false)]
    [InlineData(0.80, 0.70, true)]
    public void Decide_AgainstCurrentModel_AllowsOnlyTheTolerance(double candidate, double current, bool promote)
    {
        var decision = _gate.Decide(Evaluation(candidate, 0.6, 0.6), currentModelAuc: current);

        Assert.Equal(promote, decision.Promote);
    }

    [Fact]
    public void Decide_AucAtChanceEvenIfBaselinesRankBackwards_Refuses()
    {
        var decision = _gate.Decide(Evaluation(model: 0.51, recency: 0.30, frequency: 0.40), currentModelAuc: null);

        Assert.False(decision.Promote);
        Assert.Contains("floor", decision.Reason, StringComparison.Ordinal);
    }

    private static HoldoutEvaluation Evaluation(double model, double recency, double frequency)
        => new(DateTime.UnixEpoch, 1000, 0.3, Metrics(model), Metrics(recency), Metrics(frequency));

    private static BinaryMetrics Metrics(double auc) => new(auc, 0.5, 0.5, 0.2, 0.02, 2, 0.2);
}
