using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Propensity;
using Crm.Serverless.Ml.Simulation;
using Xunit.Abstractions;
using static Crm.Serverless.Ml.Tests.Propensity.Histories;

namespace Crm.Serverless.Ml.Tests.Propensity;

/// <summary>On a seeded shop whose complaints end customers, the models must learn from the interaction features.</summary>
public class InteractionSignalTests(ITestOutputHelper output)
{
    private static readonly DateTime AsOf = Day(1998, 12, 31);

    [Fact]
    public void Train_ShopWhoseComplaintsEndCustomers_ChurnAucWithInteractionsBeatsWithout()
    {
        var shop = ShopSimulator.Simulate(new ShopSimulationOptions
        {
            Customers = 4000,
            Seed = 11,
            R = 1.2,
            Alpha = 6,
            A = 0.4,
            B = 6,
            AcquisitionWeeks = 52,
            ObservationWeeks = 104,
            Interactions = new InteractionSimulationOptions(),
        }).ToList();
        var histories = shop.Select(s => s.History).ToList();
        var interactions = shop.ToDictionary(s => s.History.CustomerId, s => s.Interactions, StringComparer.Ordinal);
        var trainer = new PropensityTrainer(TrainedModelsFixture.Options);

        var with = trainer.Train(PurchaseTable.From(histories, interactions), AsOf, PropensityTarget.Churn).Metadata;
        var without = trainer.Train(PurchaseTable.From(histories), AsOf, PropensityTarget.Churn).Metadata;

        output.WriteLine($"left after contact {shop.Count(s => s.Truth.LeftAfterContact)} of {shop.Count}; interactions {shop.Sum(s => s.Interactions.Count)}");
        output.WriteLine($"churn AUC with {with.Holdout.Model.Auc:F4} (ECE {with.Holdout.Model.ExpectedCalibrationError:F4}), without {without.Holdout.Model.Auc:F4} (ECE {without.Holdout.Model.ExpectedCalibrationError:F4}); BG/NBD {with.Holdout.BetaGeoBaseline!.Auc:F4}");
        Assert.Equal(FeatureLayout.WithInteractions.Names, with.FeatureNames);
        Assert.Equal(FeatureLayout.Purchases.Names, without.FeatureNames);
        Assert.True(with.Holdout.Model.Auc > without.Holdout.Model.Auc + 0.01, $"with {with.Holdout.Model.Auc:F4}, without {without.Holdout.Model.Auc:F4}");
    }
}
