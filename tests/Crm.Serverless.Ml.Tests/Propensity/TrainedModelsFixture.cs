using Crm.Serverless.Ml.Propensity;
using Crm.Serverless.Ml.Simulation;
using static Crm.Serverless.Ml.Tests.Propensity.Histories;

namespace Crm.Serverless.Ml.Tests.Propensity;

/// <summary>Trains both models once on a small seeded shop; the tests only read them.</summary>
public sealed class TrainedModelsFixture
{
    public static readonly DateTime AsOf = Day(1998, 12, 31);

    public TrainedModelsFixture()
    {
        // A frequent-buyer shop: enough repeat behaviour that recency and frequency alone leave something to learn.
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
        });
        Table = PurchaseTable.From(shop.Select(s => s.History));
        Trainer = new PropensityTrainer(Options);
        Churn = Trainer.Train(Table, AsOf, PropensityTarget.Churn);
        Purchase = Trainer.Train(Table, AsOf, PropensityTarget.Purchase);
    }

    public static PropensityOptions Options { get; } = new()
    {
        TrainingSpanDays = 180,
        NumberOfTrees = 100,
        LearningRate = 0.1,
        MinimumExampleCountPerLeaf = 50,
    };

    public PurchaseTable Table { get; }

    public PropensityTrainer Trainer { get; }

    public PropensityModel Churn { get; }

    public PropensityModel Purchase { get; }
}
