using System.Collections.Concurrent;
using Crm.Serverless.Ml.Clv;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Ml.Propensity;

/// <summary>
/// All customers' purchases as flat arrays (struct of arrays): customer <c>i</c> owns purchases
/// <c>Offsets[i]</c> to <c>Offsets[i + 1]</c>, oldest first. Built once per run so that features for many cut-offs
/// are plain array scans rather than per-customer object graphs.
/// </summary>
public sealed class PurchaseTable
{
    private PurchaseTable(
        string[] customerIds, int[] offsets, long[] ticks, double[] amounts, IReadOnlyDictionary<string, IReadOnlyList<InteractionEvent>>? interactions, bool shopSendsInteractions)
    {
        CustomerIds = customerIds;
        Offsets = offsets;
        Ticks = ticks;
        Amounts = amounts;
        Interactions = InteractionTable.From(customerIds, interactions, shopSendsInteractions);
    }

    public int CustomerCount => CustomerIds.Length;

    public int PurchaseCount => Ticks.Length;

    internal string[] CustomerIds { get; }

    internal int[] Offsets { get; }

    /// <summary>UTC ticks of each purchase.</summary>
    internal long[] Ticks { get; }

    internal double[] Amounts { get; }

    /// <summary>The customers' interactions, or null when the shop sends none.</summary>
    internal InteractionTable? Interactions { get; }

    /// <summary>The feature columns every row built from this table has: with the interaction features only when there are interactions.</summary>
    public FeatureLayout Layout => Interactions is null ? FeatureLayout.Purchases : FeatureLayout.WithInteractions;

    /// <summary>BG/NBD fits by cut-off ticks (<see cref="CutoffBetaGeo"/>); the purchases never change, so neither do they.</summary>
    internal ConcurrentDictionary<long, BetaGeoModel?> BetaGeoFits { get; } = new();

    public string CustomerId(int customerIndex) => CustomerIds[customerIndex];

    /// <summary>
    /// (x, t_x, T) in weeks of every customer with a purchase by the cut-off: what the BG/NBD features of that cut-off
    /// are fitted on. A shard's summaries, concatenated over all shards, fit the population's model
    /// (<see cref="FitCutoffModel"/>), which <see cref="UseCutoffModel"/> hands to the shard's own table.
    /// </summary>
    public CustomerSummaries CutoffSummaries(DateTime cutoffUtc) => CutoffBetaGeo.Summarise(this, cutoffUtc.Ticks);

    /// <summary>The BG/NBD model the features of a cut-off use, fitted on (population) cut-off summaries; null when none fits.</summary>
    public static BetaGeoModel? FitCutoffModel(CustomerSummaries cutoffSummaries)
    {
        ArgumentNullException.ThrowIfNull(cutoffSummaries);
        return CutoffBetaGeo.FitSummaries(cutoffSummaries);
    }

    /// <summary>
    /// Makes this table's features at <paramref name="cutoffUtc"/> use <paramref name="model"/> (the population's fit)
    /// rather than a fit on this table's customers: a shard then gets the features the whole population would give it.
    /// </summary>
    public void UseCutoffModel(DateTime cutoffUtc, BetaGeoModel? model) => BetaGeoFits[cutoffUtc.Ticks] = model;

    /// <summary>The earliest purchase of any customer, or null when the table has no purchases.</summary>
    public DateTime? EarliestPurchaseUtc
    {
        get
        {
            long? earliest = null;
            for (var customer = 0; customer < CustomerCount; customer++)
            {
                if (Offsets[customer] < Offsets[customer + 1])
                {
                    var first = Ticks[Offsets[customer]];
                    earliest = earliest is null ? first : Math.Min(earliest.Value, first);
                }
            }

            return earliest is null ? null : new DateTime(earliest.Value, DateTimeKind.Utc);
        }
    }

    /// <param name="interactions">Each customer's interactions (any order), or null when the shop sends none.</param>
    /// <param name="shopSendsInteractions">
    /// The shop sends interactions, so the table has the interaction layout even when none of these customers has one
    /// (a shard or sample of the shop: every shard must give the models the same columns).
    /// </param>
    public static PurchaseTable From(
        IEnumerable<CustomerHistory> histories, IReadOnlyDictionary<string, IReadOnlyList<InteractionEvent>>? interactions = null, bool shopSendsInteractions = false)
    {
        ArgumentNullException.ThrowIfNull(histories);

        // Sized exactly up front: at ten million purchases, growing lists would briefly hold twice the arrays
        // and then copy them, the nightly run's memory peak.
        var all = histories as IReadOnlyCollection<CustomerHistory> ?? [.. histories];
        var purchases = 0;
        foreach (var history in all)
        {
            purchases += history.Purchases.Count;
        }

        var ids = new string[all.Count];
        var offsets = new int[all.Count + 1];
        var ticks = new long[purchases];
        var amounts = new double[purchases];
        var customer = 0;
        var next = 0;
        foreach (var history in all)
        {
            // CustomerHistory keeps purchases oldest first, which every scan below relies on.
            foreach (var purchase in history.Purchases)
            {
                ticks[next] = purchase.TimestampUtc.Ticks;
                amounts[next] = purchase.Amount;
                next++;
            }

            ids[customer] = history.CustomerId;
            offsets[++customer] = next;
        }

        return new PurchaseTable(ids, offsets, ticks, amounts, interactions, shopSendsInteractions);
    }

    /// <summary>
    /// The same customers and purchases without their interactions (the arrays are shared): the rows a purchase-only
    /// model reads, so it can be compared with one trained with interactions on the same customers and labels.
    /// </summary>
    public PurchaseTable WithoutInteractions()
        => Interactions is null ? this : new PurchaseTable(CustomerIds, Offsets, Ticks, Amounts, interactions: null, shopSendsInteractions: false);

    /// <summary>Index one past the customer's last purchase made on or before <paramref name="ticks"/>.</summary>
    internal int EndOnOrBefore(int customerIndex, long ticks)
    {
        var low = Offsets[customerIndex];
        var high = Offsets[customerIndex + 1];
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (Ticks[middle] <= ticks)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }
}
