using System.Globalization;
using Azure.Data.Tables;
using Crm.Serverless.Core.Scoring;
using Crm.Serverless.Core.Storage;

namespace Crm.Serverless.Core.Recommendations;

/// <summary>
/// Reads the current complete run's recommendations (<see cref="RecommendationEntity"/>, in the run's scores table): one
/// customer by a point read, or every customer shard by shard for the export. A run still writing, or a backfill that
/// was not published, is never read.
/// </summary>
public sealed class RecommendationReader(CrmTables tables, RunStore runs)
{
    /// <summary>The customer's recommendations, an empty list when the current run made none (or there is none yet), or null when no such customer is stored.</summary>
    public async Task<CustomerRecommendations?> GetAsync(string customerId, CancellationToken cancellationToken)
    {
        var customer = KeyedRows.FindAsync(tables.Scanner, tables.Customers, CrmKeys.PartitionOf(customerId), CrmKeys.CustomerRow(customerId), ["RowKey"], cancellationToken);
        var runId = await runs.GetCurrentRunIdAsync(cancellationToken);
        var recommendations = runId is null ? null : await ReadAsync(tables, runId, customerId, cancellationToken);
        if (await customer is null)
        {
            return null;
        }

        return recommendations ?? new CustomerRecommendations(customerId, null, null, []);
    }

    /// <summary>
    /// A stored customer's recommendations in one run: their own row (one point read), or for a customer without one (no
    /// purchase when the run was made) the run's popular skus (a second); null when the run made none.
    /// </summary>
    public static async Task<CustomerRecommendations?> ReadAsync(CrmTables tables, string runId, string customerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        if (await ReadRowAsync(tables, runId, customerId, cancellationToken) is { } own)
        {
            return own;
        }

        var (partition, rowKey) = RunScoreKeys.PopularRecommendations;
        var popular = await tables.RunScores(runId).GetEntityIfExistsAsync<RecommendationEntity>(partition, rowKey, cancellationToken: cancellationToken);
        return popular.HasValue ? popular.Value!.ToRecommendations() with { CustomerId = customerId } : null;
    }

    /// <summary>The customer's own row of one run, or null: one read by key (<see cref="KeyedRows"/>).</summary>
    public static async Task<CustomerRecommendations?> ReadRowAsync(CrmTables tables, string runId, string customerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var row = await KeyedRows.FindAsync<RecommendationEntity>(
            tables.Scanner, tables.RunScores(runId), RunScoreKeys.RecommendationPartition(CrmKeys.ShardOf(customerId)), CrmKeys.CustomerRow(customerId), null, cancellationToken);
        return row?.ToRecommendations();
    }

    /// <summary>One stored customer's recommendations with at least one sku (the demo's example), or null when none are stored.</summary>
    public async Task<CustomerRecommendations?> ExampleAsync(CancellationToken cancellationToken)
    {
        await foreach (var row in CurrentRowsAsync(cancellationToken))
        {
            if (row.ToRecommendations() is { Items.Count: > 0 } found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>
    /// Writes <c>customerId,rank,sku,score</c>, one line per recommended sku, shard by shard; returns the customers
    /// written. Customers with no purchase at the run (served the popular skus) are not listed.
    /// </summary>
    public async Task<int> WriteCsvAsync(TextWriter writer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
        await writer.WriteLineAsync("customerId,rank,sku,score");
        var customers = 0;
        await foreach (var row in CurrentRowsAsync(cancellationToken))
        {
            customers++;
            foreach (var item in row.ToRecommendations().Items)
            {
                await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{Export.CustomerCsvExporter.Escape(row.CustomerId)},{item.Rank},{Export.CustomerCsvExporter.Escape(item.Sku)},{item.Score:0.######}"));
            }
        }

        return customers;
    }

    /// <summary>The current run's rows, one recommendations partition per shard, read by key (1,000 a request).</summary>
    private async IAsyncEnumerable<RecommendationEntity> CurrentRowsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (await runs.GetCurrentRunIdAsync(cancellationToken) is not { } runId)
        {
            yield break;
        }

        var table = tables.RunScores(runId);
        for (var shard = 0; shard < CrmKeys.ShardCount; shard++)
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {RunScoreKeys.RecommendationPartition(shard)}");
            await foreach (var row in tables.Scanner.QueryAsync<RecommendationEntity>(table, filter, null, cancellationToken))
            {
                yield return row;
            }
        }
    }
}
