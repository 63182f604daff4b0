using System.Globalization;
using Azure.Data.Tables;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// The key layout of the Customers table, in one place.
/// <list type="bullet">
/// <item>PartitionKey: one of <see cref="ShardCount"/> shards ("p00".."p63"), a stable hash of the customer id.
/// Many customers share a shard, so bulk writes fill 100-entity batches and the nightly job reads a shard in
/// 1,000-row pages; one shard is also one unit of fan-out work.</item>
/// <item>RowKey: <c>{customerId}|</c> for the customer row (contact + purchase aggregates) and
/// <c>{customerId}|{transactionId}</c> for each purchase, so one customer's rows are one contiguous range of one
/// partition: their history is one query, erasing them is one range, and a purchase and the aggregate it changes
/// commit in one entity-group transaction.</item>
/// <item>RowKey <c>!{customerId}</c> (no separator): the customer's <see cref="CustomerSummaryRow"/>, in the same partition
/// so it commits with the rows it summarises, and outside every customer's range. All summary rows of a shard are the
/// one range <c>["!", "\"")</c>; rows of that range with a separator belong to customers whose id starts with '!'.</item>
/// </list>
/// </summary>
public static class CrmKeys
{
    /// <summary>Fixed for the life of a deployment: changing it would move every customer to another partition.</summary>
    public const int ShardCount = 64;

    public const char Separator = '|';

    /// <summary>The character right after <see cref="Separator"/>: the exclusive end of a customer's range.</summary>
    private const char SeparatorSuccessor = '}';

    public static int ShardOf(string customerId)
    {
        ArgumentNullException.ThrowIfNull(customerId);

        // FNV-1a over UTF-16 code units: stable across processes and platforms, unlike string.GetHashCode.
        var hash = 2166136261u;
        foreach (var c in customerId)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % ShardCount);
    }

    public static string PartitionOf(string customerId) => Partition(ShardOf(customerId));

    public static string Partition(int shard) => "p" + shard.ToString("D2", CultureInfo.InvariantCulture);

    public static IEnumerable<string> AllPartitions() => Enumerable.Range(0, ShardCount).Select(Partition);

    public static string CustomerRow(string customerId) => customerId + Separator;

    public static string TransactionRow(string customerId, string transactionId) => customerId + Separator + transactionId;

    /// <summary>Inclusive start and exclusive end of every row key of one customer.</summary>
    public static (string From, string To) CustomerRange(string customerId) => (customerId + Separator, customerId + SeparatorSuccessor);

    /// <summary>The query filter for every row of one customer in a customer-keyed table: one range of one partition.</summary>
    public static string CustomerRangeFilter(string customerId)
    {
        var partition = PartitionOf(customerId);
        var (from, to) = CustomerRange(customerId);
        return TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {from} and RowKey lt {to}");
    }

    public const char SummaryPrefix = '!';

    public static string SummaryRow(string customerId) => SummaryPrefix + customerId;

    /// <summary>A row key without the separator: a customer's summary row (customer and purchase rows all have one).</summary>
    public static bool IsSummaryRow(string rowKey) => !rowKey.Contains(Separator, StringComparison.Ordinal);

    /// <summary>Every summary row of one shard (and the rows of customers whose id starts with '!', to skip): one range.</summary>
    public static string SummaryRangeFilter(int shard)
    {
        var from = SummaryPrefix.ToString();
        var to = ((char)(SummaryPrefix + 1)).ToString();
        return TableClient.CreateQueryFilter($"PartitionKey eq {Partition(shard)} and RowKey ge {from} and RowKey lt {to}");
    }

    /// <summary>Customer ids never contain the separator, so a customer row has exactly one, at the end.</summary>
    public static bool IsCustomerRow(string rowKey) => rowKey.IndexOf(Separator, StringComparison.Ordinal) == rowKey.Length - 1;

    public static string CustomerIdOf(string rowKey) => rowKey[..rowKey.IndexOf(Separator, StringComparison.Ordinal)];
}
