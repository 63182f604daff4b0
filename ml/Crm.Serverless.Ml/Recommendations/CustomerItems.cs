using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Ml.Recommendations;

/// <summary>What a customer bought of one sku up to a cut-off: in how many baskets, how much, and when last.</summary>
public readonly record struct ItemHistory(string Sku, int Baskets, double Quantity, DateTime FirstUtc, DateTime LastUtc, string? Category);

/// <summary>
/// One customer's net purchases per sku up to a cut-off, the recommender's view of a customer. Baskets are net, so a
/// refunded line (in <see cref="Basket.RefundedLines"/>, or a line whose net quantity is 0) is not a purchase: a sku
/// with only such lines is <see cref="RefundedOnly"/>, which is never recommended to this customer.
/// </summary>
public sealed class CustomerItems
{
    private CustomerItems(string customerId, IReadOnlyList<ItemHistory> items, IReadOnlySet<string> refundedOnly, int baskets, DateTime lastBasketUtc)
    {
        CustomerId = customerId;
        Items = items;
        RefundedOnly = refundedOnly;
        Baskets = baskets;
        LastBasketUtc = lastBasketUtc;
    }

    public string CustomerId { get; }

    /// <summary>Skus bought (net quantity above 0), most recent first.</summary>
    public IReadOnlyList<ItemHistory> Items { get; }

    public IReadOnlySet<string> RefundedOnly { get; }

    /// <summary>Baskets with at least one bought line.</summary>
    public int Baskets { get; }

    /// <summary>When the customer last bought anything (default when never).</summary>
    public DateTime LastBasketUtc { get; }

    public bool Bought(string sku) => Items.Any(i => string.Equals(i.Sku, sku, StringComparison.Ordinal));

    /// <summary>One customer's baskets (any order) up to and including <paramref name="cutoffUtc"/>.</summary>
    public static CustomerItems From(string customerId, IEnumerable<Basket> baskets, DateTime cutoffUtc)
    {
        ArgumentNullException.ThrowIfNull(baskets);
        var bought = new Dictionary<string, ItemHistory>(StringComparer.Ordinal);
        var refunded = new HashSet<string>(StringComparer.Ordinal);
        var count = 0;
        var last = default(DateTime);
        var inBasket = new HashSet<string>(StringComparer.Ordinal);
        foreach (var basket in baskets)
        {
            if (basket.TimestampUtc > cutoffUtc)
            {
                continue;
            }

            foreach (var line in basket.RefundedLines ?? [])
            {
                refunded.Add(line.Sku);
            }

            var any = false;
            inBasket.Clear();
            foreach (var line in basket.Lines)
            {
                if (line.Quantity <= 0)
                {
                    refunded.Add(line.Sku);
                    continue;
                }

                // A basket that lists a sku on two lines is still one basket with it (not a re-buy).
                var first = inBasket.Add(line.Sku);
                any = true;
                bought[line.Sku] = bought.TryGetValue(line.Sku, out var item)
                    ? item with
                    {
                        Baskets = item.Baskets + (first ? 1 : 0),
                        Quantity = item.Quantity + line.Quantity,
                        FirstUtc = basket.TimestampUtc < item.FirstUtc ? basket.TimestampUtc : item.FirstUtc,
                        LastUtc = basket.TimestampUtc > item.LastUtc ? basket.TimestampUtc : item.LastUtc,
                    }
                    : new ItemHistory(line.Sku, 1, line.Quantity, basket.TimestampUtc, basket.TimestampUtc, line.Category);
            }

            if (any)
            {
                count++;
                last = basket.TimestampUtc > last ? basket.TimestampUtc : last;
            }
        }

        refunded.ExceptWith(bought.Keys);
        var items = bought.Values.OrderByDescending(i => i.LastUtc).ThenBy(i => i.Sku, StringComparer.Ordinal).ToArray();
        return new CustomerItems(customerId, items, refunded, count, last);
    }

    /// <summary>This customer's items as plain data, for a night artefact; <see cref="FromData"/> reads them back.</summary>
    public CustomerItemsData ToData() => new(CustomerId, [.. Items], [.. RefundedOnly.Order(StringComparer.Ordinal)], Baskets, LastBasketUtc);

    public static CustomerItems FromData(CustomerItemsData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new CustomerItems(data.CustomerId, data.Items, data.RefundedOnly.ToHashSet(StringComparer.Ordinal), data.Baskets, data.LastBasketUtc);
    }

    /// <summary>Groups baskets by customer (ordinal id order) and builds each customer's items up to the cut-off.</summary>
    public static IEnumerable<CustomerItems> ByCustomer(IEnumerable<Basket> baskets, DateTime cutoffUtc)
    {
        ArgumentNullException.ThrowIfNull(baskets);
        return baskets.GroupBy(b => b.CustomerId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => From(g.Key, g, cutoffUtc));
    }
}

/// <summary><see cref="CustomerItems"/> as plain data (items most recent first).</summary>
public sealed record CustomerItemsData(string CustomerId, ItemHistory[] Items, string[] RefundedOnly, int Baskets, DateTime LastBasketUtc);
