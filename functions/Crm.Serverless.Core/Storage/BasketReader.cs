using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Ml.Data;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// Reads one shard's purchases with their line items (the stored <c>ItemsJson</c>) as net <see cref="Basket"/>s,
/// in 1,000-row pages, like <see cref="HistoryReader"/>. A wholly refunded purchase keeps its lines at quantity 0
/// (bought and refunded, so never recommended back); a cancelled one never happened and is left out; a partly
/// refunded one keeps its lines with the amounts scaled to what remains. Purchases without lines are left out.
/// </summary>
/// <remarks>
/// A minimal reader for the recommendations until the lines work's reader (refunds that name lines, category and
/// unit cost) lands; then that one replaces this.
/// </remarks>
public sealed class BasketReader(CrmTables tables)
{
    private static readonly string[] Columns =
    [
        "RowKey", nameof(TransactionEntity.TransactionId), nameof(TransactionEntity.PurchasedAt), nameof(TransactionEntity.AmountScaled),
        nameof(TransactionEntity.Kind), nameof(TransactionEntity.RefundedScaled), nameof(TransactionEntity.Cancelled), nameof(TransactionEntity.ItemsJson),
    ];

    public async Task<List<Basket>> ReadShardAsync(int shard, CancellationToken cancellationToken)
    {
        var baskets = new List<Basket>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {CrmKeys.Partition(shard)}");
        await foreach (var row in tables.Customers.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: Columns, cancellationToken: cancellationToken))
        {
            if (CrmKeys.IsCustomerRow(row.RowKey) || row.GetString(nameof(TransactionEntity.ItemsJson)) is not { } itemsJson)
            {
                continue;
            }

            var purchase = new TransactionEntity
            {
                AmountScaled = row.GetInt64(nameof(TransactionEntity.AmountScaled)) ?? 0,
                Kind = row.GetString(nameof(TransactionEntity.Kind)),
                RefundedScaled = row.GetInt64(nameof(TransactionEntity.RefundedScaled)) ?? 0,
                Cancelled = row.GetBoolean(nameof(TransactionEntity.Cancelled)) ?? false,
            };
            if (!purchase.IsPurchase || purchase.Cancelled)
            {
                continue;
            }

            var items = EntityMapper.ReadItems(itemsJson);
            var gross = items.Sum(i => i.Price * i.Quantity);

            // Lines are priced in the purchase's currency; their share of the net amount puts them in the store's.
            var net = (double)Money.FromScaled(purchase.NetScaled);
            var lines = items.Select(i => purchase.Stands
                ? new BasketLine(i.Sku, i.Quantity, gross == 0 ? 0 : net * (double)(i.Price * i.Quantity / gross))
                : new BasketLine(i.Sku, 0, 0)).ToList();
            var at = row.GetDateTimeOffset(nameof(TransactionEntity.PurchasedAt))!.Value.UtcDateTime;
            baskets.Add(new Basket(CrmKeys.CustomerIdOf(row.RowKey), row.GetString(nameof(TransactionEntity.TransactionId)) ?? "", at, lines));
        }

        return baskets;
    }
}
