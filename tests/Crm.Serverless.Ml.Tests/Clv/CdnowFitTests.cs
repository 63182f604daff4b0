using System.Text.Json;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Tests.TestData;
using Xunit.Abstractions;

namespace Crm.Serverless.Ml.Tests.Clv;

public class CdnowFitTests(ITestOutputHelper output)
{
    private static readonly Lazy<CustomerSummaries> Summaries = new(() =>
        CustomerSummaryBuilder.Build(CdnowSample.Load(), CdnowSample.CalibrationEnd, ClvTimeUnit.Weeks));

    [Fact]
    public void BetaGeoFit_CdnowSample_ReproducesPublishedParameters()
    {
        var fit = BetaGeoFitter.Fit(Summaries.Value);

        output.WriteLine($"{fit.Parameters} LL={fit.LogLikelihood:R} iterations={fit.Iterations}");
        Assert.Equal(0.243, Math.Round(fit.Parameters.R, 3));
        Assert.Equal(4.414, Math.Round(fit.Parameters.Alpha, 3));
        Assert.Equal(0.793, Math.Round(fit.Parameters.A, 3));
        Assert.Equal(2.426, Math.Round(fit.Parameters.B, 3));
        Assert.Equal(-9582.4, Math.Round(fit.LogLikelihood, 1));
        Assert.Equal(2357, fit.Customers);
    }

    [Fact]
    public void GammaGammaFit_CdnowSample_ReproducesPublishedParameters()
    {
        var fit = GammaGammaFitter.Fit(Summaries.Value);

        output.WriteLine($"{fit.Parameters} LL={fit.LogLikelihood:R} iterations={fit.Iterations}");
        Assert.Equal(6.25, Math.Round(fit.Parameters.P, 2));
        Assert.Equal(3.74, Math.Round(fit.Parameters.Q, 2));
        Assert.Equal(15.44, Math.Round(fit.Parameters.Gamma, 2));
        Assert.Equal(946, fit.Customers);
    }

    [Fact]
    public void ExpectedPurchases_CdnowHoldout_AggregateWithinFifteenPercentOfActual()
    {
        // The paper's validation: calibrate on weeks 1-39, predict repeat purchases in weeks 40-78 per customer.
        // The BG/NBD itself under-forecasts this holdout (1,653 predicted vs 1,882 actual purchase days, -12%; the
        // per-frequency actuals match BTYD's published 0.2367 for x = 0 and 0.6970 for x = 1, and single-customer
        // values match Hardie's spreadsheet), so the bar is 15%, not 10%: a broken conditional expectation misses
        // by far more.
        var summaries = Summaries.Value;
        var model = ClvModel.Fit(summaries);
        var holdoutWeeks = (CdnowSample.HoldoutEnd - CdnowSample.CalibrationEnd).TotalDays / 7;
        var actualByCustomer = CdnowSample.Load().ToDictionary(h => h.CustomerId, CdnowSample.HoldoutPurchaseDays);

        var predicted = model.ExpectedPurchases(summaries, holdoutWeeks);

        var actual = 0;
        foreach (var id in summaries.CustomerIds)
        {
            actual += actualByCustomer[id];
        }

        output.WriteLine($"holdout weeks {holdoutWeeks}: actual {actual}, predicted {predicted.Sum():F1}");
        Assert.Equal(39, holdoutWeeks);
        Assert.InRange(predicted.Sum(), actual * 0.85, actual * 1.15);
    }

    [Fact]
    public void ExpectedPurchases_CdnowHoldout_RanksCustomersLikeActualBehaviour()
    {
        // Aggregate accuracy alone would pass a model that predicts the mean for everyone: customers in the top
        // predicted decile must buy far more in the holdout than the bottom half.
        var summaries = Summaries.Value;
        var model = ClvModel.Fit(summaries);
        var actualByCustomer = CdnowSample.Load().ToDictionary(h => h.CustomerId, CdnowSample.HoldoutPurchaseDays);
        var predicted = model.ExpectedPurchases(summaries, 39);
        var ids = summaries.CustomerIds.ToArray();
        var ranked = Enumerable.Range(0, ids.Length).OrderByDescending(i => predicted[i]).ToArray();

        var topDecile = ranked.Take(ids.Length / 10).Average(i => actualByCustomer[ids[i]]);
        var bottomHalf = ranked.Skip(ids.Length / 2).Average(i => actualByCustomer[ids[i]]);

        output.WriteLine($"top decile {topDecile:F2}, bottom half {bottomHalf:F2} holdout purchases per customer");
        Assert.True(topDecile > 5 * bottomHalf);
    }

    [Fact]
    public void Score_CdnowSample_GivesConsistentPerCustomerPredictions()
    {
        var summaries = Summaries.Value;
        var model = ClvModel.Fit(summaries);

        var scores = model.Score(summaries, horizonMonths: 12, monthlyDiscountRate: 0.01);
        var undiscounted = model.Score(summaries, horizonMonths: 12, monthlyDiscountRate: 0);

        Assert.Equal(summaries.Count, scores.Count);
        Assert.Equal(2357, model.Customers);
        Assert.Equal(946, model.RepeatCustomers);
        var purchaseModel = model.Purchases.Model;
        var twelveMonths = 12 * ClvTimeUnit.Weeks.PerMonth();
        for (var i = 0; i < scores.Count; i++)
        {
            var customer = summaries[i];
            var score = scores[i];
            Assert.Equal(customer.CustomerId, score.CustomerId);
            Assert.Equal(purchaseModel.ProbabilityAlive(customer.Frequency, customer.Recency, customer.Age), score.ProbabilityAlive, 12);
            Assert.Equal(
                purchaseModel.ConditionalExpectedPurchases(twelveMonths, customer.Frequency, customer.Recency, customer.Age),
                score.ExpectedPurchases,
                9);

            // Without discounting, CLV is just purchases times spend; with it, strictly less.
            Assert.Equal(undiscounted[i].ExpectedPurchases * undiscounted[i].ExpectedAverageSpend, undiscounted[i].Clv, 6);
            Assert.True(score.Clv < undiscounted[i].Clv);
            Assert.True(score.Clv > undiscounted[i].Clv / 1.01 / 1.01 / 1.01 / 1.01 / 1.01 / 1.01 / 1.01 / 1.01 / 1.01 / 1.01 / 1.01 / 1.01);
        }
    }

    [Fact]
    public void Score_HardieCustomerOne_MatchesHandComputedClv()
    {
        // Customer 1 (x = 2, t_x = 30.43, T = 38.86, zbar = 22.35): CLV computed month by month from the public
        // per-customer formulas, the way lifetimes' customer_lifetime_value does.
        var summaries = Summaries.Value;
        var model = ClvModel.Fit(summaries);
        var customer = summaries[0];
        var purchases = model.Purchases.Model;
        var spend = model.Spend.Model!.ConditionalExpectedAverageSpend(customer.Frequency, customer.MonetaryValue);
        var month = ClvTimeUnit.Weeks.PerMonth();
        var expected = 0.0;
        for (var i = 1; i <= 12; i++)
        {
            var inMonth = purchases.ConditionalExpectedPurchases(i * month, customer.Frequency, customer.Recency, customer.Age)
                - purchases.ConditionalExpectedPurchases((i - 1) * month, customer.Frequency, customer.Recency, customer.Age);
            expected += inMonth * spend / Math.Pow(1.01, i);
        }

        var score = model.Score(summaries)[0];

        output.WriteLine($"customer 1: {score}");
        Assert.Equal("00004", score.CustomerId);
        Assert.Equal(expected, score.Clv, 9);
        Assert.InRange(score.Clv, 20, 40);
    }

    [Fact]
    public void Score_MoreRecentCustomers_HaveHigherProbabilityAliveAndClv()
    {
        var summaries = Summaries.Value;
        var scores = ClvModel.Fit(summaries).Score(summaries);

        // Among customers with the same x and T, a later last purchase means more alive and more valuable.
        var groups = Enumerable.Range(0, summaries.Count)
            .Where(i => summaries[i].Frequency > 0)
            .GroupBy(i => (summaries[i].Frequency, summaries[i].Age, summaries[i].MonetaryValue > 0))
            .Select(g => g.OrderBy(i => summaries[i].Recency).ToArray())
            .Where(g => g.Length > 1)
            .ToArray();

        Assert.NotEmpty(groups);
        foreach (var group in groups)
        {
            for (var k = 1; k < group.Length; k++)
            {
                if (summaries[group[k]].Recency > summaries[group[k - 1]].Recency)
                {
                    Assert.True(scores[group[k]].ProbabilityAlive > scores[group[k - 1]].ProbabilityAlive);
                    Assert.True(scores[group[k]].ExpectedPurchases > scores[group[k - 1]].ExpectedPurchases);
                }
            }
        }
    }

    [Fact]
    public void ClvModel_JsonRoundTrip_ScoresIdentically()
    {
        // The model is stored as a versioned artefact; a reloaded model must score exactly like the fitted one.
        var summaries = Summaries.Value;
        var fitted = ClvModel.Fit(summaries);

        var json = JsonSerializer.Serialize(fitted);
        var reloaded = JsonSerializer.Deserialize<ClvModel>(json)!;

        output.WriteLine(json);
        Assert.Contains("\"TimeUnit\":\"Weeks\"", json, StringComparison.Ordinal);
        Assert.Equal(fitted.Purchases.Parameters, reloaded.Purchases.Parameters);
        Assert.Equal(fitted.Spend.Parameters, reloaded.Spend.Parameters);
        Assert.Equal(fitted.Purchases.LogLikelihood, reloaded.Purchases.LogLikelihood);
        Assert.Equal(fitted.TimeUnit, reloaded.TimeUnit);
        Assert.Equal(fitted.CalibrationEndUtc, reloaded.CalibrationEndUtc);
        Assert.Equal(fitted.Score(summaries).Clv.ToArray(), reloaded.Score(summaries).Clv.ToArray());
    }
}
