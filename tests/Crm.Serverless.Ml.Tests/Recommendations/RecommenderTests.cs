using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Recommendations;
using Crm.Serverless.Ml.Simulation;

namespace Crm.Serverless.Ml.Tests.Recommendations;

public class RecommenderTests
{
    private const string ExpectedFirstBasket = "C02-007";

    private static readonly DateTime Day = new(2024, 6, 1, 0, 0, 0, DateTimeKind.Utc);

    private static Basket Bought(string customer, string id, int daysAgo, params string[] skus)
        => new(customer, id, Day.AddDays(-daysAgo), [.. skus.Select(s => new BasketLine(s, 1, 10, "K"))]);

    [Fact]
    public void Evaluate_SimulatedShop_BeatsBothBaselinesHitRateByTenPercent()
    {
        var baskets = CatalogueSimulator.Simulate(new ShopSimulationOptions { Customers = 8000, Seed = 5 }, CatalogueOptions.Default).ToList();

        var report = RecommendationEvaluation.Evaluate("simulated", baskets, 30, new RecommenderOptions());

        Assert.True(report.Customers > 200, $"only {report.Customers} customers bought in both windows");
        foreach (var baseline in report.Rankers.Skip(1))
        {
            Assert.True(report.Recommender.HitRate >= 1.10 * baseline.HitRate, $"{report.Recommender.HitRate:0.000} vs {baseline.Name} {baseline.HitRate:0.000}");
        }

        Assert.True(report.Recommender.Ndcg > report.Rankers.Skip(1).Max(r => r.Ndcg));
    }

    [Fact]
    public void Recommend_RefundedOnlySku_NeverRecommendedEvenWhenMostSimilarAndPopular()
    {
        // "x" is the most popular sku and always bought with "a"; the customer bought "a" and "x" but "x" was refunded.
        var baskets = new List<Basket>();
        for (var i = 0; i < 20; i++)
        {
            baskets.Add(Bought("o" + i, "t" + i, 10, "a", "x", i % 2 == 0 ? "y" : "z"));
        }

        baskets.Add(Bought("me", "m1", 5, "a"));
        baskets.Add(new Basket("me", "m2", Day.AddDays(-4), [], RefundedLines: [new BasketLine("x", 1, 10, "K")], WhollyRefunded: true));
        var options = new RecommenderOptions();
        var counts = CoPurchaseCounts.For(Day, options);
        var customers = CustomerItems.ByCustomer(baskets, Day).ToList();
        customers.ForEach(counts.Add);
        var model = CoPurchaseModel.Build(counts, options);
        var me = customers.Single(c => c.CustomerId == "me");

        var recommended = Recommender.Recommend(model, me, 10).Select(r => r.Sku).ToList();

        Assert.Contains("x", me.RefundedOnly);
        Assert.DoesNotContain("x", recommended);
        Assert.DoesNotContain("a", recommended);
        Assert.Contains("y", recommended);

        // The baselines follow the same rule.
        Assert.DoesNotContain("x", Baselines.Popular(model, me, model.Popular, 10));
    }

    [Fact]
    public void Recommend_NormallyRebought_ComesBackAndOneOffDoesNot()
    {
        // Everyone buys "coffee" each time; "grinder" once.
        var baskets = new List<Basket>();
        for (var i = 0; i < 10; i++)
        {
            baskets.Add(Bought("c" + i, i + "a", 60, "coffee", "grinder"));
            baskets.Add(Bought("c" + i, i + "b", 30, "coffee"));
        }

        var options = new RecommenderOptions();
        var counts = CoPurchaseCounts.For(Day, options);
        var customers = CustomerItems.ByCustomer(baskets, Day).ToList();
        customers.ForEach(counts.Add);
        var model = CoPurchaseModel.Build(counts, options);

        var recommended = Recommender.Recommend(model, customers[0], 10).Select(r => r.Sku).ToList();

        Assert.Equal(1.0, model.RepeatRates["coffee"]);
        Assert.False(model.RepeatRates.ContainsKey("grinder"));
        Assert.Equal(["coffee"], recommended);
    }

    [Fact]
    public void Merge_ShardPartials_EqualsOnePass()
    {
        var baskets = CatalogueSimulator.Simulate(new ShopSimulationOptions { Customers = 1500, Seed = 9 }, CatalogueOptions.Default).ToList();
        var cutoff = baskets.Max(b => b.TimestampUtc);
        var options = new RecommenderOptions();
        var customers = CustomerItems.ByCustomer(baskets, cutoff).ToList();
        var single = CoPurchaseCounts.For(cutoff, options);
        customers.ForEach(single.Add);

        var partials = Enumerable.Range(0, 4).Select(_ => CoPurchaseCounts.For(cutoff, options)).ToArray();
        foreach (var customer in customers)
        {
            partials[Math.Abs(customer.CustomerId.GetHashCode(StringComparison.Ordinal)) % 4].Add(customer);
        }

        var merged = CoPurchaseCounts.For(cutoff, options);
        foreach (var partial in partials.Reverse())
        {
            merged.Merge(partial);
        }

        Assert.True(single.Pairs.Count > 1000);
        Assert.Equal(single.Customers, merged.Customers, 9);
        Assert.Equal(single.Skus.Keys.Order(StringComparer.Ordinal), merged.Skus.Keys.Order(StringComparer.Ordinal));
        foreach (var (sku, counts) in single.Skus)
        {
            var other = merged.Skus[sku];
            Assert.Equal(counts.Weight, other.Weight, 9);
            Assert.Equal((counts.Buyers, counts.BuyersWhoReturned, counts.RepeatBuyers), (other.Buyers, other.BuyersWhoReturned, other.RepeatBuyers));
        }

        Assert.Equal(single.Pairs.Count, merged.Pairs.Count);
        foreach (var (pair, weight) in single.Pairs)
        {
            Assert.Equal(weight, merged.Pairs[pair], 9);
        }

        // And the models built from them recommend the same.
        var one = CoPurchaseModel.Build(single, options);
        var two = CoPurchaseModel.Build(merged, options);
        foreach (var customer in customers.Take(200))
        {
            Assert.Equal(Recommender.Recommend(one, customer, 10).Select(r => r.Sku), Recommender.Recommend(two, customer, 10).Select(r => r.Sku));
        }
    }

    [Fact]
    public void Simulate_SameSeed_SameBasketsAndAmountsAreLineSums()
    {
        var shop = new ShopSimulationOptions { Customers = 300, Seed = 3 };
        var first = CatalogueSimulator.Simulate(shop, CatalogueOptions.Default).ToList();
        var second = CatalogueSimulator.Simulate(shop, CatalogueOptions.Default).ToList();

        Assert.Equal(first.Count, second.Count);
        Assert.True(first.Zip(second).All(p => p.First.TransactionId == p.Second.TransactionId && p.First.Lines.SequenceEqual(p.Second.Lines)));
        Assert.All(first, b => Assert.NotEmpty(b.Lines));

        // Fixed across processes too: the first customer's first basket of seed 3, as drawn once.
        Assert.Equal(ExpectedFirstBasket, string.Join(' ', first[0].Lines.Select(l => l.Sku)));
        Assert.All(first.SelectMany(b => b.Lines), l => Assert.True(l.Quantity >= 1 && l.NetAmount > 0 && l.UnitCost < l.NetAmount / l.Quantity));
    }
}
