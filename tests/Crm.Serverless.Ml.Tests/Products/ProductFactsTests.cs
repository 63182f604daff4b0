using Crm.Serverless.Ml.Data;
using Crm.Serverless.Ml.Discounts;
using Crm.Serverless.Ml.Products;

namespace Crm.Serverless.Ml.Tests.Products;

public sealed class ProductFactsTests
{
    private static readonly DateOnly AsOf = new(2024, 6, 30);

    // Windows as of 2024-06-30: last 90 days from 2024-04-02, the 90 before from 2024-01-03.
    private static DateTime At(int year, int month, int day) => new(year, month, day, 12, 0, 0, DateTimeKind.Utc);

    private static Basket Basket(string customer, string id, DateTime at, BasketLine[] lines, BasketLine[]? refunded = null)
        => new(customer, id, at, lines, Amount: lines.Sum(l => l.NetAmount), RefundedLines: refunded);

    /// <summary>Four customers; c3's last basket is after the as-of day and must not count.</summary>
    private static Dictionary<string, Basket[]> Fixture() => new()
    {
        ["c1"] =
        [
            Basket("c1", "t1", At(2024, 2, 10), [new("A", 2, 20, "tea", 6), new("B", 1, 5, "cups")]),
            Basket("c1", "t2", At(2024, 6, 10), [new("A", 1, 10, "tea", 6)]),
        ],
        ["c2"] = [Basket("c2", "t3", At(2024, 6, 15), [new("A", 1, 10, "tea", 6)], [new("A", 1, 10, "tea", 6)])],
        ["c3"] =
        [
            Basket("c3", "t4", At(2023, 6, 1), [new("B", 2, 10, "cups")]),
            Basket("c3", "t5", At(2024, 2, 20), [new("B", 1, 5, "cups")]),
            Basket("c3", "t6", At(2024, 7, 5), [new("A", 5, 50, "tea", 6)]),
        ],
        ["c4"] = [Basket("c4", "t7", At(2024, 6, 20), [new("C", 1, 8, "pots", 10)], [new("B", 1, 5, "cups")])],
    };

    private static readonly ProductFactsOptions Options = new(Listed: 1, MinimumBuyers: 2);

    private static ProductFacts Compute(params string[][] shards)
    {
        var fixture = Fixture();
        var merged = new ProductFactsPartial(AsOf, Options);
        foreach (var shard in shards)
        {
            var partial = new ProductFactsPartial(AsOf, Options);
            foreach (var customer in shard)
            {
                partial.AddCustomer(fixture[customer]);
            }

            merged.Merge(partial);
        }

        return merged.ToFacts();
    }

    [Fact]
    public void Facts_HandFixture_EqualHandComputedValues()
    {
        var facts = Compute(["c1", "c2", "c3", "c4"]);

        Assert.Equal(["A", "B", "C"], facts.Products.Select(p => p.Sku));
        var a = facts.Products[0];
        Assert.Equal(new ProductFact("A", "tea", Revenue: 40, Units: 4, Orders: 3, Buyers: 2, RepeatBuyerRate: 0.5, RefundRate: 0.2, Margin: 16, CostCoverage: 1, RevenueLastWindow: 20, RevenuePreviousWindow: 20, Trend: 0), a);
        var b = facts.Products[1];
        Assert.Equal(new ProductFact("B", "cups", Revenue: 20, Units: 4, Orders: 3, Buyers: 2, RepeatBuyerRate: 0.5, RefundRate: 0.2, Margin: null, CostCoverage: 0, RevenueLastWindow: 0, RevenuePreviousWindow: 10, Trend: -1), b);
        var c = facts.Products[2];
        Assert.Equal(new ProductFact("C", "pots", Revenue: 8, Units: 1, Orders: 1, Buyers: 1, RepeatBuyerRate: 0, RefundRate: 0, Margin: -2, CostCoverage: 1, RevenueLastWindow: 8, RevenuePreviousWindow: 0, Trend: null), c);

        // Tops: most revenue with >= 2 buyers (1 listed); flops: B refunds 20% and fell 100%; C has too few buyers.
        Assert.Equal(["A"], facts.Tops);
        Assert.Equal(["B"], facts.Flops);
    }

    [Fact]
    public void Facts_MergedFromShardPartials_EqualOnePass()
    {
        var whole = Compute(["c1", "c2", "c3", "c4"]);
        var sharded = Compute(["c3", "c1"], ["c4"], ["c2"]);

        Assert.Equal(whole.Products, sharded.Products);
        Assert.Equal(whole.Tops, sharded.Tops);
        Assert.Equal(whole.Flops, sharded.Flops);
    }

    [Fact]
    public void Merge_OfAnotherAsOfDate_IsRefused()
    {
        var partial = new ProductFactsPartial(AsOf);

        Assert.Throws<ArgumentException>(() => partial.Merge(new ProductFactsPartial(AsOf.AddDays(1))));
    }
}

public sealed class DiscountProfileTests
{
    private static Basket Order(string id, double amount, double discount, string? campaign = null, bool refunded = false)
        => new("c1", id, new DateTime(2024, 5, 1, 0, 0, 0, DateTimeKind.Utc), [], discount, CampaignId: campaign, Amount: amount, WhollyRefunded: refunded);

    [Fact]
    public void Profile_Fixture_ShareDepthCampaignsAndDealSeeker()
    {
        var profile = DiscountProfile.Of(
        [
            Order("o1", 80, 20, "spring"),
            Order("o2", 50, 0),
            Order("o3", 90, 10),
            Order("o4", 30, 30, refunded: true),
        ]);

        // o4 was given back whole: not an order. Depths 20/100 and 10/100.
        Assert.Equal(3, profile.Orders);
        Assert.Equal(2, profile.DiscountedOrders);
        Assert.Equal(2.0 / 3, profile.DiscountedShare, 12);
        Assert.Equal(0.15, profile.AverageDepth!.Value, 12);
        Assert.Equal(1, profile.CampaignOrders);
        Assert.True(profile.DealSeeker);
    }

    [Fact]
    public void Profile_TwoDiscountedOrders_IsNoDealSeekerAndNoDiscountHasNoDepth()
    {
        Assert.False(DiscountProfile.Of([Order("o1", 75, 25), Order("o2", 60, 40)]).DealSeeker);
        Assert.Null(DiscountProfile.Of([Order("o1", 75, 0)]).AverageDepth);
    }

    [Fact]
    public void Response_BySegment_SharesRatesAndMostResponsive()
    {
        var partial = new DiscountResponsePartial();
        var other = new DiscountResponsePartial();
        for (var i = 0; i < DiscountResponsePartial.MinimumCustomers; i++)
        {
            // Champions: every customer 1 discounted order (depth 0.25) of 2. Loyal: 1 of 4, in another shard.
            partial.Add("champions", DiscountProfile.Of([Order("a", 75, 25), Order("b", 100, 0)]));
            other.Add("loyal", DiscountProfile.Of([Order("a", 75, 25), Order("b", 100, 0), Order("c", 100, 0), Order("d", 100, 0)]));
        }

        other.Add("new", DiscountProfile.Of([Order("a", 50, 50), Order("b", 50, 50), Order("c", 50, 50)]));
        partial.Merge(other);
        var response = partial.ToResponse();

        var champions = response.Segments.Single(s => s.Segment == "champions");
        Assert.Equal(0.5, champions.DiscountedOrderShare, 12);
        Assert.Equal(1.0, champions.BoughtOnDiscountRate, 12);
        Assert.Equal(0.25, champions.AverageDepth!.Value, 12);
        Assert.Equal(0.25, response.Segments.Single(s => s.Segment == "loyal").DiscountedOrderShare, 12);

        // "new" has every order discounted but one customer: too few to be named.
        Assert.Equal("champions", response.MostResponsive);
        Assert.Equal(1, response.DealSeekers);
        Assert.Equal(2 * DiscountResponsePartial.MinimumCustomers + 1, response.Customers);
    }
}
