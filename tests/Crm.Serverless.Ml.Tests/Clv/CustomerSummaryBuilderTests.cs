using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Tests.TestData;

namespace Crm.Serverless.Ml.Tests.Clv;

public class CustomerSummaryBuilderTests
{
    private static readonly DateTime End = Utc(2024, 3, 31);

    [Fact]
    public void Build_SameDayPurchases_CountAsOneDayWithSummedAmount()
    {
        var history = new CustomerHistory("c1", [
            new Purchase(Utc(2024, 1, 1, 9), 10),
            new Purchase(Utc(2024, 1, 1, 18), 5),
            new Purchase(Utc(2024, 1, 15, 8), 20),
            new Purchase(Utc(2024, 1, 15, 20), 30),
            new Purchase(Utc(2024, 1, 29, 12), 40),
        ]);

        var summary = CustomerSummaryBuilder.Build([history], End, ClvTimeUnit.Weeks)[0];

        Assert.Equal(2, summary.Frequency);
        Assert.Equal(4, summary.Recency, 12);
        Assert.Equal(90.0 / 7, summary.Age, 12);
        Assert.Equal((50 + 40) / 2.0, summary.MonetaryValue, 12);
        Assert.Equal(105, summary.TotalSpend, 12);
    }

    [Fact]
    public void Build_PurchaseOnCalibrationEndDay_IsIncludedAndLaterOnesAreNot()
    {
        var history = new CustomerHistory("c1", [
            new Purchase(Utc(2024, 3, 1), 10),
            new Purchase(Utc(2024, 3, 31, 23), 7),
            new Purchase(Utc(2024, 4, 1), 1000),
        ]);

        var summary = CustomerSummaryBuilder.Build([history], Utc(2024, 3, 31, 15), ClvTimeUnit.Days)[0];

        Assert.Equal(1, summary.Frequency);
        Assert.Equal(30, summary.Recency);
        Assert.Equal(30, summary.Age);
        Assert.Equal(7, summary.MonetaryValue);
        Assert.Equal(17, summary.TotalSpend);
    }

    [Fact]
    public void Build_FirstPurchaseAfterCalibrationEnd_ExcludesCustomer()
    {
        var histories = new[]
        {
            new CustomerHistory("early", [new Purchase(Utc(2024, 3, 30), 1)]),
            new CustomerHistory("late", [new Purchase(Utc(2024, 4, 1), 1)]),
        };

        var summaries = CustomerSummaryBuilder.Build(histories, End, ClvTimeUnit.Weeks);

        Assert.Equal(["early"], summaries.CustomerIds.ToArray());
    }

    [Fact]
    public void Build_OnlyFirstDayPurchases_HasZeroFrequencyAndMonetaryValue()
    {
        var history = new CustomerHistory("c1", [
            new Purchase(Utc(2024, 3, 3, 1), 10),
            new Purchase(Utc(2024, 3, 3, 2), 10),
        ]);

        var summary = CustomerSummaryBuilder.Build([history], End, ClvTimeUnit.Days)[0];

        Assert.Equal(0, summary.Frequency);
        Assert.Equal(0, summary.Recency);
        Assert.Equal(28, summary.Age);
        Assert.Equal(0, summary.MonetaryValue);
    }

    [Fact]
    public void Build_CdnowSample_MatchesHardiesCalibrationSummary()
    {
        // The first rows of Fader & Hardie's published CDNOW summary (ID, x, t_x, T, zbar), which lifetimes ships as
        // cdnow_customers_summary_with_transactions.csv; their IDs number the customers in the sample file's order.
        (int X, double Recency, double Age, double Zbar)[] hardie =
        [
            (2, 30.43, 38.86, 22.35), (1, 1.71, 38.86, 11.77), (0, 0, 38.86, 0), (0, 0, 38.86, 0),
            (0, 0, 38.86, 0), (7, 29.43, 38.86, 73.74), (1, 5.00, 38.86, 11.77), (0, 0, 38.86, 0),
            (2, 35.71, 38.86, 25.55), (0, 0, 38.86, 0), (5, 24.43, 38.86, 29.44),
        ];
        var summaries = CustomerSummaryBuilder.Build(CdnowSample.Load(), CdnowSample.CalibrationEnd, ClvTimeUnit.Weeks);

        Assert.Equal(2357, summaries.Count);
        Assert.Equal(946, summaries.RepeatCustomers);
        for (var i = 0; i < hardie.Length; i++)
        {
            var summary = summaries[i];
            Assert.Equal(hardie[i].X, summary.Frequency);
            // Hardie prints two decimals (22.345 shows as 22.35), so allow half a cent of rounding.
            Assert.Equal(hardie[i].Recency, summary.Recency, 0.0051);
            Assert.Equal(hardie[i].Age, summary.Age, 0.0051);
            Assert.Equal(hardie[i].Zbar, summary.MonetaryValue, 0.0051);
        }
    }

    private static DateTime Utc(int year, int month, int day, int hour = 0)
        => new(year, month, day, hour, 0, 0, DateTimeKind.Utc);
}
