using Azure.Data.Tables;
using Crm.Serverless.Core.Storage;

namespace Crm.Serverless.Testing;

/// <summary>Recounts what is stored, straight from the table, to check aggregates and idempotency against.</summary>
public static class StorageRecount
{
    public sealed record CustomerRecount(int Rows, int Purchases, long TotalScaled, DateTimeOffset? First, DateTimeOffset? Last, CustomerEntity? Customer);

    public static async Task<List<TableEntity>> AllRowsAsync(TableClient table)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>())
        {
            rows.Add(row);
        }

        return rows;
    }

    public static async Task<Dictionary<string, CustomerRecount>> RecountAsync(TableClient customers)
    {
        var rows = await AllRowsAsync(customers);
        return rows
            .GroupBy(row => CrmKeys.CustomerIdOf(row.RowKey), StringComparer.Ordinal)
            .ToDictionary(
                group => group.Key,
                group =>
                {
                    var purchases = group.Where(row => !CrmKeys.IsCustomerRow(row.RowKey)).ToList();
                    var customer = group.Where(row => CrmKeys.IsCustomerRow(row.RowKey)).Select(EntityMapper.ToCustomer).SingleOrDefault();
                    var times = purchases.Select(p => p.GetDateTimeOffset(nameof(TransactionEntity.PurchasedAt))!.Value).ToList();
                    return new CustomerRecount(
                        group.Count(),
                        purchases.Count,
                        purchases.Sum(p => p.GetInt64(nameof(TransactionEntity.AmountScaled))!.Value),
                        times.Count == 0 ? null : times.Min(),
                        times.Count == 0 ? null : times.Max(),
                        customer);
                },
                StringComparer.Ordinal);
    }
}
