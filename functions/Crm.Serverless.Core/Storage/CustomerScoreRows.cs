using System.Runtime.CompilerServices;
using Azure.Data.Tables;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// A run's score rows read without knowing a customer's segment: they sit in the partition of the segment the run gave
/// each customer (<see cref="RunScoreKeys"/>), so one customer's row is read by key in each of the shard's candidate
/// partitions (<see cref="RunScoreKeys.CustomerPartitions"/>) at once, as filters (no id in a request path, see
/// <see cref="KeyedRows"/>), and a shard's rows are its segment partitions read one after the other.
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

    /// <returns>The customer's score row of the run (which holds their recommendations), or null.</returns>
    public static async Task<ScoreEntity?> FindScoreAsync(PartitionScanner scanner, TableClient table, string customerId, CancellationToken cancellationToken)
        => await FindAsync<ScoreEntity>(scanner, table, customerId, withLegacy: false, cancellationToken) is [var row, ..] ? row : null;

    /// <summary>Every score row of one shard in the run, segment partition by segment partition, 1,000 rows a request.</summary>
    public static async IAsyncEnumerable<ScoreEntity> ShardAsync(
        PartitionScanner scanner, TableClient table, int shard, IEnumerable<string>? select, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scanner);
        foreach (var partition in RunScoreKeys.CustomerPartitions(shard))
        {
            await foreach (var row in scanner.QueryAsync<ScoreEntity>(table, TableClient.CreateQueryFilter($"PartitionKey eq {partition}"), select, cancellationToken))
            {
                yield return row;
            }
        }
    }
}
