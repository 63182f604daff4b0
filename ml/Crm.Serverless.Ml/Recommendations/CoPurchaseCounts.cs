using System.Runtime.InteropServices;

namespace Crm.Serverless.Ml.Recommendations;

/// <summary>
/// Sparse, time-decayed co-purchase counts over customers: per sku the decayed weight of its buyers, per pair of skus
/// bought by the same customer the decayed weight of those customers, and per sku how many of its buyers bought it
/// again. One shard's customers make a partial; partials <see cref="Merge"/> by adding, so the nightly run counts
/// shards in parallel and a merge of partials equals one pass over everyone.
/// </summary>
/// <remarks>
/// A customer adds weight decay(sku) = 0.5^(age / half-life) for each sku, by the age of its last purchase, and
/// decay(a) x decay(b) for each pair: old co-purchases fade, a pair bought recently by both counts fully.
/// </remarks>
public sealed class CoPurchaseCounts
{
    private readonly Dictionary<string, SkuCounts> _skus = new(StringComparer.Ordinal);
    private readonly Dictionary<(string A, string B), double> _pairs = [];

    public CoPurchaseCounts(DateTime cutoffUtc, double halfLifeDays, int maxItemsPerCustomer)
    {
        CutoffUtc = cutoffUtc;
        HalfLifeDays = halfLifeDays;
        MaxItemsPerCustomer = maxItemsPerCustomer;
    }

    public DateTime CutoffUtc { get; }

    public double HalfLifeDays { get; }

    public int MaxItemsPerCustomer { get; }

    /// <summary>Decayed weight of the customers counted (each by their most recent purchase).</summary>
    public double Customers { get; private set; }

    public IReadOnlyDictionary<string, SkuCounts> Skus => _skus;

    /// <summary>Pairs keyed with the ordinally smaller sku first.</summary>
    public IReadOnlyDictionary<(string A, string B), double> Pairs => _pairs;

    public static CoPurchaseCounts For(DateTime cutoffUtc, RecommenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new CoPurchaseCounts(cutoffUtc, options.HalfLifeDays, options.MaxItemsPerCustomer);
    }

    public double Decay(DateTime atUtc) => Math.Pow(0.5, Math.Max(0, (CutoffUtc - atUtc).TotalDays) / HalfLifeDays);

    public void Add(CustomerItems customer)
    {
        ArgumentNullException.ThrowIfNull(customer);
        if (customer.Items.Count == 0)
        {
            return;
        }

        Customers += Decay(customer.LastBasketUtc);
        var items = customer.Items.Count > MaxItemsPerCustomer ? customer.Items.Take(MaxItemsPerCustomer).ToArray() : customer.Items;
        var weights = new double[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            weights[i] = Decay(item.LastUtc);
            ref var counts = ref CollectionsMarshal.GetValueRefOrAddDefault(_skus, item.Sku, out _);
            counts.Weight += weights[i];
            counts.Buyers++;

            // Only a buyer who came back after first buying the sku could have re-bought it.
            if (customer.LastBasketUtc > item.FirstUtc)
            {
                counts.BuyersWhoReturned++;
                counts.RepeatBuyers += item.Baskets > 1 ? 1 : 0;
            }

            counts.Category ??= item.Category;
        }

        for (var i = 0; i < items.Count; i++)
        {
            for (var j = i + 1; j < items.Count; j++)
            {
                var key = string.CompareOrdinal(items[i].Sku, items[j].Sku) < 0 ? (items[i].Sku, items[j].Sku) : (items[j].Sku, items[i].Sku);
                CollectionsMarshal.GetValueRefOrAddDefault(_pairs, key, out _) += weights[i] * weights[j];
            }
        }
    }

    /// <summary>Adds another partial of the same cut-off and decay into this one.</summary>
    public CoPurchaseCounts Merge(CoPurchaseCounts other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.CutoffUtc != CutoffUtc || other.HalfLifeDays != HalfLifeDays || other.MaxItemsPerCustomer != MaxItemsPerCustomer)
        {
            throw new ArgumentException("Only partials counted with the same cut-off and decay can be merged.", nameof(other));
        }

        Customers += other.Customers;
        foreach (var (sku, theirs) in other._skus)
        {
            ref var counts = ref CollectionsMarshal.GetValueRefOrAddDefault(_skus, sku, out _);
            counts.Weight += theirs.Weight;
            counts.Buyers += theirs.Buyers;
            counts.BuyersWhoReturned += theirs.BuyersWhoReturned;
            counts.RepeatBuyers += theirs.RepeatBuyers;
            counts.Category ??= theirs.Category;
        }

        foreach (var (pair, weight) in other._pairs)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(_pairs, pair, out _) += weight;
        }

        return this;
    }
}

/// <summary>One sku's counts: decayed buyer weight, buyers, buyers with a later purchase, and those who re-bought it.</summary>
public record struct SkuCounts(double Weight, int Buyers, int BuyersWhoReturned, int RepeatBuyers, string? Category);
