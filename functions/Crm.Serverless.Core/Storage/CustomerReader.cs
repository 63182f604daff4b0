using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using Crm.Serverless.Core.Domain;
using Crm.Serverless.Core.Ingestion;
using Crm.Serverless.Core.Scoring;

namespace Crm.Serverless.Core.Storage;

/// <summary>What is stored, in numbers.</summary>
public sealed record StoredCounts(long Customers, long Transactions, long Contacts);

/// <summary>Reads customers back: one customer by id (one point read), or all of them partition by partition in pages.</summary>
public sealed class CustomerReader(CrmTables tables, StoreCurrency storeCurrency, RunStore runs, BasketReader baskets, InteractionReader interactionReader, TimeProvider clock)
{
    /// <summary>How many next best products the 360 view shows.</summary>
    public const int ViewRecommendations = 5;

    /// <summary>
    /// The customer row, the current-run pointer, the customer's purchases (their discount profile is computed from
    /// them, by the same function the nightly run uses, on current data) and interactions in parallel, then the
    /// customer's score row in that run's scores table, which holds their recommendations too (by key, as filters: no
    /// id in a request path, see KeyedRows; in each segment partition of the shard, <see cref="CustomerScoreRows"/>;
    /// one more read for the run's popular skus when the customer has none of their own). Scores come from the current complete run only,
    /// never from a run still writing. A customer known only from interactions (no purchase or contact yet) has a view too.
    /// </summary>
    public async Task<CustomerView?> GetViewAsync(string customerId, CancellationToken cancellationToken)
    {
        var partition = CrmKeys.PartitionOf(customerId);
        var rowKey = CrmKeys.CustomerRow(customerId);
        var customer = KeyedRows.FindAsync<CustomerEntity>(tables.Scanner, tables.Customers, partition, rowKey, null, cancellationToken);
        var current = runs.GetCurrentRunIdAsync(cancellationToken);
        var purchases = baskets.ReadCustomerAsync(customerId, cancellationToken);
        var contacts = interactionReader.ReadCustomerAsync(customerId, cancellationToken);
        var row = await customer;
        var runId = await current;
        var bought = await purchases;
        var (summary, interactions) = await contacts;
        if (row is null && summary is null)
        {
            return null;
        }

        var scores = runId is null ? null : await CustomerScoreRows.FindScoreAsync(tables.Scanner, tables.RunScores(runId), customerId, cancellationToken);
        var recommendations = runId is null ? null : await Recommendations.RecommendationReader.ReadAsync(tables, runId, customerId, scores, cancellationToken);
        var view = EntityMapper.ToView(row ?? EntityMapper.NewCustomer(customerId), await storeCurrency.GetAsync(cancellationToken) ?? "", scores?.ToScore())
            with
            {
                Discounts = bought.Count == 0 ? null : Ml.Discounts.DiscountProfile.Of(bought),
                Recommendations = recommendations is null ? null : [.. recommendations.Items.Take(ViewRecommendations)],
            };
        return InteractionViews.Add(view, summary, interactions, clock.GetUtcNow());
    }

    /// <summary>Every customer row of one shard; purchase rows are skipped client-side (they share the ranges).</summary>
    public async IAsyncEnumerable<CustomerEntity> ScanPartitionAsync(string partition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in tables.Scanner.PartitionAsync(tables.Customers, partition, select: null, cancellationToken))
        {
            if (CrmKeys.IsCustomerRow(row.RowKey))
            {
                yield return EntityMapper.ToCustomer(row);
            }
        }
    }

    /// <summary>One run's scores of one shard by customer id (the shard's segment partitions of the run's table, 1,000 rows a request).</summary>
    public async Task<Dictionary<string, CustomerScore>> ReadScoresAsync(string runId, int shard, CancellationToken cancellationToken)
    {
        var scores = new Dictionary<string, CustomerScore>(StringComparer.Ordinal);
        await foreach (var row in CustomerScoreRows.ShardAsync(tables.Scanner, tables.RunScores(runId), shard, select: null, cancellationToken))
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
                var row = await KeyedRows.FindAsync(tables.Scanner, tables.Customers, CrmKeys.PartitionOf(id), CrmKeys.CustomerRow(id), ConsentColumns, ct);
                found[i] = row is not null ? (true, row.GetBoolean(nameof(CustomerEntity.MarketingConsent))) : (false, null);
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

    private static readonly string[] MailingColumns = ["RowKey", nameof(CustomerEntity.MarketingConsent), nameof(CustomerEntity.Email)];

    /// <summary>
    /// The current consent and e-mail of the given customers, by point reads (16 in flight), for a mailing list.
    /// Customers not stored (erased) are absent.
    /// </summary>
    public async Task<Dictionary<string, (bool? Consent, string? Email)>> ReadMailingAsync(IReadOnlyList<string> customerIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        var found = new (bool Exists, bool? Consent, string? Email)[customerIds.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, customerIds.Count),
            new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var id = customerIds[i];
                var row = await KeyedRows.FindAsync(tables.Scanner, tables.Customers, CrmKeys.PartitionOf(id), CrmKeys.CustomerRow(id), MailingColumns, ct);
                found[i] = row is not null
                    ? (true, row.GetBoolean(nameof(CustomerEntity.MarketingConsent)), row.GetString(nameof(CustomerEntity.Email)))
                    : (false, null, null);
            });
        var mailing = new Dictionary<string, (bool? Consent, string? Email)>(StringComparer.Ordinal);
        for (var i = 0; i < customerIds.Count; i++)
        {
            if (found[i].Exists)
            {
                mailing[customerIds[i]] = (found[i].Consent, found[i].Email);
            }
        }

        return mailing;
    }

    /// <summary>
    /// The current marketing consent of every customer of one shard, reading only keys and the flag in 1,000-row
    /// pages: right for a whole segment, where one request per thousand rows beats one per customer.
    /// </summary>
    public async Task<Dictionary<string, bool?>> ReadConsentAsync(string partition, CancellationToken cancellationToken)
    {
        var consent = new Dictionary<string, bool?>(StringComparer.Ordinal);
        await foreach (var row in tables.Scanner.PartitionAsync(tables.Customers, partition, ConsentColumns, cancellationToken))
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
        await foreach (var row in tables.Scanner.QueryAsync<TableEntity>(tables.Customers, filter: null, select, cancellationToken))
        {
            if (CrmKeys.IsCustomerRow(row.RowKey))
            {
                customers++;
                contacts += row.GetBoolean(nameof(CustomerEntity.HasContact)) == true ? 1 : 0;
            }
            else if (!CrmKeys.IsSummaryRow(row.RowKey) && row.GetString(nameof(TransactionEntity.Kind)) is null)
            {
                // Purchases only: refund and cancel rows change a purchase, they are not one.
                transactions++;
            }
        }

        return new StoredCounts(customers, transactions, contacts);
    }
}
