using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Propensity;
using Crm.Serverless.Ml.Simulation;
using static Crm.Serverless.Ml.Tests.Propensity.Histories;

namespace Crm.Serverless.Ml.Tests.Propensity;

public class LeakageTests
{
    private static readonly DateTime AsOf = Day(1998, 6, 30);
    private static readonly PropensityOptions Options = new() { TrainingSpanDays = 120 };

    [Theory]
    [InlineData(PropensityTarget.Churn)]
    [InlineData(PropensityTarget.Purchase)]
    public void TrainingRows_AreIdentical_WhenPurchasesAfterTheHoldoutCutoffAreAdded(PropensityTarget target)
    {
        var histories = Shop();
        var holdoutCutoff = CutoffSchedule.Create(AsOf, target, Options).HoldoutCutoffUtc;

        // Every customer buys again in the holdout window and after the as-of date; none of it may reach training.
        var withFuture = histories.Select(h => new CustomerHistory(h.CustomerId, h.Purchases
            .Append(new Purchase(holdoutCutoff.AddDays(1), 500))
            .Append(new Purchase(AsOf.AddDays(3), 700)))).ToList();

        var original = TimeSplit.Create(PurchaseTable.From(histories), AsOf, target, Options);
        var extended = TimeSplit.Create(PurchaseTable.From(withFuture), AsOf, target, Options);

        AssertSameRows(original.Trees, extended.Trees);
        AssertSameRows(original.Calibration!, extended.Calibration!);
        Assert.True(original.Trees.Count > 1000);
    }

    [Theory]
    [InlineData(PropensityTarget.Churn)]
    [InlineData(PropensityTarget.Purchase)]
    public void HoldoutRows_AreIdentical_WhenPurchasesAfterTheAsOfDateAreAdded(PropensityTarget target)
    {
        var histories = Shop();
        var withFuture = histories.Select(h => new CustomerHistory(h.CustomerId, h.Purchases
            .Append(new Purchase(AsOf.AddDays(1), 500)))).ToList();

        var original = TimeSplit.Create(PurchaseTable.From(histories), AsOf, target, Options);
        var extended = TimeSplit.Create(PurchaseTable.From(withFuture), AsOf, target, Options);

        AssertSameRows(original.Holdout, extended.Holdout);
        AssertSameRows(original.Trees, extended.Trees);
    }

    private static List<CustomerHistory> Shop()
        => [.. ShopSimulator.Simulate(new ShopSimulationOptions { Customers = 800, Seed = 5 }).Select(s => s.History)];

    private static void AssertSameRows(LabelledRows expected, LabelledRows actual)
    {
        Assert.Equal(expected.Cutoffs, actual.Cutoffs);
        Assert.Equal(expected.Count, actual.Count);
        for (var row = 0; row < expected.Count; row++)
        {
            Assert.Equal(expected.Label(row), actual.Label(row));
            Assert.True(expected.Row(row).SequenceEqual(actual.Row(row)), $"Feature row {row} changed.");
        }
    }
}
