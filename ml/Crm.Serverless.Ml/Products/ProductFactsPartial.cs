using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Ml.Products;

/// <summary>
/// One sku's sums over some customers. Adding two takes the ordinal first of their categories (lines may name
/// different categories for one sku), so any merge order agrees.
/// </summary>
public readonly record struct SkuTotals(
    string? Category,
    double Revenue,
    double Units,
    double RefundedUnits,
    double CostedRevenue,
    double Cost,
    double RevenueLast,
    double RevenuePrevious,
    int Orders,
    int Buyers,
    int RepeatBuyers) : System.Numerics.IAdditionOperators<SkuTotals, SkuTotals, SkuTotals>
{
    public static SkuTotals operator +(SkuTotals left, SkuTotals right) => new(
        left.Category is null || (right.Category is not null && string.CompareOrdinal(right.Category, left.Category) < 0) ? right.Category : left.Category,
        left.Revenue + right.Revenue,
        left.Units + right.Units,
        left.RefundedUnits + right.RefundedUnits,
        left.CostedRevenue + right.CostedRevenue,
        left.Cost + right.Cost,
        left.RevenueLast + right.RevenueLast,
        left.RevenuePrevious + right.RevenuePrevious,
        left.Orders + right.Orders,
        left.Buyers + right.Buyers,
        left.RepeatBuyers + right.RepeatBuyers);

    public ProductFact ToFact(string sku)
    {
        var bought = Units + RefundedUnits;
        return new ProductFact(
            sku,
            Category,
            Revenue,
            Units,
            Orders,
            Buyers,
            Buyers == 0 ? 0 : (double)RepeatBuyers / Buyers,
            bought == 0 ? 0 : RefundedUnits / bought,
            CostedRevenue > 0 || Cost > 0 ? CostedRevenue - Cost : null,
            Revenue > 0 ? CostedRevenue / Revenue : 0,
            RevenueLast,
            RevenuePrevious,
            RevenuePrevious > 0 ? (RevenueLast - RevenuePrevious) / RevenuePrevious : null);
    }
}

/// <summary>
/// Product figures summed over some customers: one per shard (stage 1 of a night writes it as a run artefact), merged,
/// then turned into <see cref="ProductFacts"/>. Every total is a sum (<see cref="KeyedTotals{T}"/>), so merging in
/// any order gives the same facts (up to floating-point rounding); a customer must be added whole (all their
/// baskets at once, as a shard holds them) so buyers and repeat buyers are counted once. Baskets after the as-of day
/// are left out, so a backfill sees what was known then. Holds one entry per sku, no customer ids.
/// </summary>
public sealed class ProductFactsPartial(DateOnly asOf, ProductFactsOptions? options = null)
{
    public DateOnly AsOf { get; } = asOf;

    public ProductFactsOptions Options { get; } = options ?? ProductFactsOptions.Default;

    public KeyedTotals<SkuTotals> Skus { get; init; } = new();

    private DateTime End => AsOf.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    /// <summary>All of one customer's baskets.</summary>
    public void AddCustomer(IReadOnlyList<Basket> baskets)
    {
        ArgumentNullException.ThrowIfNull(baskets);
        var end = End;
        var lastStart = end.AddDays(-Options.TrendDays);
        var previousStart = lastStart.AddDays(-Options.TrendDays);
        var ordersBySku = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var basket in baskets)
        {
            if (basket.TimestampUtc >= end)
            {
                continue;
            }

            var counted = new HashSet<string>(StringComparer.Ordinal);
            foreach (var line in basket.Lines)
            {
                var first = counted.Add(line.Sku);
                if (first)
                {
                    ordersBySku[line.Sku] = ordersBySku.GetValueOrDefault(line.Sku) + 1;
                }

                Skus.Add(line.Sku, new SkuTotals(
                    line.Category,
                    line.NetAmount,
                    line.Quantity,
                    0,
                    line.UnitCost is null ? 0 : line.NetAmount,
                    line.UnitCost is { } cost ? cost * line.Quantity : 0,
                    basket.TimestampUtc >= lastStart ? line.NetAmount : 0,
                    basket.TimestampUtc < lastStart && basket.TimestampUtc >= previousStart ? line.NetAmount : 0,
                    first ? 1 : 0,
                    0,
                    0));
            }

            foreach (var line in basket.RefundedLines ?? [])
            {
                Skus.Add(line.Sku, default(SkuTotals) with { Category = line.Category, RefundedUnits = line.Quantity });
            }
        }

        foreach (var (sku, orders) in ordersBySku)
        {
            Skus.Add(sku, default(SkuTotals) with { Buyers = 1, RepeatBuyers = orders >= 2 ? 1 : 0 });
        }
    }

    public void Merge(ProductFactsPartial other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.AsOf != AsOf)
        {
            throw new ArgumentException("Partials of different as-of dates do not merge.", nameof(other));
        }

        Skus.Merge(other.Skus);
    }

    public ProductFacts ToFacts()
    {
        var products = Skus.Items
            .Select(pair => pair.Value.ToFact(pair.Key))
            .OrderByDescending(p => p.Revenue)
            .ThenBy(p => p.Sku, StringComparer.Ordinal)
            .ToList();
        var eligible = products.Where(p => p.Buyers >= Options.MinimumBuyers).ToList();
        var tops = eligible.Take(Options.Listed).Select(p => p.Sku).ToList();
        var topSet = tops.ToHashSet(StringComparer.Ordinal);
        var flops = eligible
            .Where(p => !topSet.Contains(p.Sku) && (p.RefundRate >= Options.FlopRefundRate || p.Trend <= Options.FlopTrend))
            .OrderByDescending(p => p.RefundRate)
            .ThenBy(p => p.Trend ?? 0)
            .ThenBy(p => p.Sku, StringComparer.Ordinal)
            .Take(Options.Listed)
            .Select(p => p.Sku)
            .ToList();
        return new ProductFacts(AsOf, products, tops, flops, Options);
    }
}
