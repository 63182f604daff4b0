using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Storage;
using Crm.Serverless.Core.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Serverless.Core.Privacy;

/// <summary>
/// The data subject's rights over what the app holds: erasure (GDPR Art. 17) and access (Art. 15). Both walk
/// <see cref="CrmTables.CustomerKeyedTables"/> with the customer's one row range, then every run's scores table that
/// exists (retained runs and a run in progress: the customer's score row, which holds their recommendations, found by
/// key in the shard's segment partitions, <see cref="CustomerScoreRows"/>),
/// plus the unattributed rejected records that mention the customer, so the HTTP function and the CLI erase and
/// export the same rows. An erase is first logged, hashed, per shard (<see cref="EraseLog"/>), so a run writing
/// that shard's scores at the same time drops the customer too.
/// </summary>
public sealed class CustomerPrivacyService(
    CrmTables tables,
    RejectedItemStore rejected,
    Campaigns.CampaignStore campaigns,
    TimeProvider clock,
    StoreCurrency storeCurrency,
    EraseLog eraseLog,
    ILogger<CustomerPrivacyService> logger)
{
    private const int MaxBatch = 100;

    /// <summary>A concurrent writer can add rows while an erase runs; after this many passes the erase gives up loudly.</summary>
    private const int MaxPasses = 10;

    private static readonly string[] KeysOnly = ["PartitionKey", "RowKey"];

    /// <summary>Deletes every row holding the customer, in 100-entity batches; erasing an unknown customer deletes nothing.</summary>
    public async Task<ErasureReport> EraseAsync(string customerId, CancellationToken cancellationToken)
    {
        RequireValid(customerId);
        var deleted = new Dictionary<string, int>(StringComparer.Ordinal);

        // First of all, so a run scoring the customer's shard meanwhile sees the erase and drops the customer (EraseLog).
        await eraseLog.AppendAsync(customerId, cancellationToken);

        // Before the customer-keyed rows: the campaign index rows are found from the customer's CampaignMembers rows.
        deleted[tables.CampaignIndex.Name] = await campaigns.EraseIndexAsync(customerId, cancellationToken);
        foreach (var table in tables.CustomerKeyedTables)
        {
            deleted[table.Name] = await DeleteAllAsync(table, ct => table == tables.Customers ? CustomerRowsAsync(customerId, ct) : CustomerKeysAsync(table, customerId, ct), cancellationToken);
        }

        await foreach (var runScores in tables.ListRunScoresAsync(cancellationToken))
        {
            if (await DeleteRunScoresAsync(runScores, customerId, cancellationToken) is > 0 and var rows)
            {
                deleted[runScores.Name] = rows;
            }
        }

        deleted[tables.Rejected.Name] += await DeleteAllAsync(tables.Rejected, ct => rejected.UnattributedMentioningAsync(customerId, ct), cancellationToken);
        var report = new ErasureReport(customerId, deleted);

        // The id is not logged: after an erasure the log should not be the one place still naming the customer.
        logger.LogInformation("Erased a customer in partition {Partition}: {Rows} rows deleted", CrmKeys.PartitionOf(customerId), report.Total);
        return report;
    }

    /// <summary>Everything held about the customer, or null when nothing is.</summary>
    public async Task<CustomerDataExport?> ExportAsync(string customerId, CancellationToken cancellationToken)
    {
        RequireValid(customerId);
        ContactView? contact = null;
        PurchaseSummary? summary = null;
        var purchases = new List<PurchaseRecord>();
        var rejectedItems = new List<RejectedRecord>();
        var consent = new List<ConsentRecord>();
        var other = new Dictionary<string, IReadOnlyList<IReadOnlyDictionary<string, object?>>>(StringComparer.Ordinal);
        foreach (var table in tables.CustomerKeyedTables)
        {
            var rows = new List<TableEntity>();
            await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(table, CrmKeys.CustomerRangeFilter(customerId), select: null, cancellationToken))
            {
                rows.Add(row);
            }

            if (table == tables.Customers)
            {
                foreach (var row in rows)
                {
                    if (CrmKeys.IsCustomerRow(row.RowKey))
                    {
                        var view = EntityMapper.ToView(EntityMapper.ToCustomer(row), await storeCurrency.GetAsync(cancellationToken) ?? "");
                        (contact, summary) = (view.Contact, view.Purchases);
                    }
                    else
                    {
                        purchases.Add(EntityMapper.ToPurchaseRecord(row));
                    }
                }
            }
            else if (table == tables.Rejected)
            {
                rejectedItems.AddRange(rows.Select(RejectedItemStore.ToRecord));
            }
            else if (table == tables.Consent)
            {
                consent.AddRange(rows.Select(row => new ConsentRecord(
                    row.GetDateTimeOffset(nameof(ConsentEntity.ChangedAt)) ?? default,
                    row.GetBoolean(nameof(ConsentEntity.MarketingConsent)),
                    row.GetBoolean(nameof(ConsentEntity.Previous)),
                    row.GetString(nameof(ConsentEntity.Source)) ?? "",
                    row.GetDateTimeOffset(nameof(ConsentEntity.ReceivedAt)) ?? default)));
            }
            else if (rows.Count > 0)
            {
                other[table.Name] = [.. rows.Select(AsProperties)];
            }
        }

        await foreach (var runScores in tables.ListRunScoresAsync(cancellationToken))
        {
            var rows = await RunScoreRowsAsync(runScores, customerId, cancellationToken);
            if (rows.Count > 0)
            {
                other[runScores.Name] = [.. rows.Select(AsProperties)];
            }
        }

        await foreach (var row in rejected.UnattributedMentioningAsync(customerId, cancellationToken))
        {
            rejectedItems.Add(RejectedItemStore.ToRecord(row));
        }

        if (summary is null && purchases.Count == 0 && rejectedItems.Count == 0 && other.Count == 0 && consent.Count == 0)
        {
            return null;
        }

        return new CustomerDataExport(customerId, clock.GetUtcNow(), contact, summary, purchases, rejectedItems, other, [.. consent.OrderBy(c => c.ChangedAt)]);
    }

    private static void RequireValid(string customerId)
    {
        ArgumentNullException.ThrowIfNull(customerId);

        // An id that could not be stored cannot be held; refusing it also keeps a crafted id from widening the range.
        if (KeyRules.CheckId(customerId, isCustomerId: true) is { } problem)
        {
            throw new ArgumentException($"The customer id {problem}.", nameof(customerId));
        }
    }

    private IAsyncEnumerable<TableEntity> CustomerKeysAsync(TableClient table, string customerId, CancellationToken cancellationToken)
        => tables.Scanner.QueryAsync<TableEntity>(table, CrmKeys.CustomerRangeFilter(customerId), KeysOnly, cancellationToken);

    /// <summary>The customer's Customers range and their summary row, which sits outside it (<see cref="CrmKeys.SummaryRow"/>).</summary>
    private async IAsyncEnumerable<TableEntity> CustomerRowsAsync(string customerId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in CustomerKeysAsync(tables.Customers, customerId, cancellationToken))
        {
            yield return row;
        }

        if (await FindAsync(tables.Customers, CrmKeys.PartitionOf(customerId), CrmKeys.SummaryRow(customerId), KeysOnly, cancellationToken) is { } summary)
        {
            yield return summary;
        }
    }

    /// <summary>
    /// The customer's rows in one run's table (none when it was pruned meanwhile): the score row, which holds their
    /// recommendations, and the rows runs of older builds kept beside it (<see cref="RunScoreKeys.CustomerPartitions"/>).
    /// </summary>
    private Task<IReadOnlyList<TableEntity>> RunScoreRowsAsync(TableClient table, string customerId, CancellationToken cancellationToken)
        => CustomerScoreRows.FindAsync<TableEntity>(tables.Scanner, table, customerId, withLegacy: true, cancellationToken);

    /// <summary>
    /// The customer's rows in one run's table, read again until none is left, since the run's writer may add
    /// them meanwhile (it deletes them too once it sees the customer gone).
    /// </summary>
    private async Task<int> DeleteRunScoresAsync(TableClient table, string customerId, CancellationToken cancellationToken)
    {
        var deleted = 0;
        for (var pass = 1; ; pass++)
        {
            var rows = await RunScoreRowsAsync(table, customerId, cancellationToken);
            if (rows.Count == 0)
            {
                return deleted;
            }

            if (pass > MaxPasses)
            {
                throw new RequestFailedException(503, $"Rows kept arriving in {table.Name} while erasing; try again.");
            }

            foreach (var row in rows)
            {
                deleted += await DeleteIfExistsAsync(table, row.PartitionKey, row.RowKey, cancellationToken);
            }
        }
    }

    private Task<TableEntity?> FindAsync(TableClient table, string partition, string rowKey, IEnumerable<string>? select, CancellationToken cancellationToken)
        => KeyedRows.FindAsync(tables.Scanner, table, partition, rowKey, select, cancellationToken);

    private static async Task<int> DeleteIfExistsAsync(TableClient table, string partition, string rowKey, CancellationToken cancellationToken)
        => await KeyedRows.DeleteIfExistsAsync(table, partition, rowKey, cancellationToken) ? 1 : 0;

    /// <summary>
    /// Reads the keys, deletes them in batches of one partition, and reads again until nothing is left: a batch that
    /// meets a row someone else deleted (404) fails whole and is simply re-planned, and rows added meanwhile are caught.
    /// </summary>
    private static async Task<int> DeleteAllAsync(TableClient table, Func<CancellationToken, IAsyncEnumerable<TableEntity>> query, CancellationToken cancellationToken)
    {
        var deleted = 0;
        for (var pass = 1; ; pass++)
        {
            var keys = new List<TableEntity>();
            await foreach (var row in query(cancellationToken))
            {
                keys.Add(new TableEntity(row.PartitionKey, row.RowKey));
            }

            if (keys.Count == 0)
            {
                return deleted;
            }

            if (pass > MaxPasses)
            {
                throw new RequestFailedException(503, $"Rows kept arriving in {table.Name} while erasing; try again.");
            }

            foreach (var partition in keys.GroupBy(key => key.PartitionKey, StringComparer.Ordinal))
            {
                foreach (var chunk in partition.Chunk(MaxBatch))
                {
                    try
                    {
                        await table.SubmitTransactionAsync(chunk.Select(key => new TableTransactionAction(TableTransactionActionType.Delete, key, ETag.All)), cancellationToken);
                        deleted += chunk.Length;
                    }
                    catch (TableTransactionFailedException exception) when (exception.Status == 404)
                    {
                        // Someone deleted one of these rows first; the next pass reads what is really left.
                    }
                }
            }
        }
    }

    private static Dictionary<string, object?> AsProperties(TableEntity row)
        => row.Where(pair => pair.Key is not ("odata.etag" or "PartitionKey"))
            .ToDictionary(pair => pair.Key, pair => (object?)pair.Value, StringComparer.Ordinal);
}
