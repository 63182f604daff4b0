using Azure.Data.Tables;
using Crm.Serverless.Ml.Data;
using Microsoft.Extensions.Logging;

namespace Crm.Serverless.Core.Storage;

/// <summary>
/// Stage 1's input for one shard, from one reader call. <see cref="Histories"/> as <see cref="HistoryReader"/> builds
/// them (net of refunds; cancelled and wholly refunded purchases are none), <see cref="Baskets"/> as
/// <see cref="BasketReader.ReadShardAsync"/> (one list per customer with a basket), <see cref="Customers"/> one per
/// customer row (what the quality tallies add up), all in row-key order; <see cref="EntitiesRead"/> the rows it took.
/// </summary>
public sealed record ShardRows(
    List<CustomerHistory> Histories,
    List<IReadOnlyList<Basket>> Baskets,
    IReadOnlyList<CustomerSummaryRow> Customers,
    long EntitiesRead);

/// <summary>
/// Reads one shard's <see cref="CustomerSummaryRow"/> rows: one range of the partition, about one entity per customer
/// instead of every purchase row. A customer whose summary did not fit one entity (marked <c>Overflow</c>) is read
/// from their own range. A store written before summaries existed has none: its shard is read whole once, the
/// summaries written from it (each conditional on its customer row's ETag, so a concurrent ingest, which writes its
/// own, wins) and the shard marked; a store created with summaries has every shard marked from the start.
/// </summary>
public sealed class ShardSummaryReader(CrmTables tables, ILogger<ShardSummaryReader> logger)
{
    private const string MarkerPrefix = "summaries-";

    private const int CustomersPerBatch = 50;

    public async Task<ShardRows> ReadAsync(int shard, CancellationToken cancellationToken)
    {
        if (!await IsMarkedAsync(shard, cancellationToken))
        {
            return await RebuildAsync(shard, cancellationToken);
        }

        var customers = new List<CustomerSummaryRow>();
        long read = 0;
        await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.Customers, CrmKeys.SummaryRangeFilter(shard), select: null, cancellationToken))
        {
            read++;
            if (!CrmKeys.IsSummaryRow(row.RowKey))
            {
                // A row of a customer whose id starts with '!': their summary row is read with the others.
                continue;
            }

            if (CustomerSummaryRow.FromEntity(row) is { } summary)
            {
                customers.Add(summary);
            }
            else
            {
                var (overflow, rows) = await ReadCustomerAsync(row.GetString("CustomerId") ?? row.RowKey[1..], cancellationToken);
                customers.Add(overflow);
                read += rows;
            }
        }

        // Summary rows sort by id, the other rows by "{id}|": put the customers in the order the stages use.
        customers.Sort((a, b) => string.CompareOrdinal(CrmKeys.CustomerRow(a.CustomerId), CrmKeys.CustomerRow(b.CustomerId)));
        return Build(customers, customers, read);
    }

    /// <summary>Marks every shard of a store that has no customer rows yet: it is written with summaries from its first row.</summary>
    internal static async Task MarkNewStoreAsync(CrmTables tables, CancellationToken cancellationToken)
    {
        var markers = TableClient.CreateQueryFilter($"PartitionKey eq {StoreSettingEntity.StorePartition} and RowKey ge {MarkerPrefix} and RowKey lt {MarkerPrefix + "~"}");
        if (await AnyAsync(tables.Settings, markers, cancellationToken) || await AnyAsync(tables.Customers, filter: null, cancellationToken))
        {
            return;
        }

        await tables.Settings.SubmitTransactionAsync(
            Enumerable.Range(0, CrmKeys.ShardCount).Select(shard => new TableTransactionAction(TableTransactionActionType.UpsertReplace, Marker(shard))),
            cancellationToken);
    }

    private static StoreSettingEntity Marker(int shard) => new() { RowKey = MarkerPrefix + CrmKeys.Partition(shard), Value = "1" };

    private static async Task<bool> AnyAsync(TableClient table, string? filter, CancellationToken cancellationToken)
    {
        // A query across partitions may answer an empty page with a continuation: only a page with a row settles it.
        await foreach (var page in table.QueryAsync<TableEntity>(filter, 1, ["RowKey"], cancellationToken).AsPages(pageSizeHint: 1))
        {
            if (page.Values.Count > 0)
            {
                return true;
            }
        }

        return false;
    }

    private async Task<bool> IsMarkedAsync(int shard, CancellationToken cancellationToken)
        => (await tables.Settings.GetEntityIfExistsAsync<StoreSettingEntity>(StoreSettingEntity.StorePartition, Marker(shard).RowKey, cancellationToken: cancellationToken)).HasValue;

    private async Task<(CustomerSummaryRow Summary, long Rows)> ReadCustomerAsync(string customerId, CancellationToken cancellationToken)
    {
        CustomerEntity? customer = null;
        var transactions = new List<TransactionEntity>();
        long rows = 0;
        await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.Customers, CrmKeys.CustomerRangeFilter(customerId), select: null, cancellationToken))
        {
            rows++;
            if (CrmKeys.IsCustomerRow(row.RowKey))
            {
                customer = EntityMapper.ToCustomer(row);
            }
            else
            {
                transactions.Add(EntityMapper.ToTransaction(row));
            }
        }

        return (CustomerSummaryRow.Of(customerId, customer, transactions), rows);
    }

    /// <summary>The shard read whole, as before summaries: its summaries are written from it and the shard marked.</summary>
    private async Task<ShardRows> RebuildAsync(int shard, CancellationToken cancellationToken)
    {
        var customers = new List<(CustomerSummaryRow Summary, CustomerEntity? Row)>();
        string? current = null;
        CustomerEntity? customer = null;
        var transactions = new List<TransactionEntity>();
        long read = 0;
        await foreach (var row in tables.Scanner.PartitionAsync(tables.Customers, CrmKeys.Partition(shard), select: null, cancellationToken))
        {
            read++;
            if (CrmKeys.IsSummaryRow(row.RowKey))
            {
                continue;
            }

            var customerId = CrmKeys.CustomerIdOf(row.RowKey);
            if (customerId != current)
            {
                Flush();
                current = customerId;
            }

            if (CrmKeys.IsCustomerRow(row.RowKey))
            {
                customer = EntityMapper.ToCustomer(row);
            }
            else
            {
                transactions.Add(EntityMapper.ToTransaction(row));
            }
        }

        Flush();
        var written = await WriteAsync(shard, customers.Where(c => c.Row is not null).Select(c => (c.Summary, c.Row!)).ToList(), cancellationToken);
        await tables.Settings.UpsertEntityAsync(Marker(shard), TableUpdateMode.Replace, cancellationToken);
        logger.LogInformation("Shard {Shard} had no summary rows (written before summaries): wrote {Written} of {Customers} from its {Rows} rows", shard, written, customers.Count, read);
        return Build([.. customers.Select(c => c.Summary)], [.. customers.Where(c => c.Row is not null).Select(c => c.Summary)], read);

        void Flush()
        {
            if (current is not null && (customer is not null || transactions.Count > 0))
            {
                customers.Add((CustomerSummaryRow.Of(current, customer, transactions), customer));
            }

            customer = null;
            transactions.Clear();
        }
    }

    /// <summary>
    /// Each summary beside a merge of its customer row under the ETag it was read with: a customer an ingest changed
    /// since is skipped (that ingest wrote the summary itself). Returns how many were written.
    /// </summary>
    internal async Task<int> WriteAsync(int shard, List<(CustomerSummaryRow Summary, CustomerEntity Row)> customers, CancellationToken cancellationToken)
    {
        var partition = CrmKeys.Partition(shard);
        var pairs = customers.Select(c => (Guard: new TableTransactionAction(
                TableTransactionActionType.UpdateMerge,
                new TableEntity(partition, c.Row.RowKey) { [nameof(CustomerEntity.CustomerId)] = c.Row.CustomerId },
                c.Row.ETag),
            Summary: c.Summary.ToEntity(partition))).ToList();
        var written = 0;
        var batch = new List<(TableTransactionAction Guard, TableEntity Summary)>();
        var bytes = 0;
        foreach (var pair in pairs)
        {
            var size = CustomerSummaryRow.SizeOf(pair.Summary);
            if (batch.Count == CustomersPerBatch || bytes + size > CustomerSummaryRow.MaxBytesPerBatch)
            {
                written += await SubmitAsync(batch, cancellationToken);
                batch.Clear();
                bytes = 0;
            }

            batch.Add(pair);
            bytes += size;
        }

        return written + await SubmitAsync(batch, cancellationToken);
    }

    private async Task<int> SubmitAsync(List<(TableTransactionAction Guard, TableEntity Summary)> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return 0;
        }

        try
        {
            await tables.Customers.SubmitTransactionAsync(batch.SelectMany(Actions), cancellationToken);
            return batch.Count;
        }
        catch (TableTransactionFailedException exception) when (exception.Status is 404 or 409 or 412 && batch.Count > 1)
        {
            // Someone changed (or erased) one of these customers meanwhile: write the others one by one.
            var written = 0;
            foreach (var pair in batch)
            {
                written += await SubmitAsync([pair], cancellationToken);
            }

            return written;
        }
        catch (TableTransactionFailedException exception) when (exception.Status is 404 or 409 or 412)
        {
            return 0;
        }

        static IEnumerable<TableTransactionAction> Actions((TableTransactionAction Guard, TableEntity Summary) pair)
            => [pair.Guard, new TableTransactionAction(TableTransactionActionType.UpsertReplace, pair.Summary)];
    }

    private static ShardRows Build(List<CustomerSummaryRow> customers, List<CustomerSummaryRow> withRow, long read)
    {
        var histories = new List<CustomerHistory>();
        var baskets = new List<IReadOnlyList<Basket>>();
        foreach (var customer in customers)
        {
            if (customer.History() is { } history)
            {
                histories.Add(history);
            }

            if (customer.Baskets() is { Count: > 0 } own)
            {
                baskets.Add(own);
            }
        }

        return new ShardRows(histories, baskets, withRow, read);
    }
}
