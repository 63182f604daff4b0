using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Simulation;
using Xunit.Abstractions;

namespace Crm.Serverless.Ml.Tests.Clv;

public class SimulatedShopTests(ITestOutputHelper output)
{
    private static readonly ShopSimulationOptions Shop = new() { Customers = 60_000, Seed = 2024 };

    private static readonly Lazy<IReadOnlyList<SimulatedCustomer>> Customers =
        new(() => ShopSimulator.Simulate(Shop).ToList());

    private static DateTime ObservationEnd => Shop.Start.AddDays(Shop.ObservationWeeks * 7 - 1);

    [Fact]
    public void BetaGeoFit_SimulatedShop_RecoversTrueParameters()
    {
        var summaries = CustomerSummaryBuilder.Build(Customers.Value.Select(c => c.History), ObservationEnd, ClvTimeUnit.Weeks);

        var fit = BetaGeoFitter.Fit(summaries);

        output.WriteLine(fit.Parameters.ToString());
        Assert.Equal(Shop.R, fit.Parameters.R, Shop.R * 0.10);
        Assert.Equal(Shop.Alpha, fit.Parameters.Alpha, Shop.Alpha * 0.10);
        Assert.Equal(Shop.A, fit.Parameters.A, Shop.A * 0.20);
        Assert.Equal(Shop.B, fit.Parameters.B, Shop.B * 0.20);
    }

    [Fact]
    public void GammaGammaFit_SimulatedShop_RecoversTrueParameters()
    {
        var summaries = CustomerSummaryBuilder.Build(Customers.Value.Select(c => c.History), ObservationEnd, ClvTimeUnit.Weeks);

        var fit = GammaGammaFitter.Fit(summaries);

        output.WriteLine(fit.Parameters.ToString());
        Assert.Equal(Shop.P, fit.Parameters.P, Shop.P * 0.10);
        Assert.Equal(Shop.Q, fit.Parameters.Q, Shop.Q * 0.15);
        Assert.Equal(Shop.Gamma, fit.Parameters.Gamma, Shop.Gamma * 0.15);
        var trueMean = Shop.P * Shop.Gamma / (Shop.Q - 1);
        Assert.Equal(trueMean, fit.Model!.PopulationMeanSpend, trueMean * 0.03);
    }

    [Fact]
    public void Score_SimulatedShop_ProbabilityAliveIsCalibratedAndDiscriminates()
    {
        var summaries = CustomerSummaryBuilder.Build(Customers.Value.Select(c => c.History), ObservationEnd, ClvTimeUnit.Weeks);
        var scores = ClvModel.Fit(summaries).Score(summaries);
        var truth = Customers.Value.ToDictionary(c => c.History.CustomerId, c => c.Truth.AliveAtEnd);

        // Calibrated: the expected number alive matches the truth; discriminating: the alive score higher than the dead.
        double predictedAlive = 0, actuallyAlive = 0, aliveScoreSum = 0, deadScoreSum = 0;
        int repeaters = 0;
        for (var i = 0; i < scores.Count; i++)
        {
            if (summaries.Frequency[i] > 0)
            {
                repeaters++;
                predictedAlive += scores.ProbabilityAlive[i];
                if (truth[scores.CustomerIds[i]])
                {
                    actuallyAlive++;
                    aliveScoreSum += scores.ProbabilityAlive[i];
                }
                else
                {
                    deadScoreSum += scores.ProbabilityAlive[i];
                }
            }
        }

        var meanIfAlive = aliveScoreSum / actuallyAlive;
        var meanIfDead = deadScoreSum / (repeaters - actuallyAlive);
        output.WriteLine($"repeaters {repeaters}: expected alive {predictedAlive:F0}, actually alive {actuallyAlive}; mean P(alive) {meanIfAlive:F3} alive vs {meanIfDead:F3} dead");
        Assert.Equal(actuallyAlive, predictedAlive, actuallyAlive * 0.05);
        Assert.True(meanIfAlive - meanIfDead > 0.3);
    }

    [Fact]
    public void NextPurchaseUtc_SimulatedShop_HalfOfCustomersBuyByTheirDate()
    {
        // Calibrate at week 39 and look 39 weeks ahead: by construction each customer with a date has a 50% chance
        // of buying again by it, so about half of those whose date falls in the window should have.
        var calibrationEnd = Shop.Start.AddDays(39 * 7 - 1);
        var histories = Customers.Value.Select(c => c.History).ToList();
        var summaries = CustomerSummaryBuilder.Build(histories, calibrationEnd, ClvTimeUnit.Weeks);
        var scores = ClvModel.Fit(summaries).Score(summaries);
        var byId = histories.ToDictionary(h => h.CustomerId);

        int withDate = 0, boughtByDate = 0;
        for (var i = 0; i < scores.Count; i++)
        {
            if (scores.NextPurchaseUtc[i] is not { } date || date > ObservationEnd)
            {
                continue;
            }

            withDate++;
            if (BoughtBetween(byId[scores.CustomerIds[i]], calibrationEnd, date))
            {
                boughtByDate++;
            }
        }

        var share = (double)boughtByDate / withDate;
        output.WriteLine($"{withDate} customers with a date, {share:P1} bought by it");
        Assert.True(withDate > 1000);
        Assert.InRange(share, 0.45, 0.55);
    }

    private static bool BoughtBetween(CustomerHistory history, DateTime afterDay, DateTime byDay)
    {
        foreach (var purchase in history.Purchases)
        {
            var day = purchase.TimestampUtc.Date;
            if (day > afterDay && day <= byDay)
            {
                return true;
            }
        }

        return false;
    }
}
