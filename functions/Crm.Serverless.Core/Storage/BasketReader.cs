using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// Turns stored purchase rows into <see cref="Basket"/>s for the product models, shard by shard with the paging of
/// <see cref="HistoryReader"/>, or one customer's range (the 360 view). Refund and cancel rows are skipped; a
/// cancelled purchase is no basket; a wholly refunded one is a basket marked so, its units all refunded.
/// Amounts are in the store's reporting currency: a purchase sent in another currency is converted at the rate its
/// own amounts give (stored amount over sent amount). Line prices are taken as before the order's discount, which is
/// prorated over the lines by value: a line's net amount is <c>unitPrice × kept units × rate × (1 − depth)</c> with
/// <c>depth = discount / (amount + discount)</c>. Units refunded by refunds that named lines leave the line for
/// <see cref="Basket.RefundedLines"/>; a refund that named no lines changes the purchase's net, not its lines.
/// </summary>
public sealed class BasketReader(CrmTables tables)
{
    private static readonly string[] Columns =
    [
        "RowKey", nameof(TransactionEntity.TransactionId), nameof(TransactionEntity.PurchasedAt), nameof(TransactionEntity.AmountScaled),
        nameof(TransactionEntity.OriginalAmountScaled), nameof(TransactionEntity.Kind), nameof(TransactionEntity.RefundedScaled),
        nameof(TransactionEntity.Cancelled), nameof(TransactionEntity.ItemsJson), nameof(TransactionEntity.RefundedItemsJson),
        nameof(TransactionEntity.DiscountScaled), nameof(TransactionEntity.CouponCode), nameof(TransactionEntity.CampaignId),
    ];

    /// <summary>Every basket of one shard, one list per customer (customers in row-key order, baskets by time).</summary>
    public async Task<List<IReadOnlyList<Basket>>> ReadShardAsync(int shard, CancellationToken cancellationToken)
    {
        var customers = new List<IReadOnlyList<Basket>>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {CrmKeys.Partition(shard)}");
        string? current = null;
        var baskets = new List<Basket>();
        await foreach (var row in HistoryReader.PageAsync(tables, filter, Columns, cancellationToken))
        {
            if (CrmKeys.IsSummaryRow(row.RowKey))
            {
                continue;
            }

            var customerId = CrmKeys.CustomerIdOf(row.RowKey);
            if (customerId != current)
            {
                Flush(baskets, customers);
                current = customerId;
            }

            if (!CrmKeys.IsCustomerRow(row.RowKey) && ToBasket(customerId, row) is { } basket)
            {
                baskets.Add(basket);
            }
        }

        Flush(baskets, customers);
        return customers;
    }

    /// <summary>One customer's baskets by time: one range query.</summary>
    public async Task<List<Basket>> ReadCustomerAsync(string customerId, CancellationToken cancellationToken)
    {
        var baskets = new List<Basket>();
        await foreach (var row in HistoryReader.PageAsync(tables, CrmKeys.CustomerRangeFilter(customerId), Columns, cancellationToken))
        {
            if (!CrmKeys.IsCustomerRow(row.RowKey) && ToBasket(customerId, row) is { } basket)
            {
                baskets.Add(basket);
            }
        }

        baskets.Sort(ByTime);
        return baskets;
    }

    /// <summary>Baskets in the order every reader gives them: by time, ties by transaction id.</summary>
    public static List<Basket> Sorted(IEnumerable<Basket> baskets)
    {
        var sorted = baskets.ToList();
        sorted.Sort(ByTime);
        return sorted;
    }

    private static void Flush(List<Basket> baskets, List<IReadOnlyList<Basket>> customers)
    {
        if (baskets.Count > 0)
        {
            baskets.Sort(ByTime);
            customers.Add([.. baskets]);
        }

        baskets.Clear();
    }

    private static int ByTime(Basket a, Basket b)
    {
        var byTime = a.TimestampUtc.CompareTo(b.TimestampUtc);
        return byTime != 0 ? byTime : string.CompareOrdinal(a.TransactionId, b.TransactionId);
    }

    /// <summary>A stored purchase row as a basket; null for a refund or cancel row, or a cancelled purchase.</summary>
    public static Basket? ToBasket(string customerId, TableEntity row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return ToBasket(customerId, EntityMapper.ToTransaction(row));
    }

    /// <summary>A purchase as a basket; null for a refund or cancel, or a cancelled purchase.</summary>
    public static Basket? ToBasket(string customerId, TransactionEntity row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (!row.IsPurchase || row.Cancelled)
        {
            return null;
        }

        var amountScaled = row.AmountScaled;
        var amount = (double)Money.FromScaled(amountScaled);
        var rate = row.OriginalAmountScaled is { } sent and > 0 ? (double)amountScaled / sent : 1.0;
        var discount = row.DiscountScaled is { } scaled ? (double)Money.FromScaled(scaled) * rate : 0;
        var keep = amount + discount > 0 ? 1 - (discount / (amount + discount)) : 1;
        var refundedScaled = row.RefundedScaled;
        var wholly = amountScaled > 0 && refundedScaled >= amountScaled;
        var refunded = EntityMapper.ReadRefundedItems(row.RefundedItemsJson);
        var lines = new List<BasketLine>();
        var refundedLines = new List<BasketLine>();
        foreach (var item in EntityMapper.ReadItems(row.ItemsJson))
        {
            // Refunded units of a sku come off its lines in order (a purchase may list a sku twice).
            var back = wholly ? item.Quantity : Math.Min(item.Quantity, refunded.GetValueOrDefault(item.Sku));
            if (back > 0)
            {
                refunded[item.Sku] = refunded.GetValueOrDefault(item.Sku) - back;
            }

            var unit = (double)item.Price * rate * keep;
            var cost = item.UnitCost is { } c ? (double)c * rate : (double?)null;
            if (item.Quantity - back > 0)
            {
                lines.Add(new BasketLine(item.Sku, item.Quantity - back, unit * (item.Quantity - back), item.Category, cost));
            }

            if (back > 0)
            {
                refundedLines.Add(new BasketLine(item.Sku, back, unit * back, item.Category, cost));
            }
        }

        return new Basket(
            customerId,
            row.TransactionId,
            row.PurchasedAt.UtcDateTime,
            lines,
            discount,
            row.CouponCode,
            row.CampaignId,
            amount,
            refundedLines.Count == 0 ? null : refundedLines,
            wholly);
    }
}
