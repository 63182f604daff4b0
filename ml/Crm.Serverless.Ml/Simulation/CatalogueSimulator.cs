using System.Globalization;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Ml.Simulation;

/// <summary>
/// The shape of a synthetic catalogue, every part of which the recommender could recover: categories of skus with a
/// Zipf-like popularity curve, complementary skus bought with (or after) their partner, consumables that customers
/// re-buy, customers who prefer a few categories and one price level. A second shape is a <c>with</c> away.
/// </summary>
public sealed record CatalogueOptions
{
    public int Categories { get; init; } = 8;

    public int SkusPerCategory { get; init; } = 40;

    /// <summary>Zipf exponent of popularity within a category: weight of the k-th sku is 1 / k^s.</summary>
    public double PopularityExponent { get; init; } = 1.0;

    /// <summary>Dirichlet concentration of a customer's category preference: small means a few favourite categories.</summary>
    public double CategoryConcentration { get; init; } = 0.3;

    /// <summary>Share of skus that have a complement (the pair is bought together: camera and memory card).</summary>
    public double ComplementShare { get; init; } = 0.5;

    /// <summary>Chance a complement joins its partner's basket; otherwise it may follow in a later basket.</summary>
    public double ComplementStrength { get; init; } = 0.4;

    /// <summary>Chance a complement not bought with its partner is bought in one of the customer's next baskets.</summary>
    public double FollowUpProbability { get; init; } = 0.5;

    /// <summary>Share of skus that are consumables, re-bought by a customer who bought them once.</summary>
    public double ConsumableShare { get; init; } = 0.1;

    /// <summary>Chance each consumable the customer has bought is in each of their later baskets.</summary>
    public double RepeatProbability { get; init; } = 0.35;

    /// <summary>New (not re-bought) skus per basket: 1 + Poisson(this).</summary>
    public double ExtraSkusPerBasket { get; init; } = 0.8;

    /// <summary>Price levels (budget, standard, premium, ...): a sku's price is its category's base times 1.8^level.</summary>
    public int PriceLevels { get; init; } = 3;

    /// <summary>How much more a customer picks skus of their own price level than of another.</summary>
    public double PriceLevelAffinity { get; init; } = 3.0;

    public static CatalogueOptions Default { get; } = new();

    /// <summary>
    /// The shape the recommender was not tuned on (defined only after its method and parameters were chosen): a
    /// bigger catalogue, a flatter popularity curve, weaker complements and fewer consumables; pair it with a lower
    /// BG/NBD r (<c>--rate-shape 0.15</c>) for more one-purchase customers.
    /// </summary>
    public static CatalogueOptions Wide { get; } = new()
    {
        Categories = 14,
        SkusPerCategory = 60,
        PopularityExponent = 0.7,
        CategoryConcentration = 0.6,
        ComplementShare = 0.35,
        ComplementStrength = 0.3,
        FollowUpProbability = 0.4,
        ConsumableShare = 0.06,
        RepeatProbability = 0.25,
        ExtraSkusPerBasket = 1.2,
        PriceLevels = 4,
        PriceLevelAffinity = 2.0,
    };

    public static CatalogueOptions? Named(string name) => name.ToLowerInvariant() switch
    {
        "default" => Default,
        "wide" => Wide,
        _ => null,
    };

    public const string Names = "default, wide";
}

/// <summary>One sku of a simulated catalogue with the truth the recommender should find.</summary>
public sealed record CatalogueSku(string Sku, string Category, int Rank, int PriceLevel, double UnitPrice, double UnitCost, bool Consumable, string? Complement);

/// <summary>
/// Adds lines to the purchases of <see cref="ShopSimulator"/>: the same customers and purchase times, each purchase
/// now a <see cref="Basket"/> whose amount is the sum of its lines. Seeded: same options, same baskets.
/// </summary>
public sealed class CatalogueSimulator
{
    private readonly CatalogueOptions _options;
    private readonly double[][] _weightsByLevel;

    public CatalogueSimulator(CatalogueOptions options, int seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        Seed = seed;
        var random = new Random(seed ^ 0x5EED);
        var skus = new List<CatalogueSku>();
        for (var c = 0; c < options.Categories; c++)
        {
            var category = "C" + (c + 1).ToString("D2", CultureInfo.InvariantCulture);
            var basePrice = Math.Round(5 + random.NextDouble() * 45, 2);
            var margin = 0.2 + random.NextDouble() * 0.3;
            for (var k = 0; k < options.SkusPerCategory; k++)
            {
                var level = random.Next(options.PriceLevels);
                var price = Math.Round(basePrice * Math.Pow(1.8, level) * (0.8 + 0.4 * random.NextDouble()), 2);
                var sku = $"{category}-{k + 1:D3}";
                skus.Add(new CatalogueSku(sku, category, k + 1, level, price, Math.Round(price * (1 - margin), 2), random.NextDouble() < options.ConsumableShare, null));
            }
        }

        // A complement is another sku, in the same category half of the time (camera and card), else anywhere (tent and torch).
        for (var i = 0; i < skus.Count; i++)
        {
            if (random.NextDouble() >= options.ComplementShare)
            {
                continue;
            }

            var sameCategory = random.NextDouble() < 0.5;
            var j = sameCategory
                ? (i / options.SkusPerCategory * options.SkusPerCategory) + random.Next(options.SkusPerCategory)
                : random.Next(skus.Count);
            if (j != i)
            {
                skus[i] = skus[i] with { Complement = skus[j].Sku };
            }
        }

        Skus = skus;
        Index = skus.Select((s, i) => (s.Sku, i)).ToDictionary(p => p.Sku, p => p.i, StringComparer.Ordinal);

        // Within a category, pick weight = Zipf(rank) x price-level affinity; one table per customer price level.
        _weightsByLevel = new double[options.PriceLevels][];
        for (var level = 0; level < options.PriceLevels; level++)
        {
            _weightsByLevel[level] = [.. skus.Select(s => Math.Pow(s.Rank, -options.PopularityExponent) * (s.PriceLevel == level ? options.PriceLevelAffinity : 1))];
        }
    }

    public int Seed { get; }

    public IReadOnlyList<CatalogueSku> Skus { get; }

    private Dictionary<string, int> Index { get; }

    /// <summary>The customer's purchases as baskets, in time order; the purchase amounts are replaced by the lines' sum.</summary>
    public IReadOnlyList<Basket> Baskets(CustomerHistory history, int customerIndex)
    {
        ArgumentNullException.ThrowIfNull(history);
        // Not HashCode.Combine: it is randomised per process, and the same seed must give the same file anywhere.
        var random = new Random(unchecked((Seed * 1_000_003) + customerIndex));
        var preference = Dirichlet(random, _options.Categories, _options.CategoryConcentration);
        var level = random.Next(_options.PriceLevels);
        var weights = _weightsByLevel[level];
        var consumables = new List<int>();
        var followUps = new List<int>();
        var baskets = new List<Basket>(history.Purchases.Count);
        for (var p = 0; p < history.Purchases.Count; p++)
        {
            var chosen = new List<int>();
            foreach (var consumable in consumables)
            {
                if (random.NextDouble() < _options.RepeatProbability)
                {
                    chosen.Add(consumable);
                }
            }

            // A complement left out last time may come now.
            for (var f = followUps.Count - 1; f >= 0; f--)
            {
                if (random.NextDouble() < 0.5)
                {
                    chosen.Add(followUps[f]);
                    followUps.RemoveAt(f);
                }
            }

            var fresh = 1 + Poisson(random, _options.ExtraSkusPerBasket);
            for (var n = 0; n < fresh; n++)
            {
                var category = Draw(random, preference);
                var start = category * _options.SkusPerCategory;
                var sku = start + Draw(random, weights.AsSpan(start, _options.SkusPerCategory));
                chosen.Add(sku);
                if (Skus[sku].Complement is { } complement)
                {
                    var partner = Index[complement];
                    if (random.NextDouble() < _options.ComplementStrength)
                    {
                        chosen.Add(partner);
                    }
                    else if (random.NextDouble() < _options.FollowUpProbability)
                    {
                        followUps.Add(partner);
                    }
                }
            }

            var lines = new List<BasketLine>();
            foreach (var sku in chosen.Distinct())
            {
                var item = Skus[sku];
                var quantity = item.Consumable ? 1 + random.Next(3) : 1;
                lines.Add(new BasketLine(item.Sku, quantity, Math.Round(quantity * item.UnitPrice, 2), item.Category, item.UnitCost));
                if (item.Consumable && !consumables.Contains(sku))
                {
                    consumables.Add(sku);
                }
            }

            baskets.Add(new Basket(history.CustomerId, TransactionId(history.CustomerId, p), history.Purchases[p].TimestampUtc, lines));
        }

        return baskets;
    }

    /// <summary>The transaction id <c>crm generate</c> writes for a customer's p-th purchase.</summary>
    public static string TransactionId(string customerId, int purchase) => $"{customerId}-{purchase}";

    /// <summary>Every simulated customer's baskets, in customer order.</summary>
    public static IEnumerable<Basket> Simulate(ShopSimulationOptions shop, CatalogueOptions catalogue)
    {
        ArgumentNullException.ThrowIfNull(shop);
        var simulator = new CatalogueSimulator(catalogue, shop.Seed);
        var index = 0;
        foreach (var customer in ShopSimulator.Simulate(shop))
        {
            foreach (var basket in simulator.Baskets(customer.History, index++))
            {
                yield return basket;
            }
        }
    }

    private static double[] Dirichlet(Random random, int k, double concentration)
    {
        var draws = new double[k];
        for (var i = 0; i < k; i++)
        {
            draws[i] = MathNet.Numerics.Distributions.Gamma.Sample(random, concentration, 1) + 1e-12;
        }

        return draws;
    }

    private static int Draw(Random random, ReadOnlySpan<double> weights)
    {
        var total = 0.0;
        foreach (var weight in weights)
        {
            total += weight;
        }

        var target = random.NextDouble() * total;
        for (var i = 0; i < weights.Length; i++)
        {
            target -= weights[i];
            if (target < 0)
            {
                return i;
            }
        }

        return weights.Length - 1;
    }

    private static int Poisson(Random random, double mean) => mean <= 0 ? 0 : MathNet.Numerics.Distributions.Poisson.Sample(random, mean);
}
