using Crm.Serverless.Ml.Propensity;

namespace Crm.Serverless.Ml.Tests.Propensity;

public class PropensityModelTests(TrainedModelsFixture fixture) : IClassFixture<TrainedModelsFixture>
{
    private readonly PromotionGate _gate = new(TrainedModelsFixture.Options.PromotionAucTolerance);

    // Floors are the measured holdout AUCs (churn 0.878, purchase 0.854 on this seeded shop) minus about 0.02.
    [Theory]
    [InlineData(PropensityTarget.Churn, 0.86)]
    [InlineData(PropensityTarget.Purchase, 0.83)]
    public void Train_SeededShop_BeatsTheOneFeatureBaselinesAndIsCalibrated(PropensityTarget target, double aucFloor)
    {
        var model = target == PropensityTarget.Churn ? fixture.Churn : fixture.Purchase;
        var holdout = model.Metadata.Holdout;

        Assert.True(holdout.Model.Auc >= aucFloor, $"AUC {holdout.Model.Auc:F4} < {aucFloor}");
        Assert.True(holdout.Model.Auc > holdout.RecencyBaseline.Auc + 0.01, $"AUC {holdout.Model.Auc:F4} vs recency {holdout.RecencyBaseline.Auc:F4}");
        Assert.True(holdout.Model.Auc > holdout.FrequencyBaseline.Auc + 0.01, $"AUC {holdout.Model.Auc:F4} vs frequency {holdout.FrequencyBaseline.Auc:F4}");
        Assert.True(holdout.Model.ExpectedCalibrationError <= 0.05, $"ECE {holdout.Model.ExpectedCalibrationError:F4}");
        Assert.True(holdout.Model.LogLoss < holdout.RecencyBaseline.LogLoss, "Log-loss should beat the calibrated recency baseline.");
        Assert.Equal(ProbabilityCalibration.Platt, model.Metadata.Calibration);
    }

    [Theory]
    [InlineData(PropensityTarget.Churn)]
    [InlineData(PropensityTarget.Purchase)]
    public void Train_ShopThatFollowsTheBetaGeoProcess_LosesToBetaGeoAndTheGateRefuses(PropensityTarget target)
    {
        // The seeded shop is simulated by the BG/NBD process itself, so the BG/NBD probability is close to the best
        // possible: the trees beat recency and frequency but not it, and the gate must not promote them for it.
        var holdout = (target == PropensityTarget.Churn ? fixture.Churn : fixture.Purchase).Metadata.Holdout;

        var decision = _gate.Decide(holdout, currentModelAuc: null);

        Assert.NotNull(holdout.BetaGeoBaseline);
        Assert.True(holdout.BetaGeoBaseline.Auc > Math.Max(holdout.RecencyBaseline.Auc, holdout.FrequencyBaseline.Auc));
        Assert.True(holdout.BetaGeoBaseline.ExpectedCalibrationError <= 0.05, $"BG/NBD ECE {holdout.BetaGeoBaseline.ExpectedCalibrationError:F4}");
        Assert.False(decision.Promote);
        Assert.Contains("BG/NBD", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_HoldoutAndTrainingCutoffs_AreTimeSplitAsDocumented()
    {
        var metadata = fixture.Churn.Metadata;

        Assert.Equal(TrainedModelsFixture.AsOf.AddDays(-90), metadata.HoldoutCutoffUtc);
        Assert.Equal(fixture.Table.CustomerCount, metadata.HoldoutRows);
        Assert.NotNull(metadata.CalibrationCutoff);
        Assert.Equal(metadata.HoldoutCutoffUtc.AddDays(-90), metadata.CalibrationCutoff.CutoffUtc);
        // No tree row's 90-day label window shares a day with the calibration cut-off's.
        Assert.All(metadata.TrainingCutoffs, c => Assert.True(c.CutoffUtc.AddDays(90) <= metadata.CalibrationCutoff.CutoffUtc));
        Assert.Equal(metadata.HoldoutCutoffUtc, metadata.TrainingWindowEndUtc);
        Assert.Equal(metadata.TrainingCutoffs.Sum(c => c.Rows), metadata.TrainingRows);
    }

    [Fact]
    public void Train_ShuffledLabels_IsNearChanceAndTheGateRefuses()
    {
        var split = TimeSplit.Create(fixture.Table, TrainedModelsFixture.AsOf, PropensityTarget.Churn, TrainedModelsFixture.Options)
            .WithShuffledLabels(seed: 3);

        var model = fixture.Trainer.Fit(split);

        var holdout = model.Metadata.Holdout;
        var spread = Spread(PropensityScorer.Score(model, fixture.Table, holdout.HoldoutCutoffUtc));
        var trueSpread = Spread(PropensityScorer.Score(fixture.Churn, fixture.Table, holdout.HoldoutCutoffUtc));
        Assert.InRange(holdout.Model.Auc, 0.45, 0.55);
        Assert.True(spread < trueSpread / 3, $"Probability spread {spread:F4} vs {trueSpread:F4} with true labels.");
        Assert.False(_gate.Decide(model.Metadata.Holdout, fixture.Churn.Metadata.Holdout.Model.Auc).Promote);
        Assert.False(_gate.Decide(model.Metadata.Holdout, currentModelAuc: null).Promote);
    }

    private static double Spread(IReadOnlyList<CustomerPropensity> scores)
    {
        var mean = scores.Average(s => s.Probability);
        return Math.Sqrt(scores.Average(s => (s.Probability - mean) * (s.Probability - mean)));
    }

    [Fact]
    public async Task SaveAndLoad_RoundTrip_ScoresIdenticallyWithTheSameMetadata()
    {
        using var modelStream = new MemoryStream();
        using var metadataStream = new MemoryStream();
        PropensityModelSerializer.SaveModel(fixture.Churn, modelStream);
        await PropensityModelSerializer.SaveMetadataAsync(fixture.Churn.Metadata, metadataStream);
        modelStream.Position = 0;
        metadataStream.Position = 0;

        var metadata = await PropensityModelSerializer.LoadMetadataAsync(metadataStream);
        var loaded = PropensityModelSerializer.Load(modelStream, metadata);

        var expected = PropensityScorer.Score(fixture.Churn, fixture.Table, TrainedModelsFixture.AsOf);
        var actual = PropensityScorer.Score(loaded, fixture.Table, TrainedModelsFixture.AsOf);
        Assert.Equal(expected, actual);
        Assert.Equal(fixture.Churn.Metadata.Holdout, metadata.Holdout);
        Assert.Equal(fixture.Churn.Metadata.TrainingCutoffs, metadata.TrainingCutoffs);
        Assert.Equal(CustomerFeatures.Names, metadata.FeatureNames);
        Assert.Equal(PropensityTarget.Churn, metadata.Target);
        var explained = PropensityScorer.Explain(loaded, fixture.Table, TrainedModelsFixture.AsOf, [expected[0].CustomerId]);
        Assert.Equal(3, Assert.Single(explained).TopFactors.Count);
    }

    [Fact]
    public void Load_MetadataWithAnotherFeatureLayout_Refuses()
    {
        using var modelStream = new MemoryStream();
        PropensityModelSerializer.SaveModel(fixture.Churn, modelStream);
        modelStream.Position = 0;
        var stale = fixture.Churn.Metadata with { FeatureNames = [.. CustomerFeatures.Names.Skip(1)] };

        Assert.Throws<InvalidDataException>(() => PropensityModelSerializer.Load(modelStream, stale));
    }

    [Fact]
    public void Score_AsOfTheHoldoutCutoff_ReproducesTheHoldoutMetrics()
    {
        var metadata = fixture.Purchase.Metadata;

        var scores = PropensityScorer.Score(fixture.Purchase, fixture.Table, metadata.HoldoutCutoffUtc);
        var metrics = PropensityScorer.Evaluate(fixture.Purchase, fixture.Table, metadata.HoldoutCutoffUtc, metadata.LabelWindowDays);

        Assert.Equal(metadata.HoldoutRows, scores.Count);
        Assert.All(scores, s => Assert.InRange(s.Probability, 0f, 1f));
        Assert.Equal(metadata.Holdout.Model, metrics);
        Assert.Equal(fixture.Table.CustomerCount, scores.Select(s => s.CustomerId).Distinct().Count());
    }

    [Fact]
    public void Explain_RiskiestAndSafestCustomers_TopFactorsPushTheirWayWithReadableNames()
    {
        var scores = PropensityScorer.Score(fixture.Churn, fixture.Table, TrainedModelsFixture.AsOf);
        var riskiest = scores.MaxBy(s => s.Probability)!;
        var safest = scores.MinBy(s => s.Probability)!;

        var explanations = PropensityScorer.Explain(
            fixture.Churn, fixture.Table, TrainedModelsFixture.AsOf, [riskiest.CustomerId, safest.CustomerId]);

        var risky = explanations.Single(e => e.CustomerId == riskiest.CustomerId);
        var safe = explanations.Single(e => e.CustomerId == safest.CustomerId);
        Assert.Equal(riskiest.Probability, risky.Probability);
        Assert.True(risky.Probability > 0.5f && safe.Probability < 0.5f);
        foreach (var explanation in explanations)
        {
            Assert.Equal(3, explanation.TopFactors.Count);
            Assert.All(explanation.TopFactors, f => Assert.Contains(CustomerFeatures.Definitions, d => d.Name == f.Feature && d.ReadableName == f.ReadableName));
            var magnitudes = explanation.TopFactors.Select(f => Math.Abs(f.Contribution)).ToArray();
            Assert.Equal(magnitudes.OrderDescending(), magnitudes);
        }

        Assert.True(risky.TopFactors.Sum(f => f.Contribution) > 0, "The riskiest customer's main factors should push towards churn.");
        Assert.True(safe.TopFactors.Sum(f => f.Contribution) < 0, "The safest customer's main factors should push away from churn.");
    }
}
