using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Crm.Serverless.Core.Storage;

namespace Crm.Serverless.Testing;

/// <summary>Recounts what is stored, straight from the table, to check aggregates and idempotency against.</summary>
public static class StorageRecount
{
    /// <summary>The app's own scanner, uncounted: a recount must not add to the figures it checks.</summary>
    private static readonly PartitionScanner Scanner = new();

    /// <summary>
    /// A customer recounted from their rows. <see cref="Purchases"/> counts the purchases that stand (not cancelled,
    /// not wholly refunded), <see cref="TotalScaled"/> is net spend; <see cref="Gross"/> and <see cref="Refunded"/>
    /// cover the purchases not cancelled. <see cref="LinkMismatches"/> counts purchase rows whose refunded amount or
    /// cancelled flag differs from the refund and cancel rows that refer to them.
    /// </summary>
    public sealed record CustomerRecount(int Rows, int Purchases, long TotalScaled, DateTimeOffset? First, DateTimeOffset? Last, CustomerEntity? Customer)
    {
        public long Gross { get; init; }

        public long Refunded { get; init; }

        public int LinkMismatches { get; init; }
    }

    /// <summary>Every row of the table except the Customers table's summary rows (<see cref="CrmKeys.SummaryRow"/>): the rows data is stored in.</summary>
    public static async Task<List<TableEntity>> AllRowsAsync(TableClient table)
        => [.. (await AllRowsWithSummariesAsync(table)).Where(row => !IsCustomerSummary(row))];

    public static async Task<List<TableEntity>> AllRowsWithSummariesAsync(TableClient table)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in Scanner.QueryAsync<TableEntity>(table, filter: null, select: null, CancellationToken.None))
        {
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>A summary row of a shard partition (other tables' keys without a separator are not in shard partitions).</summary>
    public static bool IsCustomerSummary(TableEntity row)
        => row.RowKey.StartsWith(CrmKeys.SummaryPrefix) && CrmKeys.IsSummaryRow(row.RowKey) && CrmKeys.AllPartitions().Contains(row.PartitionKey);

    /// <summary>
    /// Customers whose stored summary row differs from one recomputed from their customer and purchase rows (or who
    /// have a customer row and no summary row, or a summary row and no customer row).
    /// </summary>
    public static async Task<List<string>> SummaryMismatchesAsync(TableClient customers)
    {
        var rows = await AllRowsWithSummariesAsync(customers);
        var stored = rows.Where(IsCustomerSummary).ToDictionary(row => row.RowKey[1..], StringComparer.Ordinal);
        var mismatches = new List<string>();
        foreach (var group in rows.Where(row => !IsCustomerSummary(row)).GroupBy(row => CrmKeys.CustomerIdOf(row.RowKey), StringComparer.Ordinal))
        {
            var customer = group.Where(row => CrmKeys.IsCustomerRow(row.RowKey)).Select(EntityMapper.ToCustomer).SingleOrDefault();
            var recount = CustomerSummaryRow.Of(group.Key, customer, group.Where(row => !CrmKeys.IsCustomerRow(row.RowKey)).Select(EntityMapper.ToTransaction));
            if (!stored.Remove(group.Key, out var row) || CustomerSummaryRow.FromEntity(row) is not { } summary || Describe(summary) != Describe(recount))
            {
                mismatches.Add(group.Key);
            }
        }

        return [.. mismatches, .. stored.Keys];
    }

    /// <summary>Every field of a summary as text, to compare two.</summary>
    public static string Describe(CustomerSummaryRow summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return System.Text.Json.JsonSerializer.Serialize(new
        {
            summary.CustomerId,
            summary.HasContact,
            summary.EmailHash,
            summary.PurchaseCount,
            summary.GrossAmountScaled,
            summary.TotalAmountScaled,
            summary.RefundedAmountScaled,
            Purchases = summary.Purchases.Select(p => new
            {
                p.TransactionId,
                p.PurchasedAt.UtcTicks,
                p.AmountScaled,
                p.RefundedScaled,
                p.OriginalAmountScaled,
                p.DiscountScaled,
                p.CouponCode,
                p.CampaignId,
                p.ItemsJson,
                p.RefundedItemsJson,
            }),
        });
    }

    /// <summary>
    /// One run's scores, read whole from its table: each customer's one row, checked to sit in the partition of its
    /// segment for its shard and nowhere else, so a test of any reader also sees the layout hold.
    /// </summary>
    public static async Task<List<ScoreEntity>> RunScoresAsync(CrmTables tables, string runId)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var customers = new Dictionary<string, ScoreEntity>(StringComparer.Ordinal);
        await foreach (var row in tables.RunScores(runId).QueryAsync<ScoreEntity>())
        {
            if (RunScoreKeys.IsRecommendationPartition(row.PartitionKey))
            {
                continue;
            }

            if (row.PartitionKey != RunScoreKeys.SegmentPartition(row.Segment, CrmKeys.ShardOf(row.CustomerId)) || !customers.TryAdd(row.CustomerId, row))
            {
                throw new InvalidDataException($"Run {runId}: a score row out of place or twice in {row.PartitionKey}.");
            }
        }

        return [.. customers.Values];
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
                    var transactions = group.Where(row => !CrmKeys.IsCustomerRow(row.RowKey)).Select(EntityMapper.ToTransaction).ToList();
                    var customer = group.Where(row => CrmKeys.IsCustomerRow(row.RowKey)).Select(EntityMapper.ToCustomer).SingleOrDefault();
                    var purchases = transactions.Where(t => t.IsPurchase).ToList();
                    var links = transactions.Where(t => !t.IsPurchase).ToLookup(t => t.RefersTo!, StringComparer.Ordinal);
                    var linkMismatches = purchases.Count(p =>
                        p.RefundedScaled != links[p.TransactionId].Where(t => t.Kind == "refund").Sum(t => t.AmountScaled)
                        || p.Cancelled != links[p.TransactionId].Any(t => t.Kind == "cancel"));
                    var standing = purchases.Where(p => p.Stands).ToList();
                    var times = standing.Select(p => p.PurchasedAt).ToList();
                    var counted = purchases.Where(p => !p.Cancelled).ToList();
                    return new CustomerRecount(
                        group.Count(),
                        standing.Count,
                        counted.Sum(p => p.AmountScaled - p.RefundedScaled),
                        times.Count == 0 ? null : times.Min(),
                        times.Count == 0 ? null : times.Max(),
                        customer)
                    {
                        Gross = counted.Sum(p => p.AmountScaled),
                        Refunded = counted.Sum(p => p.RefundedScaled),
                        LinkMismatches = linkMismatches,
                    };
                },
                StringComparer.Ordinal);
    }

    /// <summary>
    /// Rows anywhere in <paramref name="tables"/> that hold the customer: a key or value equal to the id, a row key
    /// starting with <c>{id}|</c>, or the id as a JSON string inside a stored payload.
    /// </summary>
    public static async Task<List<(string Table, TableEntity Row)>> RowsHoldingAsync(IEnumerable<TableClient> tables, string customerId)
    {
        var found = new List<(string, TableEntity)>();
        foreach (var table in tables)
        {
            foreach (var row in await AllRowsWithSummariesAsync(table))
            {
                if (((IDictionary<string, object>)row).Values.OfType<string>().Append(row.PartitionKey).Append(row.RowKey).Any(value => Holds(value, customerId)))
                {
                    found.Add((table.Name, row));
                }
            }
        }

        return found;
    }

    public static bool Holds(string value, string customerId)
        => value == customerId
           || value.StartsWith(customerId + CrmKeys.Separator, StringComparison.Ordinal)
           || value.Contains("\"" + customerId + "\"", StringComparison.Ordinal);

    /// <summary>
    /// Row count and an order-independent SHA-256 over every purchase's key, payload hash and amount, so two stores
    /// with the same purchases compare equal however and in whatever order they were written.
    /// </summary>
    public static async Task<(int Purchases, string Checksum)> PurchaseChecksumAsync(TableClient customers)
    {
        var rows = (await AllRowsAsync(customers)).Where(row => !CrmKeys.IsCustomerRow(row.RowKey) && row.GetString(nameof(TransactionEntity.Kind)) is null).ToList();
        return (rows.Count, Checksum(rows.Select<TableEntity, (string, string, string?, long?)>(row => (row.PartitionKey, row.RowKey, row.GetString(nameof(TransactionEntity.PayloadHash)), row.GetInt64(nameof(TransactionEntity.AmountScaled))))));
    }

    /// <summary>The checksum <see cref="PurchaseChecksumAsync"/> must find when exactly these purchases are stored.</summary>
    public static string ExpectedChecksum(IEnumerable<Core.Domain.Transaction> purchases)
        => Checksum(purchases.Select(t => (PartitionKey: CrmKeys.PartitionOf(t.CustomerId), RowKey: CrmKeys.TransactionRow(t.CustomerId, t.TransactionId), Hash: (string?)PayloadHash.Of(t), Amount: (long?)Core.Domain.Money.ToScaled(t.Amount))));

    private static string Checksum(IEnumerable<(string PartitionKey, string RowKey, string? Hash, long? Amount)> rows)
    {
        var lines = rows.Select(row => string.Join('\t', row.PartitionKey, row.RowKey, row.Hash, row.Amount)).Order(StringComparer.Ordinal);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', lines))));
    }

    /// <summary>
    /// Every customer row's aggregates (count, net, gross, refunded, first and last purchase) equal a recount of its
    /// purchase rows, and every purchase row's refunded amount and cancelled flag equal its refund and cancel rows;
    /// returns the customers that differ.
    /// </summary>
    public static async Task<List<string>> AggregateMismatchesAsync(TableClient customers)
        => [.. (await RecountAsync(customers))
            .Where(pair => pair.Value.Customer is not { } c
                || c.PurchaseCount != pair.Value.Purchases
                || c.TotalAmountScaled != pair.Value.TotalScaled
                || c.GrossAmountScaled != pair.Value.Gross
                || c.RefundedAmountScaled != pair.Value.Refunded
                || c.FirstPurchaseAt != pair.Value.First
                || c.LastPurchaseAt != pair.Value.Last
                || pair.Value.LinkMismatches > 0)
            .Select(pair => pair.Key)];
}
