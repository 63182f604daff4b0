using Crm.Serverless.Ml.Propensity;
using static Crm.Serverless.Ml.Tests.Propensity.Histories;

namespace Crm.Serverless.Ml.Tests.Propensity;

public class LabelAndScheduleTests
{
    private static readonly DateTime Cutoff = Day(2024, 3, 31);

    [Fact]
    public void Label_Churn_IsTrueOnlyWithoutAPurchaseInTheWindowAfterTheCutoff()
    {
        var table = PurchaseTable.From([
            Customer("last-day-of-window", (Day(2024, 1, 1), 1), (Cutoff.AddDays(90), 1)),
            Customer("day-after-window", (Day(2024, 1, 1), 1), (Cutoff.AddDays(91), 1)),
            Customer("on-cutoff-only", (Day(2024, 1, 1), 1), (Cutoff, 1)),
            Customer("next-day", (Day(2024, 1, 1), 1), (Cutoff.AddDays(1), 1)),
        ]);

        var labels = Labels(table, PropensityTarget.Churn, 90);

        Assert.Equal(
            new Dictionary<string, bool> { ["last-day-of-window"] = false, ["day-after-window"] = true, ["on-cutoff-only"] = true, ["next-day"] = false },
            labels);
    }

    [Fact]
    public void Label_Purchase_IsTrueOnlyWithAPurchaseInTheWindowAfterTheCutoff()
    {
        var table = PurchaseTable.From([
            Customer("day-30", (Day(2024, 1, 1), 1), (Cutoff.AddDays(30), 1)),
            Customer("day-31", (Day(2024, 1, 1), 1), (Cutoff.AddDays(31), 1)),
            Customer("on-cutoff-only", (Day(2024, 1, 1), 1), (Cutoff, 1)),
        ]);

        var labels = Labels(table, PropensityTarget.Purchase, 30);

        Assert.Equal(new Dictionary<string, bool> { ["day-30"] = true, ["day-31"] = false, ["on-cutoff-only"] = false }, labels);
    }

    [Fact]
    public void Schedule_HoldoutEndsAtAsOf_AndNoTrainingLabelWindowPassesTheHoldoutCutoff()
    {
        var asOf = Day(2024, 12, 31);

        var schedule = CutoffSchedule.Create(asOf, labelWindowDays: 90, stepDays: 30, spanDays: 120);

        Assert.Equal(asOf.AddDays(-90), schedule.HoldoutCutoffUtc);
        Assert.Equal(
            new[] { asOf.AddDays(-180), asOf.AddDays(-210), asOf.AddDays(-240), asOf.AddDays(-270), asOf.AddDays(-300) },
            schedule.TrainingCutoffsUtc);
        Assert.All(schedule.TrainingCutoffsUtc, c => Assert.True(c.AddDays(90) <= schedule.HoldoutCutoffUtc));
    }

    private static Dictionary<string, bool> Labels(PurchaseTable table, PropensityTarget target, int windowDays)
    {
        var rows = FeatureBuilder.Build(table, Cutoff, windowDays: 30);
        var labels = PropensityLabeler.Label(table, rows, target, windowDays);
        return Enumerable.Range(0, rows.Count).ToDictionary(r => table.CustomerId(rows.CustomerIndex(r)), r => labels[r]);
    }
}
