using Azure;
using Azure.Data.Tables;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// One row by its keys, read or deleted without putting the keys in the request path: the SDK's HTTP spans record the
/// path (where a point read or delete carries the customer id) but redact the query string (a filter) and never see a
/// batch's body (a one-action transaction).
/// </summary>
public static class KeyedRows
{
    /// <returns>The row, or null when it or its table is not there.</returns>
    public static Task<TableEntity?> FindAsync(PartitionScanner scanner, TableClient table, string partition, string rowKey, IEnumerable<string>? select, CancellationToken cancellationToken)
        => FindAsync<TableEntity>(scanner, table, partition, rowKey, select, cancellationToken);

    /// <inheritdoc cref="FindAsync(PartitionScanner, TableClient, string, string, IEnumerable{string}?, CancellationToken)"/>
    public static async Task<T?> FindAsync<T>(PartitionScanner scanner, TableClient table, string partition, string rowKey, IEnumerable<string>? select, CancellationToken cancellationToken)
        where T : class, ITableEntity
    {
        ArgumentNullException.ThrowIfNull(scanner);
        try
        {
            await foreach (var row in scanner.QueryAsync<T>(table, TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey eq {rowKey}"), select, cancellationToken))
            {
                return row;
            }
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            // A table deleted meanwhile (a pruned run) holds nothing.
        }

        return null;
    }

    /// <returns>Whether a row was deleted (false when it or its table was already gone).</returns>
    public static async Task<bool> DeleteIfExistsAsync(TableClient table, string partition, string rowKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        try
        {
            await table.SubmitTransactionAsync([new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(partition, rowKey), ETag.All)], cancellationToken);
            return true;
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return false;
        }
    }
}
