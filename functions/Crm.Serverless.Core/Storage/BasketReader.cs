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
        var kind = row.GetString(nameof(TransactionEntity.Kind));
        if (kind is not (null or "purchase") || row.GetBoolean(nameof(TransactionEntity.Cancelled)) == true)
        {
            return null;
        }

        var amountScaled = row.GetInt64(nameof(TransactionEntity.AmountScaled)) ?? 0;
        var amount = (double)Money.FromScaled(amountScaled);
        var rate = row.GetInt64(nameof(TransactionEntity.OriginalAmountScaled)) is { } sent and > 0 ? (double)amountScaled / sent : 1.0;
        var discount = row.GetInt64(nameof(TransactionEntity.DiscountScaled)) is { } scaled ? (double)Money.FromScaled(scaled) * rate : 0;
        var keep = amount + discount > 0 ? 1 - (discount / (amount + discount)) : 1;
        var refundedScaled = row.GetInt64(nameof(TransactionEntity.RefundedScaled)) ?? 0;
        var wholly = amountScaled > 0 && refundedScaled >= amountScaled;
        var refunded = EntityMapper.ReadRefundedItems(row.GetString(nameof(TransactionEntity.RefundedItemsJson)));
        var lines = new List<BasketLine>();
        var refundedLines = new List<BasketLine>();
        foreach (var item in EntityMapper.ReadItems(row.GetString(nameof(TransactionEntity.ItemsJson))))
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
            row.GetString(nameof(TransactionEntity.TransactionId)) ?? row.RowKey[(customerId.Length + 1)..],
            (row.GetDateTimeOffset(nameof(TransactionEntity.PurchasedAt)) ?? default).UtcDateTime,
            lines,
            discount,
            row.GetString(nameof(TransactionEntity.CouponCode)),
            row.GetString(nameof(TransactionEntity.CampaignId)),
            amount,
            refundedLines.Count == 0 ? null : refundedLines,
            wholly);
    }
}
