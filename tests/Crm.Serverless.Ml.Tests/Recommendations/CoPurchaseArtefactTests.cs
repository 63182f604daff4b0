using System.Text.Json;
using Crm.Serverless.Ml.Recommendations;
using Crm.Serverless.Ml.Simulation;

namespace Crm.Serverless.Ml.Tests.Recommendations;

/// <summary>What the nightly stages hand each other: counts capped in pairs, and counts, models and items as JSON.</summary>
public class CoPurchaseArtefactTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static T RoundTrip<T>(T value) => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value, Json), Json)!;

    private static (List<CustomerItems> Customers, DateTime Cutoff) Shop()
    {
        var baskets = CatalogueSimulator.Simulate(new ShopSimulationOptions { Customers = 1200, Seed = 4 }, CatalogueOptions.Default).ToList();
        var cutoff = baskets.Max(b => b.TimestampUtc);
        return (CustomerItems.ByCustomer(baskets, cutoff).ToList(), cutoff);
    }

    [Fact]
    public void Prune_AboveTheCap_KeepsTheHeaviestPairsAndSaysWhatItDropped()
    {
        var (customers, cutoff) = Shop();
        var uncapped = CoPurchaseCounts.For(cutoff, new RecommenderOptions());
        customers.ForEach(uncapped.Add);
        var capped = CoPurchaseCounts.For(cutoff, new RecommenderOptions { MaxPairs = 1_000 });
        customers.ForEach(capped.Add);

        capped.Prune();

        Assert.True(uncapped.Pairs.Count > 3_000, $"only {uncapped.Pairs.Count} pairs");
        Assert.Equal(0, uncapped.PairsDropped);
        Assert.Equal(1_000, capped.Pairs.Count);
        Assert.True(capped.PairsDropped >= uncapped.Pairs.Count - 1_000);
        Assert.True(capped.MaxUndercount > 0);

        // Each kept pair is short by at most the bound.
        foreach (var (pair, weight) in capped.Pairs)
        {
            Assert.InRange(uncapped.Pairs[pair] - weight, -1e-9, capped.MaxUndercount + 1e-9);
        }

        // So every pair heavier than the bound is kept.
        var heavy = uncapped.Pairs.Where(p => p.Value > capped.MaxUndercount).ToList();
        Assert.NotEmpty(heavy);
        Assert.All(heavy, p => Assert.True(capped.Pairs.ContainsKey(p.Key), $"{p.Key} dropped"));
    }

    [Fact]
    public void Partial_Model_AndItems_RoundTripThroughJson_RecommendingTheSame()
    {
        var (customers, cutoff) = Shop();
        var options = new RecommenderOptions();
        var counts = CoPurchaseCounts.For(cutoff, options);
        customers.ForEach(counts.Add);

        var back = CoPurchaseCounts.FromPartial(RoundTrip(counts.ToPartial()));
        var model = CoPurchaseModel.Build(counts, options);
        var rebuilt = CoPurchaseModel.Build(back, options);
        var restored = CoPurchaseModel.FromData(RoundTrip(model.ToData()), options);

        Assert.Equal(counts.Pairs.Count, back.Pairs.Count);
        Assert.Equal(counts.Customers, back.Customers);
        foreach (var (pair, weight) in counts.Pairs)
        {
            Assert.Equal(weight, back.Pairs[pair]);
        }

        Assert.Equal(model.Popular, restored.Popular);
        Assert.Equal(model.RepeatRates.OrderBy(r => r.Key, StringComparer.Ordinal), restored.RepeatRates.OrderBy(r => r.Key, StringComparer.Ordinal));
        foreach (var customer in customers.Take(300))
        {
            var expected = Recommender.Recommend(model, customer, 10);
            var items = CustomerItems.FromData(RoundTrip(customer.ToData()));
            Assert.Equal(expected, Recommender.Recommend(rebuilt, items, 10));
            Assert.Equal(expected, Recommender.Recommend(restored, items, 10));
        }
    }
}
