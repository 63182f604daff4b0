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
/// Bounded: at most <see cref="MaxPairs"/> pairs are kept. Whenever the dictionary passes twice that, the lightest pairs
/// are dropped down to <see cref="MaxPairs"/> (by weight, ties by key), and <see cref="MaxUndercount"/> adds up the
/// heaviest weight each prune dropped: no kept pair's count falls short of the uncapped count by more than that (a pair
/// dropped by a prune had at most its weight, and merges add the partials' bounds), so every pair heavier than that
/// bound is kept. Below the cap nothing is dropped
/// and a merge of partials equals one pass exactly.
/// </remarks>
public sealed class CoPurchaseCounts
{
    private readonly Dictionary<string, SkuCounts> _skus = new(StringComparer.Ordinal);
    private readonly Dictionary<(string A, string B), double> _pairs = [];

    public CoPurchaseCounts(DateTime cutoffUtc, double halfLifeDays, int maxItemsPerCustomer, int maxPairs = int.MaxValue / 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPairs, 1);
        CutoffUtc = cutoffUtc;
        HalfLifeDays = halfLifeDays;
        MaxItemsPerCustomer = maxItemsPerCustomer;
        MaxPairs = maxPairs;
    }

    public DateTime CutoffUtc { get; }

    public double HalfLifeDays { get; }

    public int MaxItemsPerCustomer { get; }

    /// <summary>Pairs kept at most (after <see cref="Prune"/>; up to twice as many between prunes).</summary>
    public int MaxPairs { get; }

    /// <summary>Pairs dropped by the cap, here and in the partials merged in (0 when the cap never bit).</summary>
    public long PairsDropped { get; private set; }

    /// <summary>
    /// How much any pair's weight here can fall short of the uncapped count: the sum over every prune, here and in the
    /// partials merged in, of the heaviest weight it dropped (0 when the cap never bit).
    /// </summary>
    public double MaxUndercount { get; private set; }

    /// <summary>Decayed weight of the customers counted (each by their most recent purchase).</summary>
    public double Customers { get; private set; }

    public IReadOnlyDictionary<string, SkuCounts> Skus => _skus;

    /// <summary>Pairs keyed with the ordinally smaller sku first.</summary>
    public IReadOnlyDictionary<(string A, string B), double> Pairs => _pairs;

    public static CoPurchaseCounts For(DateTime cutoffUtc, RecommenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new CoPurchaseCounts(cutoffUtc, options.HalfLifeDays, options.MaxItemsPerCustomer, options.MaxPairs);
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

        PruneAbove(2L * MaxPairs);
    }

    /// <summary>Drops the lightest pairs down to <see cref="MaxPairs"/>; a no-op below the cap.</summary>
    public CoPurchaseCounts Prune()
    {
        PruneAbove(MaxPairs);
        return this;
    }

    private void PruneAbove(long limit)
    {
        if (_pairs.Count <= limit)
        {
            return;
        }

        var dropped = _pairs
            .OrderBy(pair => pair.Value).ThenByDescending(pair => pair.Key.A, StringComparer.Ordinal).ThenByDescending(pair => pair.Key.B, StringComparer.Ordinal)
            .Take(_pairs.Count - MaxPairs)
            .ToList();
        foreach (var (key, _) in dropped)
        {
            _pairs.Remove(key);
        }

        // Ordered lightest first: the last dropped is the heaviest.
        MaxUndercount += dropped[^1].Value;
        PairsDropped += dropped.Count;
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
        PairsDropped += other.PairsDropped;
        MaxUndercount += other.MaxUndercount;
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

        PruneAbove(2L * MaxPairs);
        return this;
    }

    /// <summary>These counts as columns (sku indexes for pairs), for a night artefact; <see cref="FromPartial"/> reads them back exactly.</summary>
    public CoPurchasePartial ToPartial()
    {
        var skus = _skus.Keys.Order(StringComparer.Ordinal).ToArray();
        var index = new Dictionary<string, int>(skus.Length, StringComparer.Ordinal);
        for (var i = 0; i < skus.Length; i++)
        {
            index[skus[i]] = i;
        }

        var pairs = _pairs.OrderBy(p => p.Key.A, StringComparer.Ordinal).ThenBy(p => p.Key.B, StringComparer.Ordinal).ToArray();
        return new CoPurchasePartial(
            CutoffUtc, HalfLifeDays, MaxItemsPerCustomer, MaxPairs, Customers, PairsDropped, MaxUndercount,
            skus,
            [.. skus.Select(s => _skus[s])],
            [.. pairs.Select(p => index[p.Key.A])],
            [.. pairs.Select(p => index[p.Key.B])],
            [.. pairs.Select(p => p.Value)]);
    }

    public static CoPurchaseCounts FromPartial(CoPurchasePartial partial)
    {
        ArgumentNullException.ThrowIfNull(partial);
        var counts = new CoPurchaseCounts(partial.CutoffUtc, partial.HalfLifeDays, partial.MaxItemsPerCustomer, partial.MaxPairs)
        {
            Customers = partial.Customers,
            PairsDropped = partial.PairsDropped,
            MaxUndercount = partial.MaxUndercount,
        };
        for (var i = 0; i < partial.Skus.Length; i++)
        {
            counts._skus[partial.Skus[i]] = partial.Counts[i];
        }

        for (var i = 0; i < partial.PairWeights.Length; i++)
        {
            counts._pairs[(partial.Skus[partial.PairA[i]], partial.Skus[partial.PairB[i]])] = partial.PairWeights[i];
        }

        return counts;
    }
}

/// <summary><see cref="CoPurchaseCounts"/> as columns: skus in ordinal order, pairs as indexes into them (A before B).</summary>
public sealed record CoPurchasePartial(
    DateTime CutoffUtc,
    double HalfLifeDays,
    int MaxItemsPerCustomer,
    int MaxPairs,
    double Customers,
    long PairsDropped,
    double MaxUndercount,
    string[] Skus,
    SkuCounts[] Counts,
    int[] PairA,
    int[] PairB,
    double[] PairWeights);

/// <summary>One sku's counts: decayed buyer weight, buyers, buyers with a later purchase, and those who re-bought it.</summary>
public record struct SkuCounts(double Weight, int Buyers, int BuyersWhoReturned, int RepeatBuyers, string? Category);
