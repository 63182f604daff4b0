using System.Runtime.CompilerServices;
using Azure.Data.Tables;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// The one way this app pages through table rows: one shard's partition, one customer's key range, or a small
/// table, in pages of <see cref="PageSize"/> rows (the service's maximum: one request per thousand rows) with only
/// the columns asked for. Requests are counted in the HTTP pipeline (<see cref="StorageRequestCounter"/>); the rows
/// each page brings are counted here, so "entities read" has one source. Reached as <see cref="CrmTables.Scanner"/>.
/// </summary>
public sealed class PartitionScanner(StorageRequestCounter? counter = null)
{
    /// <summary>The Table service's largest page.</summary>
    public const int PageSize = 1000;

    /// <summary>Every row of one partition, in row-key order (so one customer's rows are contiguous).</summary>
    public IAsyncEnumerable<TableEntity> PartitionAsync(TableClient table, string partition, IEnumerable<string>? select, CancellationToken cancellationToken)
        => QueryAsync<TableEntity>(table, TableClient.CreateQueryFilter($"PartitionKey eq {partition}"), select, cancellationToken);

    /// <summary>Every row matching <paramref name="filter"/> (null: the whole table), page by page.</summary>
    public async IAsyncEnumerable<T> QueryAsync<T>(TableClient table, string? filter, IEnumerable<string>? select, [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : class, ITableEntity
    {
        ArgumentNullException.ThrowIfNull(table);
        await foreach (var page in table.QueryAsync<T>(filter, PageSize, select, cancellationToken).AsPages(pageSizeHint: PageSize))
        {
            counter?.AddEntitiesRead(page.Values.Count);
            foreach (var row in page.Values)
            {
                yield return row;
            }
        }
    }
}
