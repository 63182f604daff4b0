using Crm.Serverless.Ml.Propensity;
using static Crm.Serverless.Ml.Tests.Propensity.Histories;

namespace Crm.Serverless.Ml.Tests.Propensity;

public class FeatureBuilderTests
{
    private static readonly DateTime AsOf = Day(2024, 6, 30);

    [Fact]
    public void Build_HandMadeHistory_ComputesRecencyFrequencyMonetaryGapsAndTrend()
    {
        // Purchase days: Jan 1, Mar 1 (two baskets), May 31, Jun 20 -> gaps 60, 91, 20 days;
        // the 90 days before the last 90 are (Jan 2, Apr 1], so the Jan 1 purchase is in neither window.
        var table = PurchaseTable.From([Customer("c1",
            (Day(2024, 1, 1), 10), (Day(2024, 3, 1), 20), (Day(2024, 3, 1).AddHours(5), 30), (Day(2024, 5, 31), 40), (Day(2024, 6, 20), 50))]);

        var rows = FeatureBuilder.Build(table, AsOf, windowDays: 30);

        Assert.Equal(1, rows.Count);
        float F(string name) => rows.Value(0, IndexOf(name));
        Assert.Equal(10f, F("RecencyDays"));
        Assert.Equal(4f, F("PurchaseDays"));
        Assert.Equal(181f, F("TenureDays"));
        Assert.Equal(150f, F("TotalSpend"));
        Assert.Equal(30f, F("MeanSpend"));
        Assert.Equal(50f, F("LastSpend"));
        Assert.Equal(57f, F("MeanGapDays"));
        Assert.Equal((float)Math.Sqrt(((3 * 3) + (34 * 34) + (37 * 37)) / 3.0), F("GapStdDays"), 4);
        Assert.Equal(20f, F("LastGapDays"));
        Assert.Equal(10f / 57f, F("RecencyOverMeanGap"), 5);
        Assert.Equal(10f / 91f, F("RecencyOverMaxGap"), 5);
        Assert.Equal(1f, F("PurchasesLast30Days"));
        Assert.Equal(2f, F("PurchasesLast90Days"));
        Assert.Equal(2f, F("PurchasesPrior90Days"));
        Assert.Equal(0f, F("ActivityTrend"));
        Assert.Equal(90f, F("SpendLast90Days"));
        Assert.Equal(4f * 30f / 181f, F("PurchaseDaysPer30Days"), 5);
    }

    [Fact]
    public void Build_OnePurchaseDay_MarksGapFeaturesAsMissing()
    {
        var table = PurchaseTable.From([Customer("c1", (Day(2024, 6, 1), 10), (Day(2024, 6, 1).AddHours(1), 10))]);

        var rows = FeatureBuilder.Build(table, AsOf, windowDays: 30);

        Assert.Equal(1f, rows.Value(0, IndexOf("PurchaseDays")));
        Assert.Equal(-1f, rows.Value(0, IndexOf("MeanGapDays")));
        Assert.Equal(-1f, rows.Value(0, IndexOf("RecencyOverMeanGap")));
        Assert.Equal(1f, rows.Value(0, IndexOf("ActivityTrend")));
    }

    [Fact]
    public void Build_UsesOnlyPurchasesOnOrBeforeTheDate()
    {
        var history = new[] { (Day(2024, 1, 1), 10.0), (Day(2024, 6, 30), 20.0) };
        var withFuture = history.Append((Day(2024, 7, 1), 999.0)).Append((Day(2025, 1, 1), 999.0)).ToArray();

        var before = FeatureBuilder.Build(PurchaseTable.From([Customer("c1", history)]), AsOf, windowDays: 30);
        var after = FeatureBuilder.Build(PurchaseTable.From([Customer("c1", withFuture)]), AsOf, windowDays: 30);

        Assert.Equal(0f, before.Value(0, IndexOf("RecencyDays")));
        Assert.Equal(before.Row(0).ToArray(), after.Row(0).ToArray());
    }

    [Fact]
    public void Build_CustomerWhoFirstBuysAfterTheDate_IsNotARow()
    {
        var table = PurchaseTable.From([
            Customer("old", (Day(2024, 1, 1), 10)),
            Customer("new", (Day(2024, 7, 1), 10)),
        ]);

        var rows = FeatureBuilder.Build(table, AsOf, windowDays: 30);

        Assert.Equal(1, rows.Count);
        Assert.Equal("old", table.CustomerId(rows.CustomerIndex(0)));
    }

    private static int IndexOf(string name) => CustomerFeatures.Names.ToList().IndexOf(name);
}
