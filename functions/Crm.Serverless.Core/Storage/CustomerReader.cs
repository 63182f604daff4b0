using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;

namespace Crm.Serverless.Core.Storage;

/// <summary>What is stored, in numbers.</summary>
public sealed record StoredCounts(long Customers, long Transactions, long Contacts);

/// <summary>Reads customers back: one customer by id (one point read), or all of them partition by partition in pages.</summary>
public sealed class CustomerReader(CrmTables tables, StoreCurrency storeCurrency, BasketReader baskets)
{
    /// <summary>How many next best products the 360 view shows.</summary>
    public const int ViewRecommendations = 5;

    /// <summary>
    /// Three point reads and the customer's range in parallel: the customer row, the latest scores row, the
    /// recommendations row, and the purchases their discount profile is computed from (the same function the
    /// nightly run uses, on current data).
    /// </summary>
    public async Task<CustomerView?> GetViewAsync(string customerId, CancellationToken cancellationToken)
    {
        var partition = CrmKeys.PartitionOf(customerId);
        var rowKey = CrmKeys.CustomerRow(customerId);
        var customer = tables.Customers.GetEntityIfExistsAsync<CustomerEntity>(partition, rowKey, cancellationToken: cancellationToken);
        var score = tables.Scores.GetEntityIfExistsAsync<ScoreEntity>(partition, rowKey, cancellationToken: cancellationToken);
        var recommended = tables.Recommendations.GetEntityIfExistsAsync<Recommendations.RecommendationEntity>(partition, rowKey, cancellationToken: cancellationToken);
        var purchases = baskets.ReadCustomerAsync(customerId, cancellationToken);
        var row = await customer;
        var scores = await score;
        var recommendations = await recommended;
        var bought = await purchases;
        return row.HasValue
            ? EntityMapper.ToView(row.Value!, await storeCurrency.GetAsync(cancellationToken) ?? "", scores.HasValue ? scores.Value!.ToScore() : null) with
            {
                Discounts = bought.Count == 0 ? null : Ml.Discounts.DiscountProfile.Of(bought),
                Recommendations = recommendations.HasValue ? [.. recommendations.Value!.ToRecommendations().Items.Take(ViewRecommendations)] : null,
            }
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

    private static readonly string[] ConsentColumns = ["RowKey", nameof(CustomerEntity.MarketingConsent)];

    /// <summary>
    /// The current marketing consent of the given customers, by point reads (16 in flight): right for one page of a
    /// segment, whose customers are spread over every shard. Customers not stored (erased) are absent.
    /// </summary>
    public async Task<Dictionary<string, bool?>> ReadConsentAsync(IReadOnlyList<string> customerIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        var found = new (bool Exists, bool? Consent)[customerIds.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, customerIds.Count),
            new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var id = customerIds[i];
                var row = await tables.Customers.GetEntityIfExistsAsync<TableEntity>(CrmKeys.PartitionOf(id), CrmKeys.CustomerRow(id), ConsentColumns, ct);
                found[i] = row.HasValue ? (true, row.Value!.GetBoolean(nameof(CustomerEntity.MarketingConsent))) : (false, null);
            });
        var consent = new Dictionary<string, bool?>(StringComparer.Ordinal);
        for (var i = 0; i < customerIds.Count; i++)
        {
            if (found[i].Exists)
            {
                consent[customerIds[i]] = found[i].Consent;
            }
        }

        return consent;
    }

    /// <summary>
    /// The current marketing consent of every customer of one shard, reading only keys and the flag in 1,000-row
    /// pages: right for a whole segment, where one request per thousand rows beats one per customer.
    /// </summary>
    public async Task<Dictionary<string, bool?>> ReadConsentAsync(string partition, CancellationToken cancellationToken)
    {
        var consent = new Dictionary<string, bool?>(StringComparer.Ordinal);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition}");
        await foreach (var row in tables.Customers.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ConsentColumns, cancellationToken: cancellationToken))
        {
            if (CrmKeys.IsCustomerRow(row.RowKey))
            {
                consent[CrmKeys.CustomerIdOf(row.RowKey)] = row.GetBoolean(nameof(CustomerEntity.MarketingConsent));
            }
        }

        return consent;
    }

    /// <summary>Counts customers, purchase rows and contacts, reading only the keys and two columns (1,000 rows a request).</summary>
    public async Task<StoredCounts> CountAsync(CancellationToken cancellationToken)
    {
        long customers = 0, transactions = 0, contacts = 0;
        var select = new[] { "RowKey", nameof(CustomerEntity.HasContact), nameof(TransactionEntity.Kind) };
        await foreach (var row in tables.Customers.QueryAsync<TableEntity>(maxPerPage: 1000, select: select, cancellationToken: cancellationToken))
        {
            if (CrmKeys.IsCustomerRow(row.RowKey))
            {
                customers++;
                contacts += row.GetBoolean(nameof(CustomerEntity.HasContact)) == true ? 1 : 0;
            }
            else if (row.GetString(nameof(TransactionEntity.Kind)) is null)
            {
                // Purchases only: refund and cancel rows change a purchase, they are not one.
                transactions++;
            }
        }

        return new StoredCounts(customers, transactions, contacts);
    }
}
