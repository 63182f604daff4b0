using Azure.Data.Tables;
using Azure.Storage.Queues;
using Crm.Serverless.Core.Ingestion;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Storage;

/// <summary>The app's tables and queue, resolved once from configuration.</summary>
public sealed class CrmTables(TableServiceClient tables, QueueServiceClient queues, IOptions<StorageOptions> storage, IOptions<IngestOptions> ingest)
{
    public TableClient Customers { get; } = tables.GetTableClient(storage.Value.CustomersTable);

    public TableClient Rejected { get; } = tables.GetTableClient(storage.Value.RejectedTable);

    public QueueClient IngestQueue { get; } = queues.GetQueueClient(ingest.Value.QueueName);

    /// <summary>Where the Functions host moves a message after its last failed attempt.</summary>
    public QueueClient IngestPoisonQueue { get; } = queues.GetQueueClient(ingest.Value.QueueName + "-poison");

    /// <summary>
    /// Every table keyed by <see cref="CrmKeys"/>: partition = the customer's shard, row key starting
    /// <c>{customerId}|</c>. Erasure and the access export walk this list, so a table added here (a later Scores
    /// table, say) is erased and exported without touching either; a customer-keyed table left out of it is not.
    /// </summary>
    public IReadOnlyList<TableClient> CustomerKeyedTables => [Customers, Rejected];

    public IEnumerable<TableClient> AllTables => CustomerKeyedTables;

    /// <summary>Idempotent; run once at start-up so no request on the hot path pays for it.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        foreach (var table in AllTables)
        {
            await table.CreateIfNotExistsAsync(cancellationToken);
        }

        await IngestQueue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await IngestPoisonQueue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
    }
}
