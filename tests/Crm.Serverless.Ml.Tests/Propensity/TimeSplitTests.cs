using Crm.Serverless.Ml.Propensity;
using Crm.Serverless.Ml.Simulation;
using static Crm.Serverless.Ml.Tests.Propensity.Histories;

namespace Crm.Serverless.Ml.Tests.Propensity;

public class TimeSplitTests
{
    private static readonly DateTime AsOf = Day(1998, 6, 30);
    private static readonly PurchaseTable Table = PurchaseTable.From(
        ShopSimulator.Simulate(new ShopSimulationOptions { Customers = 1000, Seed = 9 }).Select(s => s.History));

    [Fact]
    public void Create_HoldsBackTheNewestTrainingCutoffForCalibration()
    {
        var split = TimeSplit.Create(Table, AsOf, PropensityTarget.Purchase, new PropensityOptions { TrainingSpanDays = 90 });

        Assert.Equal(AsOf.AddDays(-30), split.Holdout.Cutoffs.Single().CutoffUtc);
        Assert.Equal(AsOf.AddDays(-60), split.Calibration!.Cutoffs.Single().CutoffUtc);
        Assert.Equal(new[] { AsOf.AddDays(-150), AsOf.AddDays(-120), AsOf.AddDays(-90) }, split.Trees.Cutoffs.Select(c => c.CutoffUtc));
        Assert.Equal(3 * 1000, split.Trees.Count);
    }

    [Theory]
    [InlineData(PropensityTarget.Churn)]
    [InlineData(PropensityTarget.Purchase)]
    public void Create_CalibrationLabelWindow_SharesNoDayWithAnyTreeRowsLabelWindow(PropensityTarget target)
    {
        // The default schedule: 30-day steps, so churn's 90-day windows overlap unless the split skips cut-offs.
        var options = new PropensityOptions();
        var window = options.LabelWindowDays(target);

        var split = TimeSplit.Create(Table, AsOf, target, options);

        // A label window (c, c + window] is the days c + 1 ... c + window.
        var calibration = split.Calibration!.Cutoffs.Single().CutoffUtc;
        var calibrationDays = Enumerable.Range(1, window).Select(d => calibration.AddDays(d)).ToHashSet();
        Assert.NotEmpty(split.Trees.Cutoffs);
        Assert.All(split.Trees.Cutoffs, tree => Assert.DoesNotContain(
            Enumerable.Range(1, window).Select(d => tree.CutoffUtc.AddDays(d)), calibrationDays.Contains));
        Assert.True(split.Trees.Cutoffs.Count >= 8, $"{split.Trees.Cutoffs.Count} tree cut-offs");
    }

    [Fact]
    public void Create_BuiltInCalibration_TrainsTreesOnEveryTrainingCutoff()
    {
        var split = TimeSplit.Create(
            Table, AsOf, PropensityTarget.Purchase, new PropensityOptions { TrainingSpanDays = 90, Calibration = ProbabilityCalibration.BuiltIn });

        Assert.Null(split.Calibration);
        Assert.Equal(4, split.Trees.Cutoffs.Count);
    }

    [Fact]
    public void Create_AboveTheRowCap_SamplesTrainingCustomersButNeverTheHoldout()
    {
        var options = new PropensityOptions { TrainingSpanDays = 90, MaximumTrainingRows = 2000 };

        var split = TimeSplit.Create(Table, AsOf, PropensityTarget.Purchase, options);

        var trainingRows = split.Trees.Count + split.Calibration!.Count;
        Assert.InRange(trainingRows, 1600, 2400);
        Assert.Equal(1000, split.Holdout.Count);
        Assert.All(split.Trees.Cutoffs, c => Assert.Equal(split.Calibration.Count, c.Rows));
    }

    [Fact]
    public void Create_HistoryTooShortForAnyTrainingCutoff_ExplainsWhy()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => TimeSplit.Create(Table, Day(1997, 6, 1), PropensityTarget.Churn, new PropensityOptions()));

        Assert.Contains("too short", error.Message, StringComparison.Ordinal);
    }
}
