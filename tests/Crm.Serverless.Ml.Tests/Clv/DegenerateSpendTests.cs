using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Simulation;

namespace Crm.Serverless.Ml.Tests.Clv;

public class DegenerateSpendTests
{
    /// <summary>
    /// Customers whose spend levels spread evenly over five orders of magnitude: a tail so heavy that the Gamma-Gamma
    /// fit puts q at or below 1, where the population mean spend does not exist.
    /// </summary>
    internal static IReadOnlyList<CustomerHistory> HeavyTailedShop(int customers = 2000, int seed = 5)
    {
        var random = new Random(seed);
        return [.. ShopSimulator.Simulate(new ShopSimulationOptions { Customers = customers, Seed = seed }).Select(s =>
        {
            var level = Math.Pow(10, 5 * random.NextDouble());
            return new CustomerHistory(s.History.CustomerId, s.History.Purchases.Select(p => new Purchase(p.TimestampUtc, p.Amount * level)));
        })];
    }

    [Fact]
    public void Fit_HeavyTailedSpend_FallsBackToTheMeanRepeatSpendWithAWarning()
    {
        var summaries = CustomerSummaryBuilder.Build(HeavyTailedShop(), new DateTime(1998, 3, 31, 0, 0, 0, DateTimeKind.Utc), ClvTimeUnit.Weeks);

        var model = ClvModel.Fit(summaries);
        var scores = model.Score(summaries);

        Assert.True(model.Spend.Parameters.Q <= 1, $"q = {model.Spend.Parameters.Q}");
        Assert.Null(model.Spend.Model);
        Assert.Contains("q <= 1", model.Spend.Warning, StringComparison.Ordinal);
        Assert.True(model.Spend.FallbackMeanSpend > 0);
        Assert.All(scores.ExpectedAverageSpend.ToArray(), s => Assert.Equal(model.Spend.FallbackMeanSpend, s));
        Assert.All(scores.Clv.ToArray(), v => Assert.True(double.IsFinite(v) && v >= 0));
    }

    [Fact]
    public void Fit_OrdinarySpend_HasNoWarning()
    {
        var model = new GammaGammaFit(new GammaGammaParameters(6.25, 3.74, 15.44), -1, 10, 1, 30);

        Assert.NotNull(model.Model);
        Assert.Null(model.Warning);
        Assert.Equal(model.Model.ConditionalExpectedAverageSpend(2, 22.35), model.ExpectedAverageSpend(2, 22.35));
    }
}
