using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Ingestion;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Storage;

/// <summary>The app's tables and queue, resolved once from configuration.</summary>
public sealed class CrmTables(
    TableServiceClient tables,
    QueueServiceClient queues,
    BlobServiceClient blobs,
    IOptions<StorageOptions> storage,
    IOptions<IngestOptions> ingest,
    IOptions<NightlyOptions> nightly,
    StorageRequestCounter counter)
{
    /// <summary>How every multi-row read of these tables pages (page size, columns, rows counted).</summary>
    public PartitionScanner Scanner { get; } = new(counter);

    public TableClient Customers { get; } = tables.GetTableClient(storage.Value.CustomersTable);

    public TableClient Rejected { get; } = tables.GetTableClient(storage.Value.RejectedTable);

    public QueueClient IngestQueue { get; } = queues.GetQueueClient(ingest.Value.QueueName);

    /// <summary>Where the Functions host moves a message after its last failed attempt.</summary>
    public QueueClient IngestPoisonQueue { get; } = queues.GetQueueClient(ingest.Value.QueueName + "-poison");

    /// <summary>Latest scores per customer; keys as in <see cref="CrmKeys"/> (RowKey <c>{customerId}|</c>).</summary>
    public TableClient Scores { get; } = tables.GetTableClient(storage.Value.ScoresTable);

    /// <summary>
    /// Consent changes per customer. A table of its own: transaction ids may hold any key-legal character, so rows
    /// in the customer's Customers range could collide with a purchase's row key.
    /// </summary>
    public TableClient Consent { get; } = tables.GetTableClient(storage.Value.ConsentTable);

    /// <summary>Nightly run records and their shards' progress.</summary>
    public TableClient Runs { get; } = tables.GetTableClient(storage.Value.RunsTable);

    /// <summary>Store-wide settings (<see cref="StoreSettingEntity"/>), not keyed by customer.</summary>
    public TableClient Settings { get; } = tables.GetTableClient(storage.Value.SettingsTable);

    public QueueClient ScoreQueue { get; } = queues.GetQueueClient(nightly.Value.ShardQueueName);

    public QueueClient ScorePoisonQueue { get; } = queues.GetQueueClient(nightly.Value.ShardQueueName + "-poison");

    public BlobContainerClient Models { get; } = blobs.GetBlobContainerClient(storage.Value.ModelsContainer);

    public BlobContainerClient RunResults { get; } = blobs.GetBlobContainerClient(storage.Value.RunsContainer);

    /// <summary>
    /// Every table keyed by <see cref="CrmKeys"/>: partition = the customer's shard, row key starting
    /// <c>{customerId}|</c>. Erasure and the access export walk this list, so a customer-keyed table left out of it
    /// is neither erased nor exported.
    /// </summary>
    /// <remarks>Erasure walks these in order; Customers before Scores is what lets a scoring write that races an erase lose (see ShardScoreWriter).</remarks>
    public IReadOnlyList<TableClient> CustomerKeyedTables => [Customers, Rejected, Scores, Consent];

    public IEnumerable<TableClient> AllTables => [.. CustomerKeyedTables, Runs, Settings];

    public IEnumerable<QueueClient> AllQueues => [IngestQueue, IngestPoisonQueue, ScoreQueue, ScorePoisonQueue];

    public IEnumerable<BlobContainerClient> AllContainers => [Models, RunResults];

    /// <summary>Deletes every table, queue and container named here, with all their data (<c>crm stores delete</c>, test and bench clean-up).</summary>
    public async Task DeleteAllAsync(CancellationToken cancellationToken)
    {
        foreach (var table in AllTables)
        {
            await table.DeleteAsync(cancellationToken);
        }

        foreach (var queue in AllQueues)
        {
            await queue.DeleteIfExistsAsync(cancellationToken);
        }

        foreach (var container in AllContainers)
        {
            await container.DeleteIfExistsAsync(cancellationToken: cancellationToken);
        }
    }

    /// <summary>Idempotent; run once at start-up so no request on the hot path pays for it.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        foreach (var table in AllTables)
        {
            await table.CreateIfNotExistsAsync(cancellationToken);
        }

        foreach (var queue in AllQueues)
        {
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }

        foreach (var container in AllContainers)
        {
            await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }
    }
}
