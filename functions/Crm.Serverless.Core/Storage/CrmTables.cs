using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Ingestion;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Storage;

/// <summary>The app's tables and queue, resolved once from configuration.</summary>
public sealed class CrmTables(
    TableServiceClient service,
    QueueServiceClient queues,
    BlobServiceClient blobs,
    IOptions<StorageOptions> storage,
    IOptions<IngestOptions> ingest,
    StorageRequestCounter counter)
{
    /// <summary>How every multi-row read of these tables pages (page size, columns, rows counted).</summary>
    public PartitionScanner Scanner { get; } = new(counter);

    public TableClient Customers { get; } = service.GetTableClient(storage.Value.CustomersTable);

    public TableClient Rejected { get; } = service.GetTableClient(storage.Value.RejectedTable);

    public QueueClient IngestQueue { get; } = queues.GetQueueClient(ingest.Value.QueueName);

    /// <summary>Where the Functions host moves a message after its last failed attempt.</summary>
    public QueueClient IngestPoisonQueue { get; } = queues.GetQueueClient(ingest.Value.QueueName + "-poison");

    private readonly string _scoresPrefix = storage.Value.ScoresTable;

    /// <summary>
    /// One run's scores, a table of its own (<c>{prefix}Scores{runId}</c>, layout in <see cref="RunScoreKeys"/>): a run
    /// writes only its own rows, readers switch runs by the current-run pointer, and pruning a run is one table delete.
    /// </summary>
    public TableClient RunScores(string runId) => service.GetTableClient(RunScoreKeys.TableName(_scoresPrefix, runId));

    /// <summary>Every run's scores table that exists now, in progress or retained, listed by name (one request per 1,000 tables).</summary>
    public async IAsyncEnumerable<TableClient> ListRunScoresAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"TableName ge {_scoresPrefix} and TableName lt {_scoresPrefix + "~"}");
        await foreach (var table in service.QueryAsync(filter, cancellationToken: cancellationToken))
        {
            if (RunScoreKeys.IsTableName(_scoresPrefix, table.Name))
            {
                yield return service.GetTableClient(table.Name);
            }
        }
    }

    /// <summary>
    /// Consent changes per customer. A table of its own: transaction ids may hold any key-legal character, so rows
    /// in the customer's Customers range could collide with a purchase's row key.
    /// </summary>
    public TableClient Consent { get; } = service.GetTableClient(storage.Value.ConsentTable);

    /// <summary>
    /// Interactions per customer and their aggregates row (<c>{customerId}|</c>), keyed as in <see cref="CrmKeys"/>.
    /// A table of its own for the reason <see cref="Consent"/> has one: interaction ids, like transaction ids, may
    /// be any key-legal text, so they could collide with purchase row keys in the Customers range.
    /// </summary>
    public TableClient Interactions { get; } = service.GetTableClient(storage.Value.InteractionsTable);

    /// <summary>Recent erasures per shard, hashed (<see cref="Privacy.EraseLog"/>): what a run's score writer reads instead of the customer partition.</summary>
    public TableClient Erasures { get; } = service.GetTableClient(storage.Value.ErasuresTable);

    /// <summary>Nightly run records and their shards' progress.</summary>
    public TableClient Runs { get; } = service.GetTableClient(storage.Value.RunsTable);

    /// <summary>Store-wide settings (<see cref="StoreSettingEntity"/>), not keyed by customer.</summary>
    public TableClient Settings { get; } = service.GetTableClient(storage.Value.SettingsTable);

    /// <summary>Campaign records (<see cref="Campaigns.CampaignStore"/>): partition "campaigns", row key the campaign's key.</summary>
    public TableClient Campaigns { get; } = service.GetTableClient(storage.Value.CampaignsTable);

    /// <summary>Who is in which campaign, keyed as in <see cref="CrmKeys"/> (row key <c>{customerId}|{campaignKey}</c>).</summary>
    public TableClient CampaignMembers { get; } = service.GetTableClient(storage.Value.CampaignMembersTable);

    /// <summary>
    /// The same membership keyed by campaign (partition = campaign key, row key = customer id) so one campaign's
    /// members are one partition query. Not customer-keyed: erasure deletes a customer's rows here from the
    /// campaigns their <see cref="CampaignMembers"/> rows name (<see cref="Campaigns.CampaignStore.EraseIndexAsync"/>).
    /// </summary>
    public TableClient CampaignIndex { get; } = service.GetTableClient(storage.Value.CampaignIndexTable);

    public BlobContainerClient Models { get; } = blobs.GetBlobContainerClient(storage.Value.ModelsContainer);

    public BlobContainerClient RunResults { get; } = blobs.GetBlobContainerClient(storage.Value.RunsContainer);

    /// <summary>
    /// A run's scratch container: every per-shard hand-off between the night's stages (some hold customer ids), created
    /// by the first write and deleted whole when the run completes, one request instead of one per blob
    /// (<see cref="Nightly.NightlyArtefacts"/>).
    /// </summary>
    public BlobContainerClient RunScratch(string runId) => blobs.GetBlobContainerClient((storage.Value.RunScratchPrefix + runId).ToLowerInvariant());

    /// <summary>
    /// Every table keyed by <see cref="CrmKeys"/>: partition = the customer's shard, row key starting
    /// <c>{customerId}|</c>. Erasure and the access export walk this list, so a customer-keyed table left out of it
    /// is neither erased nor exported.
    /// </summary>
    /// <remarks>
    /// Erasure logs the erase (<see cref="Erasures"/>), walks these in order, then every run's scores table
    /// (<see cref="ListRunScoresAsync"/>, the scores and the recommendations): the log first and the run tables last is
    /// what lets a scoring write that races an erase lose (see <see cref="Privacy.EraseLog"/>).
    /// </remarks>
    public IReadOnlyList<TableClient> CustomerKeyedTables => [Customers, Rejected, Consent, Interactions, CampaignMembers];

    /// <summary>The fixed tables; the runs' scores tables come and go (<see cref="ListAllTablesAsync"/>).</summary>
    public IEnumerable<TableClient> AllTables => [.. CustomerKeyedTables, Runs, Settings, Campaigns, CampaignIndex, Erasures];

    /// <summary>The fixed tables and every run's scores table that exists now.</summary>
    public async Task<IReadOnlyList<TableClient>> ListAllTablesAsync(CancellationToken cancellationToken)
    {
        var all = AllTables.ToList();
        await foreach (var table in ListRunScoresAsync(cancellationToken))
        {
            all.Add(table);
        }

        return all;
    }

    public IEnumerable<QueueClient> AllQueues => [IngestQueue, IngestPoisonQueue];

    public IEnumerable<BlobContainerClient> AllContainers => [Models, RunResults];

    /// <summary>Deletes every table, queue and container named here, with all their data (<c>crm stores delete</c>, test and bench clean-up).</summary>
    public async Task DeleteAllAsync(CancellationToken cancellationToken)
    {
        foreach (var table in await ListAllTablesAsync(cancellationToken))
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

        // Runs that never completed leave their scratch containers.
        await foreach (var scratch in blobs.GetBlobContainersAsync(BlobContainerTraits.None, BlobContainerStates.None, storage.Value.RunScratchPrefix, cancellationToken))
        {
            await blobs.GetBlobContainerClient(scratch.Name).DeleteIfExistsAsync(cancellationToken: cancellationToken);
        }
    }

    /// <summary>
    /// Where builds before the run tables kept every customer's recommendations (<c>{prefix}Recommendations</c>). Erase no
    /// longer walks it, so <see cref="EnsureCreatedAsync"/> deletes it: the rows are derived and the next night rewrites them.
    /// </summary>
    private TableClient LegacyRecommendations => service.GetTableClient(storage.Value.TablePrefix + "Recommendations");

    /// <summary>Idempotent; run once at start-up so no request on the hot path pays for it.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        try
        {
            await LegacyRecommendations.DeleteAsync(cancellationToken);
        }
        catch (Azure.RequestFailedException exception) when (exception.Status == 404)
        {
            // A store created by this build never had it.
        }

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

        await ShardSummaryReader.MarkNewStoreAsync(this, cancellationToken);
    }
}
