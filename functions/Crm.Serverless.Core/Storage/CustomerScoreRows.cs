using Azure.Data.Tables;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// A customer's score row of one run, found from the id alone: it sits in the partition of the segment that run gave
/// the customer, which the caller does not know, so the RowKey is read in each of the shard's candidate partitions
/// (<see cref="RunScoreKeys.CustomerPartitions"/>) at once, by key (no id in a request path, see <see cref="KeyedRows"/>).
/// </summary>
public static class CustomerScoreRows
{
    /// <returns>Every row of the customer in <paramref name="table"/>'s candidate partitions (none when the table is gone).</returns>
    public static async Task<IReadOnlyList<T>> FindAsync<T>(PartitionScanner scanner, TableClient table, string customerId, bool withLegacy, CancellationToken cancellationToken)
        where T : class, ITableEntity
    {
        var rowKey = CrmKeys.CustomerRow(customerId);
        var found = await Task.WhenAll(RunScoreKeys.CustomerPartitions(CrmKeys.ShardOf(customerId), withLegacy)
            .Select(partition => KeyedRows.FindAsync<T>(scanner, table, partition, rowKey, null, cancellationToken)));
        return [.. found.OfType<T>()];
    }
}
