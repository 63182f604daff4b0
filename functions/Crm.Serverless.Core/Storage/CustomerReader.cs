using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;

namespace Crm.Serverless.Core.Storage;

/// <summary>What is stored, in numbers.</summary>
public sealed record StoredCounts(long Customers, long Transactions, long Contacts);

/// <summary>Reads customers back: one customer by id (one point read), or all of them partition by partition in pages.</summary>
public sealed class CustomerReader(CrmTables tables, StoreCurrency storeCurrency)
{
    /// <summary>Two point reads in parallel: the customer row and the latest scores row.</summary>
    public async Task<CustomerView?> GetViewAsync(string customerId, CancellationToken cancellationToken)
    {
        var partition = CrmKeys.PartitionOf(customerId);
        var rowKey = CrmKeys.CustomerRow(customerId);
        var customer = tables.Customers.GetEntityIfExistsAsync<CustomerEntity>(partition, rowKey, cancellationToken: cancellationToken);
        var score = tables.Scores.GetEntityIfExistsAsync<ScoreEntity>(partition, rowKey, cancellationToken: cancellationToken);
        var row = await customer;
        var scores = await score;
        return row.HasValue
            ? EntityMapper.ToView(row.Value!, await storeCurrency.GetAsync(cancellationToken) ?? "", scores.HasValue ? scores.Value!.ToScore() : null)
            : null;
    }

    /// <summary>Every customer row of one shard; purchase rows are skipped client-side (they share the ranges).</summary>
    public async IAsyncEnumerable<CustomerEntity> ScanPartitionAsync(string partition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition}");
        await foreach (var row in tables.Customers.QueryAsync<TableEntity>(filter, maxPerPage: 1000, cancellationToken: cancellationToken))
        {
            if (CrmKeys.IsCustomerRow(row.RowKey))
            {
                yield return EntityMapper.ToCustomer(row);
            }
        }
    }

    /// <summary>The scores rows of one partition by customer id (stale rows of customers a later run skipped included).</summary>
    public async Task<Dictionary<string, CustomerScore>> ReadScoresAsync(string partition, CancellationToken cancellationToken)
    {
        var scores = new Dictionary<string, CustomerScore>(StringComparer.Ordinal);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition}");
        await foreach (var row in tables.Scores.QueryAsync<ScoreEntity>(filter, maxPerPage: 1000, cancellationToken: cancellationToken))
        {
            scores[row.CustomerId] = row.ToScore();
        }

        return scores;
    }

    /// <summary>Counts rows by kind, reading only the keys and one flag (1,000 rows a request).</summary>
    public async Task<StoredCounts> CountAsync(CancellationToken cancellationToken)
    {
        long customers = 0, transactions = 0, contacts = 0;
        var select = new[] { "RowKey", nameof(CustomerEntity.HasContact) };
        await foreach (var row in tables.Customers.QueryAsync<TableEntity>(maxPerPage: 1000, select: select, cancellationToken: cancellationToken))
        {
            if (CrmKeys.IsCustomerRow(row.RowKey))
            {
                customers++;
                contacts += row.GetBoolean(nameof(CustomerEntity.HasContact)) == true ? 1 : 0;
            }
            else
            {
                transactions++;
            }
        }

        return new StoredCounts(customers, transactions, contacts);
    }
}
