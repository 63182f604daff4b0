using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Ml.Data;
using Microsoft.Extensions.Options;
using Crm.Serverless.Core.Scoring;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// Reads every customer's purchase history for the models, partition by partition in 1,000-row pages with only
/// the columns the models use: about one request per thousand purchases, never a query per customer.
/// Net values: refund and cancel rows are skipped, a cancelled or wholly refunded purchase is not a transaction,
/// and a partly refunded one counts with what remains of it.
/// </summary>
public sealed class HistoryReader(CrmTables tables, IOptions<NightlyOptions> options)
{
    private static readonly string[] Columns =
    [
        "RowKey", nameof(TransactionEntity.PurchasedAt), nameof(TransactionEntity.AmountScaled),
        nameof(TransactionEntity.Kind), nameof(TransactionEntity.RefundedScaled), nameof(TransactionEntity.Cancelled),
    ];

    /// <summary>Every history, shard after shard and in row-key order within a shard: the order the nightly stages concatenate shards in.</summary>
    public async Task<List<CustomerHistory>> ReadAllAsync(CancellationToken cancellationToken)
    {
        var shards = new List<CustomerHistory>[CrmKeys.ShardCount];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, CrmKeys.ShardCount),
            new ParallelOptions { MaxDegreeOfParallelism = options.Value.ReadParallelism, CancellationToken = cancellationToken },
            async (shard, ct) => shards[shard] = await ReadShardAsync(shard, ct));
        return [.. shards.SelectMany(s => s)];
    }

    /// <summary>One shard's histories, in row-key order.</summary>
    public async Task<List<CustomerHistory>> ReadShardAsync(int shard, CancellationToken cancellationToken)
    {
        var histories = new List<CustomerHistory>();
        string? current = null;
        var purchases = new List<Purchase>();
        await foreach (var row in tables.Scanner.PartitionAsync(tables.Customers, CrmKeys.Partition(shard), Columns, cancellationToken))
        {
            if (CrmKeys.IsSummaryRow(row.RowKey))
            {
                continue;
            }

            // Rows arrive in row-key order, so one customer's rows are contiguous.
            var customerId = CrmKeys.CustomerIdOf(row.RowKey);
            if (customerId != current)
            {
                Flush(current, purchases, histories);
                current = customerId;
            }

            if (!CrmKeys.IsCustomerRow(row.RowKey))
            {
                var purchase = new TransactionEntity
                {
                    AmountScaled = row.GetInt64(nameof(TransactionEntity.AmountScaled)) ?? 0,
                    Kind = row.GetString(nameof(TransactionEntity.Kind)),
                    RefundedScaled = row.GetInt64(nameof(TransactionEntity.RefundedScaled)) ?? 0,
                    Cancelled = row.GetBoolean(nameof(TransactionEntity.Cancelled)) ?? false,
                };
                if (purchase.Stands)
                {
                    var at = row.GetDateTimeOffset(nameof(TransactionEntity.PurchasedAt))!.Value.UtcDateTime;
                    purchases.Add(new Purchase(at, (double)Money.FromScaled(purchase.NetScaled)));
                }
            }
        }

        Flush(current, purchases, histories);
        return histories;
    }

    /// <summary>
    /// The rows of a partition or range in 1,000-row pages with only <paramref name="columns"/>, in row-key order (one
    /// customer's rows contiguous): the one way the readers of history page through the Customers table.
    /// </summary>
    internal static IAsyncEnumerable<TableEntity> PageAsync(CrmTables tables, string filter, string[] columns, CancellationToken cancellationToken)
        => tables.Scanner.QueryAsync<TableEntity>(tables.Customers, filter, columns, cancellationToken);

    private static void Flush(string? customerId, List<Purchase> purchases, List<CustomerHistory> histories)
    {
        if (customerId is not null && purchases.Count > 0)
        {
            histories.Add(new CustomerHistory(customerId, purchases));
        }

        purchases.Clear();
    }
}
