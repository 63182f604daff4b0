using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Ml.Products;

/// <summary>
/// Product figures summed over some customers: one per shard, merged, then turned into <see cref="ProductFacts"/>.
/// Every total is a sum, so merging in any order gives the same facts (up to floating-point rounding); a customer must be added whole (all their
/// baskets at once, as a shard holds them) so buyers and repeat buyers are counted once. Baskets after the as-of day
/// are left out, so a backfill sees what was known then.
/// </summary>
public sealed class ProductFactsPartial(DateOnly asOf, ProductFactsOptions? options = null)
{
    private readonly ProductFactsOptions _options = options ?? ProductFactsOptions.Default;
    private readonly Dictionary<string, SkuTotals> _skus = new(StringComparer.Ordinal);
    private readonly DateTime _end = asOf.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    public DateOnly AsOf { get; } = asOf;

    public int Skus => _skus.Count;

    /// <summary>All of one customer's baskets.</summary>
    public void AddCustomer(IReadOnlyList<Basket> baskets)
    {
        ArgumentNullException.ThrowIfNull(baskets);
        var lastStart = _end.AddDays(-_options.TrendDays);
        var previousStart = lastStart.AddDays(-_options.TrendDays);
        var ordersBySku = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var basket in baskets)
        {
            if (basket.TimestampUtc >= _end)
            {
                continue;
            }

            var counted = new HashSet<string>(StringComparer.Ordinal);
            foreach (var line in basket.Lines)
            {
                var totals = Totals(line.Sku, line.Category);
                totals.Revenue += line.NetAmount;
                totals.Units += line.Quantity;
                if (line.UnitCost is { } cost)
                {
                    totals.CostedRevenue += line.NetAmount;
                    totals.Cost += cost * line.Quantity;
                }

                if (basket.TimestampUtc >= lastStart)
                {
                    totals.RevenueLast += line.NetAmount;
                }
                else if (basket.TimestampUtc >= previousStart)
                {
                    totals.RevenuePrevious += line.NetAmount;
                }

                if (counted.Add(line.Sku))
                {
                    totals.Orders++;
                    ordersBySku[line.Sku] = ordersBySku.GetValueOrDefault(line.Sku) + 1;
                }
            }

            foreach (var line in basket.RefundedLines ?? [])
            {
                Totals(line.Sku, line.Category).RefundedUnits += line.Quantity;
            }
        }

        foreach (var (sku, orders) in ordersBySku)
        {
            var totals = _skus[sku];
            totals.Buyers++;
            totals.RepeatBuyers += orders >= 2 ? 1 : 0;
        }
    }

    public void Merge(ProductFactsPartial other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.AsOf != AsOf)
        {
            throw new ArgumentException("Partials of different as-of dates do not merge.", nameof(other));
        }

        foreach (var (sku, theirs) in other._skus)
        {
            Totals(sku, theirs.Category).Add(theirs);
        }
    }

    public ProductFacts ToFacts()
    {
        var products = _skus
            .Select(pair => pair.Value.ToFact(pair.Key))
            .OrderByDescending(p => p.Revenue)
            .ThenBy(p => p.Sku, StringComparer.Ordinal)
            .ToList();
        var eligible = products.Where(p => p.Buyers >= _options.MinimumBuyers).ToList();
        var tops = eligible.Take(_options.Listed).Select(p => p.Sku).ToList();
        var topSet = tops.ToHashSet(StringComparer.Ordinal);
        var flops = eligible
            .Where(p => !topSet.Contains(p.Sku) && (p.RefundRate >= _options.FlopRefundRate || p.Trend <= _options.FlopTrend))
            .OrderByDescending(p => p.RefundRate)
            .ThenBy(p => p.Trend ?? 0)
            .ThenBy(p => p.Sku, StringComparer.Ordinal)
            .Take(_options.Listed)
            .Select(p => p.Sku)
            .ToList();
        return new ProductFacts(AsOf, products, tops, flops, _options);
    }

    private SkuTotals Totals(string sku, string? category)
    {
        if (!_skus.TryGetValue(sku, out var totals))
        {
            totals = new SkuTotals();
            _skus[sku] = totals;
        }

        // Lines may name different categories for one sku; keep the ordinal first so any merge order agrees.
        if (category is not null && (totals.Category is null || string.CompareOrdinal(category, totals.Category) < 0))
        {
            totals.Category = category;
        }

        return totals;
    }

    private sealed class SkuTotals
    {
        public string? Category { get; set; }
        public double Revenue { get; set; }
        public double Units { get; set; }
        public double RefundedUnits { get; set; }
        public double CostedRevenue { get; set; }
        public double Cost { get; set; }
        public double RevenueLast { get; set; }
        public double RevenuePrevious { get; set; }
        public int Orders { get; set; }
        public int Buyers { get; set; }
        public int RepeatBuyers { get; set; }

        public void Add(SkuTotals other)
        {
            Revenue += other.Revenue;
            Units += other.Units;
            RefundedUnits += other.RefundedUnits;
            CostedRevenue += other.CostedRevenue;
            Cost += other.Cost;
            RevenueLast += other.RevenueLast;
            RevenuePrevious += other.RevenuePrevious;
            Orders += other.Orders;
            Buyers += other.Buyers;
            RepeatBuyers += other.RepeatBuyers;
        }

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
}
