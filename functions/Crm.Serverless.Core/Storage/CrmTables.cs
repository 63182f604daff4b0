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

    public IEnumerable<TableClient> AllTables => [Customers, Rejected];

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
